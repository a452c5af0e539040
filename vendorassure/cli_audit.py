"""`flask --app app audit verify`: recompute the audit log's hash chain (exit 0 when it holds)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="The hash-chained audit log.")


@audit_cli.command("verify")
def audit_verify():
    """Check every audit event against its predecessor's hash."""
    from sqlalchemy import func, select

    from .extensions import db
    from .models import AuditEvent
    from .services.audit import verify_chain

    intact, broken = verify_chain()
    total = db.session.scalar(select(func.count(AuditEvent.id)))
    if intact:
        click.echo(f"Audit chain intact: {total} event(s).")
        return
    click.echo(f"Audit chain broken at event {broken} (of {total}).", err=True)
    sys.exit(1)

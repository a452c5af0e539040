"""`flask --app app evidence migrate|verify`: move evidence between stores, check every blob."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

evidence_cli = AppGroup("evidence", help="Evidence file store operations.")


def _rows():
    from .extensions import db
    from .models import Evidence

    return db.session.execute(
        select(Evidence.id, Evidence.storage_key, Evidence.sha256).order_by(Evidence.id)
    ).all()


@evidence_cli.command("migrate")
@click.option(
    "--to", "target_url", required=True, help="Target store: s3://bucket/prefix or a folder."
)
@click.option(
    "--from", "source_url", default=None, help="Source store (default: the one configured now)."
)
@click.option(
    "--delete-source", is_flag=True, help="Remove each blob from the source once verified."
)
def evidence_migrate(target_url: str, source_url: str | None, delete_source: bool):
    """Copy every evidence file to another store under the same key, verifying its SHA-256.

    Safe to run again: blobs already in the target with the right hash are skipped. Switch
    EVIDENCE_STORE to the target once it reports no failures."""
    from .services.store_migration import migrate
    from .storage import get_storage, store_from_url

    source = store_from_url(source_url, current_app.config) if source_url else get_storage()
    target = store_from_url(target_url, current_app.config)
    report = migrate(_rows(), source, target, delete_source=delete_source)
    for line in report.problems:
        click.echo(line, err=True)
    click.echo(
        f"{report.copied} copied, {report.skipped} already there, {len(report.problems)} failed "
        f"(of {report.total})."
    )
    sys.exit(1 if report.problems else 0)


@evidence_cli.command("verify")
def evidence_verify():
    """Check that every evidence row has its blob in the store with the recorded SHA-256."""
    from .storage import MissingObject, get_storage

    store = get_storage()
    bad = 0
    rows = _rows()
    for ev_id, key, sha in rows:
        try:
            ok = store.verify(key, sha)
        except MissingObject:
            click.echo(f"evidence {ev_id}: missing from the store", err=True)
            bad += 1
            continue
        if not ok:
            click.echo(f"evidence {ev_id}: SHA-256 differs from the recorded one", err=True)
            bad += 1
    click.echo(f"{len(rows) - bad} of {len(rows)} evidence file(s) present and intact.")
    sys.exit(1 if bad else 0)

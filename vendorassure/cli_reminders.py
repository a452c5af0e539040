"""The `reminders` command group: flask --app app reminders send."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

reminders_cli = AppGroup("reminders", help="Due-date reminder emails to vendors.")


@reminders_cli.command("send")
@click.option("--today", default=None, help="Pretend today is YYYY-MM-DD (for catching up).")
@click.option(
    "--days-before", type=int, default=None, help="Remind this many days before the due date."
)
def reminders_send(today: str | None, days_before: int | None):
    """Send the reminders owed today: before the due date and overdue (each only once)."""
    from .services.reminders import send_reminders

    try:
        day = date.fromisoformat(today) if today else None
    except ValueError:
        raise click.BadParameter("Use YYYY-MM-DD.", param_hint="--today") from None
    report = send_reminders(day, days_before)
    for assessment_id, stage, mails in report.sent:
        click.echo(f"assessment {assessment_id}: {stage} reminder to {mails} contact(s)")
    for assessment_id in report.skipped_no_contact:
        click.echo(f"assessment {assessment_id}: no active contact yet, nothing sent", err=True)
    click.echo(f"{len(report.sent)} reminder(s) sent.")

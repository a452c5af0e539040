"""The job types: mail delivery, the day's reminders, large exports, batch rescore, upkeep."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app

from . import job
from .runner import current_job


@job("mail.deliver", "Email", max_attempts=4, keep_args=("to", "subject", "message_id"))
def deliver_mail(
    to: str, subject: str, body: str, message_id: str | None = None, html: str | None = None
) -> dict:
    """Deliver one email over SMTP (or to the outbox folder)."""
    from ..services.mail import deliver

    return {"to": to, "via": deliver(to, subject, body, message_id, html)}


@job("reminders.send", "Due-date reminders", max_attempts=3)
def send_reminders(today: str | None = None) -> dict:
    """Send the due-date reminders owed today (each assessment and stage only once)."""
    from ..services.reminders import send_reminders as run

    report = run(date.fromisoformat(today) if today else None)
    return {"sent": len(report.sent), "skipped_no_contact": len(report.skipped_no_contact)}


@job("exports.build", "Workbook export", max_attempts=2)
def build_export(kind: str, assessment_id: int | None = None) -> dict:
    """Build a workbook in the background, keep it in the store, email its link."""
    from ..services.exports import build_and_store

    return build_and_store(current_job(), kind, assessment_id)


@job("exports.expire", "Expired exports removed")
def expire_exports() -> dict:
    """Remove export files older than EXPORT_TTL_HOURS from the store."""
    from ..services.exports import expire

    return {"expired": expire(timedelta(hours=current_app.config["EXPORT_TTL_HOURS"]))}


@job("snapshots.prune", "Old figure and page snapshots removed")
def prune_snapshots() -> dict:
    """Remove snapshots older than two days (they are never served again)."""
    from ..queries import snapshot

    return {"pruned": snapshot.prune()}


@job("scoring.rescore", "Portfolio rescore")
def rescore(model_path: str | None = None, stale_only: bool = False) -> dict:
    """Rescore the portfolio in one batch with the model in force (or the given file)."""
    from ..scoring import load_model
    from ..services.library import scoring_model
    from ..services.rescore import rescore_all

    model = load_model(model_path) if model_path else scoring_model()
    report = rescore_all(model, stale_only=stale_only)
    return {
        "assessments": report.assessments,
        "ratings_changed": report.ratings_changed,
        "model_version": report.model_version,
    }


@job("notifications.sweep", "Expiring certificates and overdue assessments", max_attempts=3)
def notifications_sweep(today: str | None = None) -> dict:
    """Tell the team about certificates that expire soon and assessments past due (once each)."""
    from ..services.notifications import sweep

    return sweep(date.fromisoformat(today) if today else None)


from . import webhook_tasks  # noqa: E402,F401  (registers the webhook job types)

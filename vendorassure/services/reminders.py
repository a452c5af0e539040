"""Reminder emails before an assessment is due and once it is overdue, each sent only once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import VENDOR_OPEN, Assessment, Reminder
from . import audit
from .notify import send_reminder

DEFAULT_DAYS_BEFORE = 3


@dataclass
class ReminderReport:
    sent: list[tuple[int, str, int]] = field(default_factory=list)  # (assessment, stage, mails)
    skipped_no_contact: list[int] = field(default_factory=list)


def stage_for(due: date, today: date, days_before: int) -> str | None:
    """Which reminder an assessment due on `due` is owed today, if any."""
    left = (due - today).days
    if left < 0:
        return "overdue"
    if left <= days_before:
        return "before_due"
    return None


def send_reminders(today: date | None = None, days_before: int | None = None) -> ReminderReport:
    """Email the vendor contacts of every open assessment that is due soon or overdue.

    Idempotent: a Reminder row per (assessment, stage) is written before the mails go out, and a
    unique constraint refuses a second one, so a repeated (or concurrent) run sends nothing twice.
    """
    today = today or date.today()
    if days_before is None:
        days_before = int(current_app.config.get("REMINDER_DAYS_BEFORE", DEFAULT_DAYS_BEFORE))
    report = ReminderReport()
    done = {
        tuple(row) for row in db.session.execute(select(Reminder.assessment_id, Reminder.stage))
    }
    rows = db.session.scalars(
        select(Assessment)
        .where(Assessment.status.in_(VENDOR_OPEN))
        .order_by(Assessment.due_date, Assessment.id)
    ).all()
    for assessment in rows:
        stage = stage_for(assessment.due_date, today, days_before)
        if stage is None or (assessment.id, stage) in done:
            continue
        recipients = sorted(
            c.email for c in assessment.vendor.contacts if c.active and c.password_hash
        )
        if not recipients:
            # Nobody can sign in yet; try again on the next run rather than mark it sent.
            report.skipped_no_contact.append(assessment.id)
            continue
        reminder = Reminder(assessment_id=assessment.id, stage=stage, recipients=recipients)
        db.session.add(reminder)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()  # another run got there first
            continue
        audit.record(
            None,
            f"reminder.{stage}",
            reminder,
            assessment_id=assessment.id,
            vendor_id=assessment.vendor_id,
            details={"due_date": assessment.due_date.isoformat(), "to": recipients},
        )
        db.session.commit()
        for email in recipients:
            send_reminder(email, assessment, stage, today)
        report.sent.append((assessment.id, stage, len(recipients)))
    return report

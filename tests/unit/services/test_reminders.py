"""`reminders send`: before the due date and when overdue, once per assessment and stage."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from vendorassure.extensions import db
from vendorassure.models import Reminder
from vendorassure.services import assessments
from vendorassure.services.reminders import send_reminders, stage_for


@pytest.fixture(autouse=True)
def _no_reminders_left(app):
    yield
    db.session.rollback()
    db.session.execute(delete(Reminder))
    db.session.commit()


def _outbox(app) -> list[Path]:
    return sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))


def test_stage_is_chosen_from_days_left():
    from datetime import date

    due = date(2030, 1, 10)
    assert stage_for(due, date(2030, 1, 1), 3) is None
    assert stage_for(due, date(2030, 1, 7), 3) == "before_due"
    assert stage_for(due, date(2030, 1, 10), 3) == "before_due"
    assert stage_for(due, date(2030, 1, 11), 3) == "overdue"


def test_one_reminder_per_assessment_and_stage_and_stored(app, make):
    vendor = make.vendor()
    a = make.assessment(vendor)
    make.user("vendor", vendor=vendor, email="a@v.example")
    make.user("vendor", vendor=vendor, email="b@v.example")
    before = len(_outbox(app))
    early = a.due_date - timedelta(days=10)
    assert send_reminders(early).sent == []
    soon = a.due_date - timedelta(days=1)
    assert send_reminders(soon).sent == [(a.id, "before_due", 2)]
    assert send_reminders(soon).sent == []
    assert send_reminders(a.due_date).sent == []  # same stage again: nothing
    late = a.due_date + timedelta(days=2)
    assert send_reminders(late).sent == [(a.id, "overdue", 2)]
    assert send_reminders(late + timedelta(days=5)).sent == []
    rows = db.session.scalars(select(Reminder).order_by(Reminder.id)).all()
    assert [(r.assessment_id, r.stage) for r in rows] == [(a.id, "before_due"), (a.id, "overdue")]
    assert rows[0].recipients == ["a@v.example", "b@v.example"]
    assert len(_outbox(app)) - before == 4


def test_no_reminder_for_submitted_assessments_or_without_contacts(app, make):
    from tests.helpers import answer_all

    vendor = make.vendor()
    a = make.assessment(vendor)
    lonely = make.assessment(make.vendor())
    user = make.user("vendor", vendor=vendor)
    answer_all(user, a)
    assessments.submit_assessment(user, a)
    report = send_reminders(a.due_date + timedelta(days=1))
    assert report.sent == [] and report.skipped_no_contact == [lonely.id]
    assert db.session.scalar(select(Reminder.id)) is None


def test_cli_sends_and_is_idempotent(app, make):
    vendor = make.vendor()
    a = make.assessment(vendor)
    make.user("vendor", vendor=vendor)
    runner = app.test_cli_runner()
    day = (a.due_date + timedelta(days=1)).isoformat()
    result = runner.invoke(args=["reminders", "send", "--today", day])
    assert result.exit_code == 0, result.output
    assert f"assessment {a.id}: overdue reminder to 1 contact(s)" in result.output
    result = runner.invoke(args=["reminders", "send", "--today", day])
    assert result.exit_code == 0 and "0 reminder(s) sent." in result.output
    result = runner.invoke(args=["reminders", "send", "--today", "tomorrow"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output

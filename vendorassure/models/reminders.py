"""Reminder emails sent about an assessment's due date: one row per assessment and stage."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._base import utcnow

REMINDER_STAGES = ("before_due", "overdue")


class Reminder(db.Model):
    __tablename__ = "reminders"
    # The unique pair is what makes `reminders send` idempotent, even for two runs at once.
    __table_args__ = (UniqueConstraint("assessment_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[list] = mapped_column(JSON, default=list)

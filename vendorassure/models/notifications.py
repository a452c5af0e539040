"""In-app notifications for staff, each user's choice of which to receive, and campaigns."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._base import utcnow

# What the team hears about, with the words shown in preferences and the inbox.
NOTIFICATION_KINDS = {
    "submitted": "A vendor submitted an assessment",
    "clarification_answered": "A vendor answered a clarification request",
    "remediation_plan": "A vendor sent a remediation plan",
    "evidence_expiring": "A certificate on file expires soon",
    "assessment_overdue": "An assessment is overdue",
}
CHANNELS = ("in_app", "email")


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE")
    )
    # Keeps a repeated sweep (expiring, overdue) from telling the same user twice.
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("user_id", "dedup_key"),)


class NotificationPreference(db.Model):
    """A user's choice for one kind: in the inbox, by email, both or neither (default: both)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    in_app: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)


class Campaign(db.Model):
    """One questionnaire issued to many vendors at once (chosen by a filter)."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    questionnaire_key: Mapped[str] = mapped_column(String(100))
    due_date: Mapped[date]
    filter: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by = relationship("User")

"""Findings raised by the risk team against a vendor's assessment."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._base import utcnow

SEVERITIES = ("low", "medium", "high", "critical")
# "proposed" findings come from the scoring result; a reviewer confirms (open) or dismisses them.
# "withdrawn": a proposal whose cause the score no longer shows (kept, with its history).
FINDING_STATUSES = ("proposed", "open", "remediating", "closed", "risk_accepted", "withdrawn")
FINDING_STATUS_LABELS = {
    "proposed": "Proposed",
    "open": "Open",
    "remediating": "Remediating",
    "closed": "Closed",
    "risk_accepted": "Risk accepted",
    "withdrawn": "Withdrawn",
}
ACTIVE_FINDING_STATUSES = ("open", "remediating")


class Finding(db.Model):
    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_status_due_date", "status", "due_date"),
        Index("ix_findings_vendor_id_status", "vendor_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    control_id: Mapped[int | None] = mapped_column(ForeignKey("controls.id"))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    severity: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_date: Mapped[date | None]
    remediation: Mapped[str] = mapped_column(Text, default="")
    accepted_until: Mapped[date | None]
    acceptance_reason: Mapped[str] = mapped_column(Text, default="")
    # Why a reviewer dismissed (closed) a finding, or why it was withdrawn.
    closing_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Where a proposed finding came from ("knockout:<question>", "control:<ref>"), "manual" else.
    origin: Mapped[str] = mapped_column(String(120), default="manual")
    shared_with_vendor: Mapped[bool] = mapped_column(default=False)
    vendor_response: Mapped[str] = mapped_column(Text, default="")
    vendor_responded_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    control = relationship("Control")
    owner = relationship("User", foreign_keys=[owner_id])
    vendor = relationship("Vendor")
    question = relationship("Question")

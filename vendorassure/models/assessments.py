"""Assessments and what hangs off them: answers, control scores, comments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._base import utcnow

STATUSES = (
    "draft",
    "sent",
    "in_progress",
    "submitted",
    "under_review",
    "changes_requested",
    "completed",
    "cancelled",
)
# States in which the vendor may still change answers and evidence.
VENDOR_OPEN = ("sent", "in_progress", "changes_requested")
OPEN_STATES = ("draft", "sent", "in_progress", "submitted", "under_review", "changes_requested")


class Assessment(db.Model):
    __tablename__ = "assessments"
    # the review queue walks these in its sort orders (due, highest risk, latest submitted)
    __table_args__ = (
        Index("ix_assessments_status_due_date", "status", "due_date"),
        Index("ix_assessments_vendor_id_status", "vendor_id", "status"),
        Index("ix_assessments_due_date_id", "due_date", "id"),
        Index("ix_assessments_risk_score_id", "risk_score", "id"),
        Index("ix_assessments_submitted_at_id", "submitted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True, default="draft")
    due_date: Mapped[date]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when the assessment was issued as part of a campaign (one questionnaire, many vendors).
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    lock_version: Mapped[int] = mapped_column(default=1)
    # The score record (services.scoring.store_scores is its only writer): these columns, the
    # control_scores and objective_scores rows, and score_details, the explanation (drivers,
    # red flags, caps, contradictions, certificate decisions, the plan), all of one model.
    inherent_tier: Mapped[str | None] = mapped_column(String(10))
    risk_score: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[str | None] = mapped_column(String(10), index=True)
    effectiveness: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(20))
    score_details: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    scoring_model_version: Mapped[str | None] = mapped_column(String(50))
    scored_at: Mapped[datetime | None]
    override_rating: Mapped[str | None] = mapped_column(String(10))
    override_reason: Mapped[str | None] = mapped_column(Text)
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": lock_version}

    vendor = relationship("Vendor", foreign_keys=[vendor_id])
    questionnaire = relationship("Questionnaire")
    issued_by = relationship("User", foreign_keys=[issued_by_id])
    reviewer = relationship("User", foreign_keys=[reviewer_id])

    @property
    def final_rating(self) -> str | None:
        return self.override_rating or self.rating


class Answer(db.Model):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("assessment_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    value: Mapped[object | None] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    na: Mapped[bool] = mapped_column(default=False)
    na_reason: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    lock_version: Mapped[int] = mapped_column(default=1)
    review_state: Mapped[str] = mapped_column(String(20), default="none")
    review_note: Mapped[str] = mapped_column(Text, default="")
    carried_forward: Mapped[bool] = mapped_column(default=False)
    # a suggestion taken from an answer to another questionnaire (counts once confirmed):
    # {assessment, questionnaire, question, text, similarity}
    reused_from: Mapped[dict | None] = mapped_column(JSON)

    __mapper_args__ = {"version_id_col": lock_version}

    question = relationship("Question")
    answered_by = relationship("User")


class ControlScore(db.Model):
    """Per-control score of a scored assessment, stored so dashboards aggregate in SQL."""

    __tablename__ = "control_scores"
    __table_args__ = (UniqueConstraint("assessment_id", "control_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("controls.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float)

    control = relationship("Control")


class ObjectiveScore(db.Model):
    """Per-objective score (A.2 ... A.10) of a scored assessment, for SQL aggregates."""

    __tablename__ = "objective_scores"
    __table_args__ = (UniqueConstraint("assessment_id", "objective_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objectives.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(20))

    objective = relationship("Objective")


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author = relationship("User")

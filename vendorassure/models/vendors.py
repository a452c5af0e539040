"""Vendors: the AI suppliers under assessment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._base import utcnow

VENDOR_STATUSES = ("active", "inactive")


class Vendor(db.Model):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    website: Mapped[str] = mapped_column(String(500), default="")
    services: Mapped[str] = mapped_column(Text, default="")
    intake: Mapped[dict] = mapped_column(JSON, default=dict)
    inherent_tier: Mapped[str] = mapped_column(String(10), index=True)
    inherent_score: Mapped[float] = mapped_column(default=0.0)
    tier_reasons: Mapped[list] = mapped_column(JSON, default=list)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))
    status: Mapped[str] = mapped_column(String(20), default="active")
    # The vendor's most recent scored, non-cancelled assessment: kept by
    # services.scoring.refresh_latest_scored (called by the score writer and on cancel), so the
    # portfolio's "latest rating per vendor" is one join, not a GROUP BY over all assessments.
    latest_scored_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", use_alter=True),
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contacts = relationship("User", foreign_keys="User.vendor_id", back_populates="vendor")
    owner = relationship("User", foreign_keys=[owner_id])

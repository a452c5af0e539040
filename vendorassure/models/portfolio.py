"""Portfolio snapshots: the dashboard's figures, computed once per change of the portfolio.

Shared by every app host (a table, never process memory). ``PortfolioGeneration`` holds one
counter that every transaction changing vendors, assessments, scores, findings or evidence
raises at commit (``queries.snapshot``); a snapshot is valid only for the generation it was
computed at, so a figure never outlives the change that made it wrong.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._base import utcnow


class PortfolioGeneration(db.Model):
    __tablename__ = "portfolio_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)


class PortfolioSnapshot(db.Model):
    __tablename__ = "portfolio_snapshots"

    # what was computed (e.g. "dashboard"), for which day and filters, at which generation
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    generation: Mapped[int] = mapped_column(index=True)
    data: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

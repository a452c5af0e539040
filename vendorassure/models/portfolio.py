"""Snapshots: computed figures and rendered pages, kept until a table they were read from
changes.

Shared by every app host (tables, never process memory). ``TableGeneration`` holds one counter
per table that every committed write to it raises (``queries.snapshot``); a snapshot records
the counters of the tables it was read from and is valid only while they are unchanged, so a
figure or a page never outlives the change that made it wrong.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._base import utcnow


class TableGeneration(db.Model):
    __tablename__ = "table_generations"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)


class Snapshot(db.Model):
    __tablename__ = "snapshots"

    # what was computed (e.g. "dashboard", a page), for which day, parameters and release
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    # {table: generation} of every table the computation read
    deps: Mapped[dict] = mapped_column(JSON)
    data: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# The tables of the previous release's one-generation snapshots: unused here, kept so that hosts
# still on that release keep working during a rolling upgrade; a later release drops them.
LEGACY_GENERATION = Table(
    "portfolio_generation",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("generation", Integer, nullable=False),
)
LEGACY_SNAPSHOTS = Table(
    "portfolio_snapshots",
    db.metadata,
    Column("key", String(300), primary_key=True),
    Column("generation", Integer, nullable=False, index=True),
    Column("data", JSON, nullable=False),
    Column("computed_at", DateTime, nullable=False),
)

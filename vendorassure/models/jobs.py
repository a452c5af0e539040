"""The job ledger: one row per background job, whichever runner executes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._base import utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(db.Model):
    """A unit of background work and its outcome.

    The row, not the queue, is the truth: a job runs only when a worker claims the row (queued ->
    running in one UPDATE), so a message delivered twice, retried or re-enqueued after a lost
    worker never does the work twice once it is done. `key` makes enqueueing idempotent too
    (the day's reminders, one export request)."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict | None] = mapped_column(JSON)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the job was last handed to the queue (the sweeper re-enqueues stale ones).
    enqueued_at: Mapped[datetime | None]
    # The queue's own id of the last hand-over (RQ job id), to tell a lost message from a backlog.
    queue_ref: Mapped[str | None] = mapped_column(String(60))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

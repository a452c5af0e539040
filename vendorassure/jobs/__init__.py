"""Background jobs behind one enqueue port: in-process by default, an RQ queue on Redis by setting.

`enqueue(name, **args)` writes a row to the job ledger (models/jobs.py) and hands it to the
configured runner: `inprocess` runs it at once in the caller's process (the embedded default:
no Redis, no worker), `rq` pushes it to Redis for `flask --app app worker`. Either way the job
runs through `runner.execute`, which claims the ledger row first, so a job is done once however
often its message is delivered. Call enqueue after the use case has committed: it commits the
ledger row itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Job


@dataclass(frozen=True)
class JobType:
    name: str
    func: Callable
    max_attempts: int
    description: str
    label: str
    # Arguments kept on the ledger once the job is done; None keeps all. Mail bodies carry
    # single-use links (invitations, password resets) and must not outlive their delivery.
    keep_args: tuple[str, ...] | None = None


REGISTRY: dict[str, JobType] = {}


def job(name: str, label: str, max_attempts: int = 1, keep_args: tuple[str, ...] | None = None):
    """Register a function as a job type (label: what people read); arguments are JSON values."""

    def decorator(func):
        doc = (func.__doc__ or name).strip().splitlines()[0]
        REGISTRY[name] = JobType(name, func, max_attempts, doc, label, keep_args)
        return func

    return decorator


def registry() -> dict[str, JobType]:
    from . import tasks  # noqa: F401  (registers the job types)

    return REGISTRY


def backend() -> str:
    return current_app.config.get("JOBS_BACKEND", "inprocess")


def enqueue(name: str, *, key: str | None = None, requested_by=None, **args) -> Job:
    """Record a job and hand it to the runner; with a key, a second enqueue returns the first."""
    kind = registry()[name]
    if key is not None:
        existing = db.session.scalar(select(Job).filter_by(key=key))
        if existing is not None:
            return existing
    row = Job(
        name=name,
        key=key,
        args=args,
        max_attempts=kind.max_attempts,
        requested_by_id=getattr(requested_by, "id", None),
        status="queued",
        attempts=0,
        last_error="",
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another process enqueued the same key first
        first = db.session.scalar(select(Job).filter_by(key=key)) if key else None
        if first is None:
            raise
        return first
    dispatch(row)
    return row


def dispatch(row: Job) -> None:
    """Hand a queued ledger row to the configured runner."""
    from .runner import execute

    if backend() == "rq":
        from .rq_backend import push

        push(row)
        return
    job_id, name = row.id, row.name
    # End the caller's read transaction so that it sees what the job writes (SQLite snapshots).
    db.session.commit()
    app = current_app._get_current_object()
    with app.app_context():  # a session of its own: the caller's objects stay as they are
        try:
            execute(job_id, final=True)
        except Exception:
            # Recorded on the ledger row (visible to admins); the caller's use case committed.
            app.logger.exception("Job %s (%s) failed", job_id, name)

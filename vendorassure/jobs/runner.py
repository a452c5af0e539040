"""Run one ledger job: claim the row, call the job function, record the outcome."""

from __future__ import annotations

import contextvars
import time

from flask import current_app
from sqlalchemy import update

from ..extensions import db
from ..models import Job
from ..models._base import utcnow

_current: contextvars.ContextVar[Job | None] = contextvars.ContextVar("va_job", default=None)


def current_job() -> Job | None:
    """The ledger row of the job running now (for jobs that link to their own result)."""
    return _current.get()


def claim(job_id: int) -> bool:
    """Move a queued job to running in one UPDATE; False when another run has it or it is done."""
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(status="running", attempts=Job.attempts + 1, started_at=utcnow())
    ).rowcount
    db.session.commit()
    return claimed == 1


def execute(job_id: int, final: bool = False) -> str:
    """Run a job once if it is still owed; raise on failure so the queue can retry it.

    ``final`` (the in-process runner, which has no later retry) marks a failure as final."""
    from ..observability import record_job
    from . import registry

    app = current_app._get_current_object()
    if not claim(job_id):
        return "skipped"
    row = db.session.get(Job, job_id)
    kind = registry().get(row.name)
    started = time.perf_counter()
    token = _current.set(row)
    try:
        if kind is None:
            raise LookupError(f"unknown job type {row.name!r}")
        result = kind.func(**(row.args or {}))
    except Exception as exc:
        db.session.rollback()
        row = db.session.get(Job, job_id)
        row.last_error = f"{type(exc).__name__}: {exc}"[:4000]
        gave_up = final or row.attempts >= row.max_attempts
        row.status = "failed" if gave_up else "queued"
        row.finished_at = utcnow() if gave_up else None
        db.session.commit()
        record_job(app, row.name, "failed" if gave_up else "retried", started)
        app.logger.warning(
            "job %s %s attempt %s/%s failed: %s",
            job_id, row.name, row.attempts, row.max_attempts, row.last_error,
        )  # fmt: skip
        raise
    finally:
        _current.reset(token)
    row = db.session.get(Job, job_id)
    row.status = "done"
    if kind.keep_args is not None:
        row.args = {k: v for k, v in (row.args or {}).items() if k in kind.keep_args}
    row.result = result if isinstance(result, dict) else None
    row.last_error = ""
    row.finished_at = utcnow()
    db.session.commit()
    record_job(app, row.name, "done", started)
    app.logger.info("job %s %s done", job_id, row.name)
    return "done"


def execute_in_app(job_id: int) -> str:
    """The queue's entry point: run a job in an app context (and session) of its own."""
    from .rq_backend import worker_app

    with worker_app().app_context():
        return execute(job_id)

"""The job ledger for admins: list jobs (failed ones first of all), retry a failed one, rescore."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import JOB_STATUSES, Job
from . import audit
from .access import require_role
from .errors import Conflict, InvalidValues, NotFound


def list_jobs(actor, status: str | None, page: int, per_page: int) -> tuple[list[Job], int]:
    """One page of the ledger, newest first, optionally of one status."""
    require_role(actor, "admin")
    if status is not None and status not in JOB_STATUSES:
        raise InvalidValues(
            f"status must be one of: {', '.join(JOB_STATUSES)}.", {"status": "Unknown."}
        )
    stmt = select(Job)
    if status:
        stmt = stmt.where(Job.status == status)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(Job.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def counts() -> dict[str, int]:
    """How many ledger jobs are in each status (one query)."""
    found = dict(db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    return {s: int(found.get(s, 0)) for s in JOB_STATUSES}


def get_job(actor, job_id: int) -> Job:
    require_role(actor, "admin")
    job = db.session.get(Job, job_id) if isinstance(job_id, int) else None
    if job is None:
        raise NotFound(f"Job {job_id} does not exist.")
    return job


def retry_job(actor, job_id: int) -> Job:
    """Queue a failed job again with a fresh set of attempts (admins)."""
    from .. import jobs

    job = get_job(actor, job_id)
    if job.status != "failed":
        raise Conflict(f"Only failed jobs can be retried; this one is {job.status}.",
                       {"status": job.status})  # fmt: skip
    job.status = "queued"
    job.attempts = 0
    job.finished_at = None
    audit.record(actor, "job.retried", job, details={"name": job.name, "error": job.last_error})
    db.session.commit()
    jobs.dispatch(job)
    return db.session.get(Job, job_id)


def request_rescore(actor, stale_only: bool = False) -> Job:
    """Queue a batch rescore of the portfolio with the model in force (admins)."""
    from .. import jobs

    require_role(actor, "admin")
    audit.record(actor, "scoring.rescore_requested", None, object_type="portfolio",
                 details={"stale_only": stale_only})  # fmt: skip
    db.session.commit()
    return jobs.enqueue("scoring.rescore", requested_by=actor, stale_only=stale_only)

"""The Redis runner: RQ queues the ledger's job ids; `flask --app app worker` executes them."""

from __future__ import annotations

import secrets

from flask import current_app

from ..extensions import db
from ..models._base import utcnow

ENTRY = "vendorassure.jobs.runner.execute_in_app"
_WORKER_APP = None


def redis_url(config) -> str | None:
    return config.get("JOBS_REDIS_URL") or config.get("REDIS_URL")


def connection():
    """One Redis client per app (a connection pool inside)."""
    from redis import Redis

    cache = current_app.extensions.setdefault("vendorassure_redis", {})
    url = redis_url(current_app.config)
    if not url:
        raise RuntimeError("JOBS_BACKEND=rq needs REDIS_URL (or JOBS_REDIS_URL).")
    if url not in cache:
        cache[url] = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return cache[url]


def queue():
    from rq import Queue

    return Queue(current_app.config["JOBS_QUEUE"], connection=connection())


def push(row) -> bool:
    """Put a ledger job on the queue; False (and the row stays queued) when Redis is away."""
    from redis.exceptions import RedisError
    from rq import Retry

    cfg = current_app.config
    retries = max(0, row.max_attempts - row.attempts - 1)
    ref = f"va-{row.id}-{secrets.token_hex(4)}"
    try:
        queue().enqueue(
            ENTRY,
            row.id,
            job_id=ref,
            retry=Retry(max=retries, interval=list(cfg["JOBS_RETRY_DELAYS"])) if retries else None,
            job_timeout=cfg["JOBS_TIMEOUT_SECONDS"],
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=f"{row.name} (ledger job {row.id})",
        )
    except RedisError as exc:
        current_app.logger.error("Could not queue job %s: %s (the sweeper retries)", row.id, exc)
        return False
    row.queue_ref = ref
    row.enqueued_at = utcnow()
    db.session.commit()
    return True


def is_queued(ref: str | None) -> bool:
    """Whether RQ still holds a job of that id in any state but finished or failed."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob

    if not ref:
        return False
    try:
        status = RQJob.fetch(ref, connection=connection()).get_status(refresh=False)
    except NoSuchJobError:
        return False
    return str(getattr(status, "value", status)) in ("queued", "started", "scheduled", "deferred")


def depth() -> dict:
    """Jobs waiting in Redis, running, and failed for good (RQ's own registries)."""
    q = queue()
    return {
        "queued": q.count,
        "started": q.started_job_registry.count,
        "scheduled": q.scheduled_job_registry.count,
        "failed": q.failed_job_registry.count,
    }


def set_worker_app(app) -> None:
    global _WORKER_APP
    _WORKER_APP = app


def worker_app():
    """The app the worker process runs jobs in (made once, from the environment if need be)."""
    global _WORKER_APP
    if _WORKER_APP is None:
        from .. import create_app

        _WORKER_APP = create_app()
    return _WORKER_APP

"""gunicorn settings (`gunicorn -c python:vendorassure.gunicorn_conf app:app`): tell the app how
many workers share the load, refuse per-worker rate limits before any worker starts, and run
the job schedule in the web workers when there is no separate job worker."""

from __future__ import annotations

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)


def on_starting(server):
    """Export the worker count to the app; stop at once if limits would be counted per worker."""
    count = server.cfg.workers
    os.environ["VA_WORKERS"] = str(count)
    uri = os.environ.get("RATELIMIT_STORAGE_URI") or ""
    if uri.startswith("memory://") and count > 1:
        raise SystemExit(
            f"Refusing to start: RATELIMIT_STORAGE_URI=memory:// with {count} workers counts "
            "every rate limit per worker. Unset it (the database is the default) or set REDIS_URL."
        )


def post_worker_init(worker):
    """With the in-process job runner there is no worker process: each web worker runs the
    schedule (the day's reminders, upkeep) itself; the job ledger makes each run happen once."""
    app = worker.wsgi
    config = getattr(app, "config", {})
    if config.get("JOBS_BACKEND") == "inprocess" and config.get("SCHEDULER_ENABLED"):
        from vendorassure.jobs.schedule import start_background

        start_background(app)

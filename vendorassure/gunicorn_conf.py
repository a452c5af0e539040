"""gunicorn settings (`gunicorn -c python:vendorassure.gunicorn_conf app:app`): tell the app how
many workers share the load, and refuse per-worker rate limits before any worker starts."""

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

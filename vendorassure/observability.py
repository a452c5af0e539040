"""Health, readiness, metrics and structured logs: what an operator's tools ask of each host.

- `/healthz`: the process answers (no dependency is touched, so a slow database never makes
  the balancer kill healthy processes).
- `/readyz`: the database, Redis (where configured) and the evidence store answer; 503 otherwise,
  `{"status", "checks": {"database": "ok", "redis": ..., "store": ...}}`.
- `/metrics`: Prometheus text (requests, latency, jobs, queue depth) when METRICS_ENABLED; with
  several gunicorn workers set PROMETHEUS_MULTIPROC_DIR so that every worker's counts are summed.
- Every request gets an id (a well-formed incoming X-Request-ID, else a new one), echoed in the
  response and in each log line; LOG_FORMAT=json writes one JSON object per line.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid

from flask import Blueprint, Response, current_app, g, has_request_context, jsonify, request

bp = Blueprint("ops", __name__)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ACCESS = logging.getLogger("vendorassure.request")
STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any extra fields."""

    def __init__(self, host: str = ""):
        super().__init__()
        self.host = host

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "host": self.host,
        }
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        for key, value in record.__dict__.items():
            if key not in STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


JsonFormatter.converter = time.gmtime


def configure_logging(app) -> None:
    """Send the app's logs (and the request log) to stderr as JSON lines when LOG_FORMAT=json."""
    if app.config["LOG_FORMAT"] != "json":
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_vendorassure", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler._vendorassure = True
    handler.setFormatter(JsonFormatter(app.config.get("HOST_NAME", "")))
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    app.logger.setLevel(app.config["LOG_LEVEL"])
    app.logger.handlers.clear()  # propagate to the root handler only: one line per event


class Metrics:
    """The app's Prometheus metrics, in a registry of their own (several apps per process)."""

    def __init__(self):
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        target = None if multiprocess else self.registry
        self.requests = Counter(
            "va_http_requests_total", "HTTP requests", ["method", "endpoint", "status"],
            registry=target,
        )  # fmt: skip
        self.latency = Histogram(
            "va_http_request_duration_seconds", "Request latency", ["method", "endpoint"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=target,
        )  # fmt: skip
        self.jobs = Counter("va_jobs_total", "Background jobs run", ["name", "outcome"],
                            registry=target)  # fmt: skip
        self.job_time = Histogram("va_job_duration_seconds", "Job run time", ["name"],
                                  registry=target)  # fmt: skip
        if multiprocess:
            from prometheus_client import multiprocess as mp

            mp.MultiProcessCollector(self.registry)

    def exposition(self, app) -> bytes:
        """The metrics text, with the queue depth read now from the ledger and Redis."""
        from prometheus_client import generate_latest

        lines = [
            "# HELP va_jobs_ledger Background jobs in the ledger by status",
            "# TYPE va_jobs_ledger gauge",
        ]
        from .services.jobs import counts

        for status, count in counts().items():
            lines.append(f'va_jobs_ledger{{status="{status}"}} {count}')
        if app.config.get("JOBS_BACKEND") == "rq":
            from .jobs.rq_backend import depth

            lines += [
                "# HELP va_queue_depth Jobs in the Redis queue",
                "# TYPE va_queue_depth gauge",
            ]
            try:
                for state, count in depth().items():
                    lines.append(f'va_queue_depth{{state="{state}"}} {count}')
            except Exception:  # noqa: BLE001  (metrics must answer even when Redis does not)
                lines.append("va_queue_depth_error 1")
        return generate_latest(self.registry) + ("\n".join(lines) + "\n").encode()


def metrics(app) -> Metrics | None:
    if not app.config.get("METRICS_ENABLED"):
        return None
    if "vendorassure_metrics" not in app.extensions:
        app.extensions["vendorassure_metrics"] = Metrics()
    return app.extensions["vendorassure_metrics"]


def record_job(app, name: str, outcome: str, started: float) -> None:
    m = metrics(app)
    if m is not None:
        m.jobs.labels(name, outcome).inc()
        m.job_time.labels(name).observe(time.perf_counter() - started)


def register(app) -> None:
    """Request ids, the request log and metrics on every request; trust the balancer's headers."""
    configure_logging(app)
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        started = g.get("request_started")
        if started is None:
            return response
        elapsed = time.perf_counter() - started
        response.headers["X-Request-ID"] = g.request_id
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        m = metrics(app)
        if m is not None and request.endpoint != "ops.metrics_text":
            m.requests.labels(request.method, endpoint, str(response.status_code)).inc()
            m.latency.labels(request.method, endpoint).observe(elapsed)
        ACCESS.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
                "remote": request.remote_addr,
            },
        )
        return response


@bp.get("/healthz")
def healthz():
    """Liveness: the process is up and serving."""
    return jsonify({"status": "ok"})


def _check(name: str, fn) -> str:
    try:
        fn()
        return "ok"
    except Exception as exc:  # noqa: BLE001  (any failure means not ready; say which)
        # The answer is public: the kind of failure only; hosts and details go to the log.
        current_app.logger.warning("readiness: %s failed: %s", name, exc)
        return f"error: {type(exc).__name__}"


def _database() -> None:
    from sqlalchemy import text

    from .extensions import db

    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.rollback()


def _redis() -> None:
    from redis import Redis

    url = current_app.config.get("JOBS_REDIS_URL") or current_app.config.get("REDIS_URL")
    client = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def _store() -> None:
    from .storage import get_storage

    get_storage().check()


@bp.get("/readyz")
def readyz():
    """Readiness: the database, Redis (where configured) and the evidence store all answer."""
    cfg = current_app.config
    uses_redis = bool(cfg.get("REDIS_URL") or cfg.get("JOBS_REDIS_URL"))
    checks = {
        "database": _check("database", _database),
        "redis": _check("redis", _redis) if uses_redis else "not configured",
        "store": _check("store", _store),
    }
    ready = all(v in ("ok", "not configured") for v in checks.values())
    response = jsonify({"status": "ready" if ready else "not ready", "checks": checks})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def metrics_text():
    """Prometheus metrics, when METRICS_ENABLED (keep /metrics off the public balancer)."""
    m = metrics(current_app)
    if m is None:
        return jsonify(
            {"error": {"code": "not_found", "message": "Metrics are off.", "fields": {}}}
        ), 404
    return Response(m.exposition(current_app), mimetype="text/plain; version=0.0.4")

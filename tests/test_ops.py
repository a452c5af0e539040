"""Health, readiness, metrics, request ids and JSON logs; production refuses a missing secret."""

from __future__ import annotations

import json
import logging

import pytest

from tests.processes import free_port, redis_server
from vendorassure.config import check_production_env, load_settings
from vendorassure.observability import JsonFormatter


def test_healthz_answers_without_touching_anything(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


def test_readyz_reports_each_dependency(app, client):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "not configured", "store": "ok"},
    }


def test_readyz_is_503_when_redis_or_the_store_is_away(app, client, tmp_path):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    before = app.config["EVIDENCE_DIR"]
    app.config["EVIDENCE_DIR"] = str(blocker / "evidence")
    try:
        r = client.get("/readyz")
    finally:
        app.config.update(REDIS_URL=None, EVIDENCE_DIR=before)
    assert r.status_code == 503
    checks = r.get_json()["checks"]
    assert checks["database"] == "ok"
    assert checks["redis"].startswith("error: ConnectionError")
    assert checks["store"].startswith("error: StoreError")


def test_readyz_with_a_live_redis(app, client):
    with redis_server() as url:
        app.config["REDIS_URL"] = url
        try:
            assert client.get("/readyz").get_json()["checks"]["redis"] == "ok"
        finally:
            app.config["REDIS_URL"] = None


def test_metrics_are_off_unless_enabled_then_count_requests_and_jobs(app, client, make, api):
    assert client.get("/metrics").status_code == 404
    app.config["METRICS_ENABLED"] = True
    try:
        client.get("/healthz")
        client.get("/healthz")
        api(make.user("risk")).post("/exports", {"kind": "portfolio"})
        text = client.get("/metrics").get_data(as_text=True)
    finally:
        app.config["METRICS_ENABLED"] = False
        app.extensions.pop("vendorassure_metrics", None)
    assert 'va_http_requests_total{endpoint="/healthz",method="GET",status="200"} 2.0' in text
    assert "va_http_request_duration_seconds_bucket" in text
    assert 'va_jobs_total{name="exports.build",outcome="done"} 1.0' in text
    assert 'va_jobs_ledger{status="done"}' in text


def test_request_id_is_kept_or_made_and_echoed(client):
    assert client.get("/healthz", headers={"X-Request-ID": "lb-123.abc"}).headers[
        "X-Request-ID"
    ] == ("lb-123.abc")
    made = client.get("/healthz", headers={"X-Request-ID": "bad id <script>" + "x" * 80}).headers[
        "X-Request-ID"
    ]
    assert len(made) == 32 and made.isalnum()


def test_json_log_lines_carry_the_request_id(app, client):
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(JsonFormatter("app-1").format(record))

    handler = Keep()
    logger = logging.getLogger("vendorassure.request")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.disabled = False  # alembic's fileConfig (the migration tests) disables loggers
    try:
        client.get("/healthz", headers={"X-Request-ID": "req-42"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    line = json.loads(records[-1])
    assert line["request_id"] == "req-42" and line["host"] == "app-1"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
    assert line["level"] == "info" and line["duration_ms"] >= 0


def test_production_needs_a_real_secret_key_from_the_environment(tmp_path, monkeypatch):
    for env in ({}, {"SECRET_KEY": "short"}):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            check_production_env(env)
    monkeypatch.setenv("VA_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError):
        load_settings(str(tmp_path))
    assert not (tmp_path / "secret_key").exists()  # nothing generated on the side
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    assert load_settings(str(tmp_path))["SECRET_KEY"] == "k" * 64


def test_deployment_settings_are_read_and_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("EVIDENCE_STORE", "s3://bucket/prefix")
    monkeypatch.setenv("EVIDENCE_S3_SSE", "none")
    monkeypatch.setenv("JOBS_BACKEND", "RQ")
    monkeypatch.setenv("JOBS_RETRY_DELAYS", "5, 30")
    monkeypatch.setenv("PROXY_HOPS", "1")
    s = load_settings(str(tmp_path))
    assert (s["EVIDENCE_STORE"], s["EVIDENCE_S3_SSE"], s["JOBS_BACKEND"]) == (
        "s3://bucket/prefix", "", "rq",
    )  # fmt: skip
    assert s["JOBS_RETRY_DELAYS"] == (5, 30) and s["PROXY_HOPS"] == 1
    assert load_settings.__module__ == "vendorassure.config"
    for name, bad in (
        ("JOBS_BACKEND", "celery"),
        ("LOG_FORMAT", "xml"),
        ("JOBS_RETRY_DELAYS", "a"),
    ):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ValueError, match=name):
            load_settings(str(tmp_path))
        monkeypatch.delenv(name)


def test_behind_a_balancer_the_client_address_comes_from_x_forwarded_for(tmp_path, database_url):
    from flask import request

    from vendorassure import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "PROXY_HOPS": 1})
    app.add_url_rule("/_ip", "ip", lambda: request.remote_addr)
    client = app.test_client()
    assert client.get("/_ip", headers={"X-Forwarded-For": "203.0.113.9"}).data == b"203.0.113.9"

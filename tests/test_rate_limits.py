"""Rate limits are counted once for all workers: in the database by default, in Redis when
REDIS_URL is set; memory:// (per worker) is refused with several workers in production.

Redis: these tests start a redis-server of their own on a free port (the Debian package
redis-server, which .ci/run installs), or use VA_TEST_REDIS_URL when it is set; they never skip."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from tests.processes import ROOT, app_process, free_port, redis_server
from vendorassure import create_app
from vendorassure.ratelimit import DatabaseStorage

LIMIT = 5


@pytest.fixture(scope="module")
def redis_url():
    if os.environ.get("VA_TEST_REDIS_URL"):
        yield os.environ["VA_TEST_REDIS_URL"]
        return
    with redis_server() as url:
        yield url


def _post_token(base: str) -> int:
    request = urllib.request.Request(  # noqa: S310  (loopback test server)
        f"{base}/api/v1/tokens",
        data=b'{"email": "nobody@example.com", "password": "wrong"}',
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _two_instances(database_url, tmp_path, extra_env) -> list[int]:
    """Alternate 12 token requests between two app processes on one database."""
    env = {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path),
        "LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_KEY_PREFIX": f"test{free_port()}",  # a fresh window for each run
        "RATELIMIT_STORAGE_URI": "",
        "REDIS_URL": "",
        **extra_env,
    }
    with app_process(env) as one, app_process(env) as two:
        return [_post_token(base) for _ in range(6) for base in (one, two)]


def test_two_app_processes_share_the_database_count(app, database_url, tmp_path):
    statuses = _two_instances(database_url, tmp_path, {})
    print("database:// statuses", statuses)
    assert statuses.count(401) == LIMIT and statuses.count(429) == 12 - LIMIT, statuses


def test_two_app_processes_share_the_redis_count(app, database_url, tmp_path, redis_url):
    statuses = _two_instances(database_url, tmp_path, {"REDIS_URL": redis_url})
    print("redis statuses", statuses)
    assert statuses.count(401) == LIMIT and statuses.count(429) == 12 - LIMIT, statuses


def test_memory_storage_counts_per_process(app, database_url, tmp_path):
    """The control: with memory:// each process allows the limit on its own (why it is refused)."""
    statuses = _two_instances(database_url, tmp_path, {"RATELIMIT_STORAGE_URI": "memory://"})
    assert statuses.count(401) == 2 * LIMIT, statuses


def test_database_storage_counts_every_concurrent_hit_once(app):
    storage = DatabaseStorage("database://")
    limiter = FixedWindowRateLimiter(storage)
    item = parse("20 per minute")
    barrier = threading.Barrier(8)
    allowed, errors = [], []

    def hit():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                for _ in range(5):
                    allowed.append(limiter.hit(item, "concurrent"))
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert allowed.count(True) == 20 and allowed.count(False) == 20
    with app.app_context():
        assert storage.get(item.key_for("concurrent")) == 40


def test_database_storage_window_expires_and_clears(app, monkeypatch):
    import vendorassure.ratelimit as ratelimit

    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit, "time", type("Clock", (), {"time": lambda: now[0]}))
    storage = DatabaseStorage("database://")
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get_expiry("k") == 1_000_060.0
    now[0] += 61
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1 and storage.get_expiry("k") == 1_000_121.0
    long_key = "x" * 1000
    assert storage.incr(long_key, 60) == 1 and storage.get(long_key) == 1
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()


def test_default_storage_is_the_database_and_redis_url_wins(app, database_url):
    assert app.config["RATELIMIT_STORAGE_URI"] == "database://"
    from vendorassure.ratelimit import storage_uri

    assert storage_uri({"REDIS_URL": "redis://r:6379/1"}) == "redis://r:6379/1"
    assert storage_uri({"REDIS_URL": "redis://r", "RATELIMIT_STORAGE_URI": "memory://"}) == (
        "memory://"
    )


def test_memory_storage_with_several_workers_refuses_to_start(database_url):
    with pytest.raises(RuntimeError, match="memory://"):
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "RATELIMIT_STORAGE_URI": "memory://",
                "WORKERS": 2,
            }
        )


def test_gunicorn_refuses_memory_storage_with_two_workers(tmp_path):
    env = {
        **os.environ,
        "RATELIMIT_STORAGE_URI": "memory://",
        "INSTANCE_PATH": str(tmp_path),
        "BIND": f"127.0.0.1:{free_port()}",
    }
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:vendorassure.gunicorn_conf",
            "-w",
            "2",
            "app:app",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "memory://" in result.stderr + result.stdout

"""The Redis runner (JOBS_BACKEND=rq) against a real redis-server: jobs wait in the queue for
a worker, failures are retried with their delays, a job delivered twice runs once, the sweeper
recovers jobs of a dead worker or a lost message, and the queue drains."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.processes import redis_server
from vendorassure import jobs
from vendorassure.extensions import db
from vendorassure.jobs import rq_backend
from vendorassure.jobs.schedule import sweep
from vendorassure.models import Job
from vendorassure.models._base import utcnow
from vendorassure.services import vendors as vendor_service

CALLS: list[int] = []


@jobs.job("test.flaky", "Flaky test job", max_attempts=3)
def flaky(fail_times: int) -> dict:
    """Fail the first `fail_times` calls (a test job)."""
    CALLS.append(1)
    if len(CALLS) <= fail_times:
        raise RuntimeError(f"flaky failure {len(CALLS)}")
    return {"calls": len(CALLS)}


@pytest.fixture(scope="module")
def redis_url():
    if os.environ.get("VA_TEST_REDIS_URL"):
        yield os.environ["VA_TEST_REDIS_URL"]
        return
    with redis_server() as url:
        yield url


@pytest.fixture
def rq_app(app, redis_url, tmp_path):
    app.config.update(
        JOBS_BACKEND="rq",
        REDIS_URL=redis_url,
        JOBS_QUEUE=f"test-{os.getpid()}",
        JOBS_RETRY_DELAYS=(0,),
        MAIL_OUTBOX_DIR=str(tmp_path / "outbox"),
    )
    app.extensions.pop("vendorassure_redis", None)
    rq_backend.connection().flushdb()
    rq_backend.set_worker_app(app)
    CALLS.clear()
    yield app
    app.config.update(REDIS_URL=None)
    app.extensions.pop("vendorassure_redis", None)


def work(app) -> None:
    """Run a burst worker in this process until the queue is empty (RQ's own worker class)."""
    from rq import SimpleWorker

    worker = SimpleWorker([rq_backend.queue()], connection=rq_backend.connection())
    worker.work(burst=True, with_scheduler=True, logging_level="ERROR")
    db.session.expire_all()


def outbox(app) -> list[Path]:
    return sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))


def test_mail_waits_in_redis_until_a_worker_delivers_it_once(rq_app, make):
    buyer = make.user("procurement")
    vendor_service.add_contact(buyer, make.vendor(actor=buyer), "dana@v.example")
    [job] = db.session.scalars(select(Job).filter_by(name="mail.deliver")).all()
    assert job.status == "queued" and job.queue_ref.startswith(f"va-{job.id}-")
    assert rq_backend.depth()["queued"] == 1 and outbox(rq_app) == []
    # The same ledger job handed to the queue twice (a duplicate message) is delivered once.
    rq_backend.push(job)
    assert rq_backend.depth()["queued"] == 2
    work(rq_app)
    assert db.session.get(Job, job.id).status == "done"
    assert len(outbox(rq_app)) == 1
    assert rq_backend.depth() == {"queued": 0, "started": 0, "scheduled": 0, "failed": 0}


def test_a_failing_job_is_retried_then_succeeds(rq_app):
    row = jobs.enqueue("test.flaky", fail_times=2)
    work(rq_app)
    row = db.session.get(Job, row.id)
    assert (row.status, row.attempts, row.result) == ("done", 3, {"calls": 3})


def test_a_job_failing_every_attempt_is_failed_in_the_ledger_and_in_rq(rq_app, make, api):
    row = jobs.enqueue("test.flaky", fail_times=99)
    work(rq_app)
    row = db.session.get(Job, row.id)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "flaky failure 3" in row.last_error
    assert rq_backend.depth()["failed"] == 1
    listed = api(make.user("admin")).get("/jobs?status=failed").get_json()
    assert [j["id"] for j in listed["items"]] == [row.id]


def test_the_sweeper_recovers_a_dead_workers_job_and_a_lost_message(rq_app):
    dead = jobs.enqueue("test.flaky", fail_times=0)
    lost = jobs.enqueue("test.flaky", fail_times=0)
    rq_backend.connection().flushdb()  # Redis lost both messages
    # The first was being run by a worker that died: running, started long ago.
    row = db.session.get(Job, dead.id)
    row.status, row.attempts = "running", 1
    row.started_at = utcnow() - timedelta(hours=1)
    db.session.get(Job, lost.id).enqueued_at = utcnow() - timedelta(hours=1)
    db.session.get(Job, lost.id).created_at = utcnow() - timedelta(hours=1)
    db.session.get(Job, dead.id).created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert sweep(utcnow()) == 2
    assert sweep(utcnow()) == 0  # now queued in Redis again: nothing more to do
    work(rq_app)
    assert [db.session.get(Job, j.id).status for j in (dead, lost)] == ["done", "done"]
    assert db.session.get(Job, dead.id).attempts == 2


def test_enqueue_survives_redis_being_away(rq_app, make):
    rq_app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    rq_app.extensions.pop("vendorassure_redis", None)
    buyer = make.user("procurement")
    user, _ = vendor_service.add_contact(buyer, make.vendor(actor=buyer), "x@v.example")
    assert user.id  # the use case went through; the mail waits on the ledger
    [job] = db.session.scalars(select(Job).filter_by(name="mail.deliver")).all()
    assert job.status == "queued" and job.queue_ref is None


def test_worker_command_runs_the_queue(rq_app):
    row = jobs.enqueue("test.flaky", fail_times=0)
    result = rq_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Job, row.id).status == "done"

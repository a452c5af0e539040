"""The in-process runner (the embedded default): mail, reminders, exports and rescore run as
ledger jobs at once, a done job is never run twice, and failures wait for an admin's retry."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import delete, func, select

from tests.conftest import login
from tests.processes import free_port
from vendorassure import jobs
from vendorassure.extensions import db
from vendorassure.jobs.runner import execute
from vendorassure.jobs.schedule import tick
from vendorassure.models import Job, Reminder
from vendorassure.services import vendors as vendor_service


@pytest.fixture(autouse=True)
def _no_reminders_left(app):
    yield
    db.session.rollback()
    db.session.execute(delete(Reminder))
    db.session.commit()


@pytest.fixture
def outbox(app, tmp_path):
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")

    def messages():
        return [
            message_from_bytes(p.read_bytes())
            for p in sorted(Path(tmp_path / "outbox").glob("*.eml"))
        ]

    return messages


def _jobs(name=None):
    stmt = select(Job).order_by(Job.id)
    if name:
        stmt = stmt.where(Job.name == name)
    return db.session.scalars(stmt).all()


def test_an_invitation_is_a_mail_job_delivered_once(app, make, outbox):
    buyer = make.user("procurement")
    vendor = make.vendor(actor=buyer)
    vendor_service.add_contact(buyer, vendor, "dana@v.example", "Dana")
    [job] = _jobs("mail.deliver")
    assert job.status == "done" and job.attempts == 1
    [msg] = outbox()
    assert msg["To"] == "dana@v.example" and msg["Message-ID"] == job.args["message_id"]
    # The body held a single-use link: it is not kept on the ledger once delivered.
    assert set(job.args) == {"to", "subject", "message_id"}
    # A second delivery of the same job (a retried or duplicated message) sends nothing.
    assert execute(job.id) == "skipped"
    again = jobs.enqueue("mail.deliver", key=job.key, to="x@y.example", subject="s", body="b")
    assert again.id == job.id
    assert len(outbox()) == 1


def test_a_failed_mail_is_shown_to_admins_and_sent_once_on_retry(app, make, api, outbox):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens
    buyer = make.user("procurement")
    vendor = make.vendor(actor=buyer)
    contact, link = vendor_service.add_contact(buyer, vendor, "dana@v.example")
    assert contact.id and link  # the use case itself succeeded
    [job] = _jobs("mail.deliver")
    assert job.status == "failed" and "ConnectionRefusedError" in job.last_error
    assert "body" in job.args  # kept for the retry
    admin = api(make.user("admin"))
    listed = admin.get("/jobs?status=failed").get_json()
    assert [j["id"] for j in listed["items"]] == [job.id] and listed["total"] == 1
    assert api(buyer).get("/jobs").status_code == 403
    app.config.update(MAIL_SERVER=None, MAIL_PORT=25)
    r = admin.post(f"/jobs/{job.id}/retry")
    assert r.status_code == 200 and r.get_json()["status"] == "done"
    assert r.get_json()["attempts"] == 1
    assert admin.post(f"/jobs/{job.id}/retry").status_code == 409
    assert [m["To"] for m in outbox()] == ["dana@v.example"]


def test_admin_page_lists_failed_jobs_with_their_error_and_retries(app, make, client, outbox):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    buyer = make.user("procurement")
    vendor_service.add_contact(buyer, make.vendor(actor=buyer), "eve@v.example")
    [job] = _jobs("mail.deliver")
    login(client, make.user("admin"))
    page = client.get("/admin/jobs?status=failed").get_data(as_text=True)
    assert "Email to eve@v.example" in page and "ConnectionRefusedError" in page
    assert 'id="count-failed">1<' in page
    app.config.update(MAIL_SERVER=None, MAIL_PORT=25)
    r = client.post(f"/admin/jobs/{job.id}/retry", data={})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "done" and len(outbox()) == 1


def test_the_schedule_sends_the_days_reminders_once_without_cron(app, make, outbox):
    vendor = make.vendor()
    a = make.assessment(vendor)
    make.user("vendor", vendor=vendor, email="a@v.example")
    before_due = datetime.combine(a.due_date - timedelta(days=2), datetime.min.time())
    early = tick(before_due.replace(hour=6))
    assert early["enqueued"] == [
        f"exports.expire:{before_due:%Y-%m-%d}T06",
        f"snapshots.prune:{before_due:%Y-%m-%d}T06",
    ]
    result = tick(before_due.replace(hour=8))
    assert f"reminders.send:{before_due:%Y-%m-%d}" in result["enqueued"]
    [job] = _jobs("reminders.send")
    assert job.status == "done" and job.result == {"sent": 1, "skipped_no_contact": 0}
    assert [m["To"] for m in outbox() if "Reminder" in m["Subject"]] == ["a@v.example"]
    assert tick(before_due.replace(hour=9))["enqueued"] == [
        f"exports.expire:{before_due:%Y-%m-%d}T09",
        f"snapshots.prune:{before_due:%Y-%m-%d}T09",
    ]
    assert len(_jobs("reminders.send")) == 1


def test_export_is_prepared_as_a_job_and_linked_when_ready(app, make, api, outbox):
    make.submitted()
    risk = make.user("risk")
    client = api(risk)
    r = client.post("/exports", {"kind": "portfolio"})
    assert r.status_code == 202
    body = r.get_json()
    assert body["status"] == "done"  # in-process: ready by the time the request answers
    assert body["download_url"] == f"/api/v1/exports/{body['id']}/download"
    got = client.get(f"/exports/{body['id']}/download")
    assert got.status_code == 200 and got.headers["Content-Disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(got.data), read_only=True)
    assert book.sheetnames
    [mail] = [m for m in outbox() if m["To"] == risk.email]
    assert f"/reports/exports/{body['id']}" in mail.get_payload(decode=True).decode()
    # Only the person who asked sees it; unknown kinds and missing ids are refused.
    assert api(make.user("risk")).get(f"/exports/{body['id']}").status_code == 404
    assert client.post("/exports", {"kind": "assessment"}).status_code == 422
    assert client.post("/exports", {"kind": "nope"}).status_code == 400
    assert client.post("/exports", {"kind": "portfolio", "assessment_id": 1}).status_code == 422


def test_expired_exports_lose_their_file(app, make, api):
    from vendorassure.services.exports import expire

    client = api(make.user("procurement"))
    job_id = client.post("/exports", {"kind": "evidence_pack"}).get_json()["id"]
    assert expire(timedelta(hours=-1)) == 1
    assert client.get(f"/exports/{job_id}").get_json()["download_url"] is None
    assert client.get(f"/exports/{job_id}/download").status_code == 404


def test_assessment_export_job_and_the_web_pages(app, make, client):
    a, _ = make.submitted()
    user = make.user("risk")
    login(client, user)
    r = client.post("/reports/exports", data={"kind": "portfolio"})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Ready." in page and 'id="export-download"' in page and "refresh" not in page
    job_id = int(r.headers["Location"].rsplit("/", 1)[1])
    assert client.get(f"/reports/exports/{job_id}/download").status_code == 200
    assert "Portfolio register" in client.get("/reports/exports").get_data(as_text=True)
    from vendorassure.services.exports import request_export

    job = request_export(user, "assessment", a.id)
    assert job.status == "done" and job.result["filename"] == f"assessment-{a.id}.xlsx"


def test_rescore_runs_as_a_job_for_admins(app, make, api):
    make.submitted()
    r = api(make.user("admin")).post("/scoring/rescore", {})
    assert r.status_code == 202
    body = r.get_json()
    assert body["name"] == "scoring.rescore" and body["status"] == "done"
    assert body["result"]["assessments"] == 1
    assert api(make.user("risk")).post("/scoring/rescore", {}).status_code == 403


def test_unknown_status_filter_is_refused(app, make, api):
    r = api(make.user("admin")).get("/jobs?status=lost")
    assert r.status_code == 422
    assert db.session.scalar(select(func.count(Job.id))) == 0

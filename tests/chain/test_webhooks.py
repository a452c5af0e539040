"""Outgoing webhooks received on a loopback HTTP server: signatures verified, retries with
backoff as background jobs, deliveries visible with their responses, replay."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import answer_all
from vendorassure.jobs.schedule import tick
from vendorassure.models import Job, WebhookDelivery, WebhookEndpoint
from vendorassure.models._base import utcnow
from vendorassure.services import assessments, change_events, webhooks


class Receiver:
    """A loopback HTTP server that records every request and answers with planned statuses."""

    def __init__(self):
        self.requests: list[dict] = []
        self.plan: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}  # names are case-blind
                receiver.requests.append({"headers": headers, "body": body,
                                          "path": self.path})  # fmt: skip
                status = receiver.plan.pop(0) if receiver.plan else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if status == 200 else b"try later")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/va"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # loopback; put back after the test
    r = Receiver()
    yield r
    r.close()


def _check_signature(secret: str, req: dict) -> dict:
    header = req["headers"]["vendorassure-signature"]
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + req["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    assert webhooks.verify(secret, header, req["body"])
    assert not webhooks.verify(secret, header, req["body"] + b" ")
    assert not webhooks.verify("whsec_wrong", header, req["body"])
    return json.loads(req["body"])


def test_signed_deliveries_reach_a_loopback_receiver(make, api, receiver, db):
    admin = api(make.user("admin"))
    r = admin.post("/webhooks", {"url": receiver.url, "description": "SIEM",
                                 "events": ["assessment.submitted", "change_event.reported",
                                            "rating.changed"]})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    secret = r.get_json()["secret"]
    assert secret.startswith("whsec_")
    assert "secret" not in admin.get("/webhooks").get_json()["items"][0]

    a, contact = make.submitted(level="low", best=True)
    change_events.report_change(contact, a.vendor, "incident", "Outage, 2 hours.", None, "portal")
    assert receiver.requests == []  # nothing leaves inside the request that made the change
    tick()  # the schedule enqueues the dispatch; in-process, the deliveries run at once
    got = sorted(_check_signature(secret, q)["type"] for q in receiver.requests)
    assert got == ["assessment.submitted", "change_event.reported"]
    first = next(q for q in receiver.requests if b"assessment.submitted" in q["body"])
    payload = json.loads(first["body"])
    assert payload["data"]["assessment_id"] == a.id and payload["id"].startswith("evt_")
    assert first["headers"]["vendorassure-event"] == "assessment.submitted"
    assert first["path"] == "/hooks/va"
    listed = admin.get(f"/webhooks/{r.get_json()['id']}/deliveries").get_json()
    assert listed["total"] == 2
    assert {d["status"] for d in listed["items"]} == {"delivered"}
    assert {d["response_status"] for d in listed["items"]} == {200}
    assert listed["items"][0]["response_body"] == '{"ok": true}'
    assert db.session.query(Job).filter_by(name="webhooks.deliver", status="done").count() == 2


def test_a_failing_receiver_is_retried_with_backoff_then_replayed(make, api, receiver, db, app):
    admin_user = make.user("admin")
    ep = webhooks.create_endpoint(admin_user, receiver.url, ["assessment.submitted"])
    receiver.plan = [500, 503]
    make.submitted(level="low", best=True)
    webhooks.dispatch_due()
    d = db.session.query(WebhookDelivery).one()
    assert (d.status, d.attempts, d.response_status, d.response_body) == (
        "retrying", 1, 500, "try later")  # fmt: skip
    delays = app.config["WEBHOOK_RETRY_DELAYS"]
    wait = (d.next_attempt_at - utcnow()).total_seconds()
    assert delays[0] - 5 <= wait <= delays[0]
    assert webhooks.dispatch_due() == 0  # not due yet: nothing is sent
    assert len(receiver.requests) == 1
    webhooks.dispatch_due(utcnow() + timedelta(seconds=delays[0] + 1))
    db.session.expire_all()
    d = db.session.get(WebhookDelivery, d.id)
    assert (d.status, d.attempts, d.response_status) == ("retrying", 2, 503)
    assert (d.next_attempt_at - utcnow()).total_seconds() > delays[0]  # the pause grows
    webhooks.dispatch_due(utcnow() + timedelta(seconds=delays[1] + 1))
    db.session.expire_all()
    d = db.session.get(WebhookDelivery, d.id)
    assert (d.status, d.attempts, d.response_status) == ("delivered", 3, 200)
    bodies = {q["body"] for q in receiver.requests}
    assert len(bodies) == 1 and len(receiver.requests) == 3  # the same event each time
    for q in receiver.requests:
        _check_signature(ep.secret, q)

    r = api(admin_user).post(f"/webhook-deliveries/{d.id}/replay")
    assert r.status_code == 201
    replay = r.get_json()
    assert replay["replay_of_id"] == d.id and replay["status"] == "delivered"
    assert replay["event_id"] == d.event_id and len(receiver.requests) == 4
    assert _check_signature(ep.secret, receiver.requests[-1])["id"] == d.event_id


def test_a_receiver_that_never_answers_is_given_up_after_the_last_delay(make, receiver, db, app):
    app.config["WEBHOOK_RETRY_DELAYS"] = (1, 2)
    webhooks.create_endpoint(make.user("admin"), receiver.url, ["assessment.submitted"])
    receiver.plan = [500, 500, 500, 500]
    make.submitted(level="low", best=True)
    for step in range(3):
        webhooks.dispatch_due(utcnow() + timedelta(seconds=10 * step))
    d = db.session.query(WebhookDelivery).one()
    assert (d.status, d.attempts, d.next_attempt_at) == ("failed", 3, None)
    webhooks.dispatch_due(utcnow() + timedelta(days=1))
    assert len(receiver.requests) == 3


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://example.com/a\r\nX-Injected: 1",
        "https://user:pw@example.com/hook",
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/hook",
    ],
)
def test_endpoint_addresses_are_refused_outside_public_http(make, api, url, db):
    r = api(make.user("admin")).post("/webhooks", {"url": url, "events": ["rating.changed"]})
    assert r.status_code in (400, 422), (url, r.get_json())
    assert db.session.query(WebhookDelivery).count() == 0
    assert api(make.user("admin")).get("/webhooks").get_json()["total"] == 0


def test_webhook_admin_refuses_unknown_events_and_other_roles(make, api):
    admin = api(make.user("admin"))
    body = {"url": "https://hooks.example.com/va", "events": ["rocket.launched"]}
    assert admin.post("/webhooks", body).status_code == 422
    assert admin.post("/webhooks", body | {"events": []}).status_code == 422
    assert api(make.user("risk")).post("/webhooks", body).status_code == 403
    ok = admin.post("/webhooks", body | {"events": ["finding.opened", "finding.closed"]})
    assert ok.status_code == 201
    wid = ok.get_json()["id"]
    assert admin.patch(f"/webhooks/{wid}", {"active": False}).get_json()["active"] is False
    assert admin.get(f"/webhooks/{wid + 1000}/deliveries").status_code == 404
    assert admin.delete(f"/webhooks/{wid}").status_code == 204


def test_rating_changes_and_findings_become_events(make, receiver, db):
    from vendorassure.services import findings

    ep = webhooks.create_endpoint(
        make.user("admin"), receiver.url, ["rating.changed", "finding.opened", "finding.closed"]
    )
    vendor = make.vendor(level="low")
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=True)
    assessments.submit_assessment(contact, a)  # first score: no change to announce
    risk = make.user("risk")
    assessments.review_assessment(risk, a, "start")
    f = findings.create_finding(risk, a, {"title": "Gap", "severity": "low"})
    findings.update_finding(risk, f, {"status": "closed"})
    assessments.review_assessment(risk, a, "complete", "", override_rating="high",
                                  override_reason="Our call.", proposed="dismiss",
                                  dismiss_reason="Covered by our own controls.")  # fmt: skip
    webhooks.dispatch_due()
    events = [_check_signature(ep.secret, q) for q in receiver.requests]
    types = [e["type"] for e in events]
    mine = [e["type"] for e in events if e["data"]["object"]["id"] == f.id]
    assert types.count("finding.opened") == 1 and mine.count("finding.closed") == 1
    # a weak upstream provider raises the rating: that is announced too
    from vendorassure.services import supply_chain

    provider, _ = make.submitted(level="high", best=False)
    supply_chain.add_link(make.user("procurement"), vendor, provider.vendor_id, "hosting")
    webhooks.dispatch_due()
    changed = [json.loads(q["body"]) for q in receiver.requests if b"rating.changed" in q["body"]]
    assert [(c["data"]["assessment_id"], c["data"]["from"], c["data"]["to"]) for c in changed] == [
        (a.id, "low", "medium")
    ]


def test_webhook_pages_register_show_the_secret_once_and_replay(make, client, receiver, db):
    from tests.conftest import login

    login(client, make.user("admin"))
    r = client.post("/chain/webhooks", data={"url": receiver.url, "description": "SIEM",
                                             "events": ["assessment.submitted"]})  # fmt: skip
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="webhook-secret">whsec_' in html
    assert "whsec_" not in client.get("/chain/webhooks").get_data(as_text=True)
    bad = client.post("/chain/webhooks", data={"url": "file:///etc/passwd",
                                               "events": ["assessment.submitted"]})  # fmt: skip
    assert "http" in bad.get_data(as_text=True) and db.session.query(WebhookDelivery).count() == 0
    make.submitted(level="low", best=True)
    webhooks.dispatch_due()
    d = db.session.query(WebhookDelivery).one()
    page = client.get(f"/chain/webhooks/{d.endpoint_id}").get_data(as_text=True)
    assert "Delivered" in page and "HTTP 200" in page
    assert client.post(f"/chain/webhook-deliveries/{d.id}/replay").status_code == 302
    assert db.session.query(WebhookDelivery).count() == 2 and len(receiver.requests) == 2
    assert client.post(f"/chain/webhooks/{d.endpoint_id}/toggle").status_code == 302
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, d.endpoint_id).active is False


def test_expiring_certificates_are_announced_once(make, receiver, db):
    from datetime import date, timedelta

    from tests.helpers import PDF, upload_certificate

    ep = webhooks.create_endpoint(make.user("admin"), receiver.url, ["evidence.expiring"])
    vendor = make.vendor("Mu Metrics", level="low")
    a = make.assessment(vendor, "iso42001-ai-vendor")
    contact = make.user("vendor", vendor=vendor)
    soon = (date.today() + timedelta(days=10)).isoformat()
    cert = upload_certificate(contact, a, expires_on=soon)
    upload_certificate(contact, a, "later.pdf", PDF + b"%later", certificate_number="AI-2",
                       expires_on=(date.today() + timedelta(days=200)).isoformat())  # fmt: skip
    tick()  # the day's expiring job, then the dispatch of what it queued
    tick()
    tick()
    got = [_check_signature(ep.secret, q) for q in receiver.requests]
    assert [(g["type"], g["data"]["evidence_id"], g["data"]["expires_on"]) for g in got] == [
        ("evidence.expiring", cert.id, soon)
    ]
    assert webhooks.emit_expiring() == 0  # the same certificate and date: not again


def test_an_attempt_in_flight_is_not_dispatched_again(make, receiver, db, app, monkeypatch):
    import time

    webhooks.create_endpoint(make.user("admin"), receiver.url, ["assessment.submitted"])
    make.submitted(level="low", best=True)
    d = db.session.query(WebhookDelivery).one()
    in_flight = threading.Event()
    original = webhooks.post

    def post_slowly(*args):
        in_flight.set()
        time.sleep(0.5)
        return original(*args)

    monkeypatch.setattr(webhooks, "post", post_slowly)

    def run():
        with app.app_context():
            webhooks.deliver(d.id)

    worker = threading.Thread(target=run)
    worker.start()
    assert in_flight.wait(5)
    assert webhooks.due() == []  # leased while in flight: a dispatch now sends nothing
    worker.join(10)
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, d.id).status == "delivered"
    assert len(receiver.requests) == 1

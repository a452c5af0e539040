"""The team hears about it: inbox and email on submit, clarification answered, remediation plan,
expiring certificates and overdue assessments, per-user choices; a second open assessment needs
a confirmation; cancelling needs a reason and tells the vendor; campaigns."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import login
from tests.helpers import PDF, answer_all
from vendorassure.extensions import db
from vendorassure.models import Assessment, Campaign, Notification
from vendorassure.services import assessments, comments, evidence, findings, notifications, review


def _mails(app, to: str) -> list[str]:
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    return [t for p in outbox.glob("*.eml") if f"To: {to}" in (t := p.read_text())]


def _risk(make, name="Dana Okafor"):
    return make.user("risk", email=f"risk-{uuid.uuid4().hex[:8]}@buyer.example")


def test_submit_tells_the_reviewer_in_the_inbox_and_by_email(app, make, client):
    risk = _risk(make)
    vendor = make.vendor("November Neural")
    a = make.assessment(vendor)
    assessments.assign_reviewer(risk, a, risk)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a)
    assessments.submit_assessment(contact, a)
    [n] = db.session.scalars(select(Notification).filter_by(user_id=risk.id)).all()
    assert n.kind == "submitted" and "November Neural submitted" in n.title
    assert n.link.endswith(f"/review/assessments/{a.id}")
    assert any("November Neural submitted" in m for m in _mails(app, risk.email))
    login(client, risk)
    html = client.get("/review/").get_data(as_text=True)
    assert 'id="inbox-unread"' in html and ">1</span>" in html.split('id="inbox-unread"')[1][:40]
    inbox = client.get("/inbox/").get_data(as_text=True)
    assert "November Neural submitted" in inbox
    r = client.post(f"/inbox/{n.id}/read", data={"open": "1"})
    assert r.status_code == 302 and r.headers["Location"] == f"/review/assessments/{a.id}"
    assert notifications.unread_count(risk) == 0
    # Someone else's notification is not found, through the web and the API.
    other = _risk(make)
    login(client, other)
    assert client.post(f"/inbox/{n.id}/read").status_code == 302
    db.session.refresh(n)
    assert n.read_at is not None  # unchanged by the other user; their attempt was refused


def test_each_user_chooses_inbox_and_email_per_kind(app, make, client, api):
    risk = _risk(make)
    login(client, risk)
    data = {"submitted-in_app": "y"}  # inbox only for submissions; nothing for the rest
    assert client.post("/inbox/preferences", data=data).status_code == 302
    prefs = notifications.preferences(risk)
    assert prefs["submitted"] == {"in_app": True, "email": False}
    assert prefs["remediation_plan"] == {"in_app": False, "email": False}
    vendor = make.vendor()
    a = make.assessment(vendor)
    assessments.assign_reviewer(risk, a, risk)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a)
    assessments.submit_assessment(contact, a)
    assert notifications.unread_count(risk) == 1 and _mails(app, risk.email) == []
    client_api = api(risk)
    body = client_api.get("/notifications?unread=true").get_json()
    assert (
        body["unread"] == 1 and body["items"][0]["kind_label"] == "A vendor submitted an assessment"
    )
    nid = body["items"][0]["id"]
    assert api(_risk(make)).post(f"/notifications/{nid}/read").status_code == 404
    r = client_api.post(f"/notifications/{nid}/read")
    assert r.status_code == 200 and r.get_json()["read_at"]
    r = client_api.put("/notifications/preferences", {"kinds": {"nonsense": {"email": True}}})
    assert r.status_code == 422


def test_clarification_answers_and_remediation_plans_reach_the_team(app, make):
    risk = _risk(make)
    vendor = make.vendor()
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=False)
    assessments.submit_assessment(contact, a)
    assessments.assign_reviewer(risk, a, risk)
    q = a.questionnaire.questions[0]
    comments.add_comment(contact, a, q.key, "An unprompted note.")  # nobody asked: no notice
    assert notifications.unread_count(risk) == 1  # the submission only
    review.request_clarification(risk, a, "Which regions?", q.key)
    comments.add_comment(contact, a, q.key, "EU and UK only.")
    kinds = db.session.scalars(select(Notification.kind).filter_by(user_id=risk.id)).all()
    assert kinds.count("clarification_answered") == 1
    proposed = review.start_review(risk, a)
    owner = _risk(make)
    f = findings.update_finding(risk, proposed[0], {"status": "open", "owner_id": owner.id,
                                                    "shared_with_vendor": True})  # fmt: skip
    findings.respond_to_finding(contact, f, "We will document it by March.")
    [n] = db.session.scalars(select(Notification).filter_by(user_id=owner.id)).all()
    assert n.kind == "remediation_plan" and "We will document it by March." in n.body


def test_sweep_tells_about_expiring_certificates_and_overdue_assessments_once(app, make):
    risk = _risk(make)
    buyer = make.user("procurement")
    vendor = make.vendor("Oscar Optics", actor=buyer)
    a = make.assessment(vendor, actor=buyer)
    contact = make.user("vendor", vendor=vendor)
    evidence.upload_library_evidence(
        contact, vendor, "iso.pdf", PDF, "iso42001_certificate", certification_body="CB",
        certificate_number="1", scope="all", edition="2023", accreditation_body="UKAS",
        issued_on=(date.today() - timedelta(days=300)).isoformat(),
        expires_on=(date.today() + timedelta(days=12)).isoformat(),
    )  # fmt: skip
    a.due_date = date.today() - timedelta(days=1)
    db.session.commit()
    first = notifications.sweep()
    assert first["expiring"] >= 1 and first["overdue"] >= 1
    again = notifications.sweep()
    assert again == {"expiring": 0, "overdue": 0}
    mine = db.session.scalars(select(Notification).filter_by(user_id=risk.id)).all()
    assert [n.kind for n in mine] == ["evidence_expiring"] and "12 day(s)" in mine[0].title
    [late] = db.session.scalars(select(Notification).filter_by(user_id=buyer.id)).all()
    assert late.kind == "assessment_overdue" and "Oscar Optics" in late.title


def test_second_open_assessment_is_refused_unless_confirmed(make, api, client):
    buyer = make.user("procurement")
    vendor = make.vendor(actor=buyer)
    client_api = api(buyer)
    body = {"vendor_id": vendor.id, "questionnaire": "iso42001-ai-vendor-lite",
            "due_date": (date.today() + timedelta(days=20)).isoformat()}  # fmt: skip
    first = client_api.post("/assessments", body)
    assert first.status_code == 201
    r = client_api.post("/assessments", body)
    assert (
        r.status_code == 409
        and r.get_json()["error"]["fields"]["existing_id"] == first.get_json()["id"]
    )
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 1
    assert client_api.post("/assessments", {**body, "confirm_duplicate": True}).status_code == 201
    login(client, buyer)
    r = client.post(
        f"/procurement/vendors/{vendor.id}/assessments",
        data={"issue-questionnaire": "iso42001-ai-vendor-lite", "issue-due_date": body["due_date"]},
        follow_redirects=True,
    )
    assert "already has an open assessment" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 2


def test_cancel_needs_a_reason_and_tells_the_vendor(app, make, api, client):
    buyer = make.user("procurement")
    vendor = make.vendor("Papa Predict", actor=buyer)
    a = make.assessment(vendor, actor=buyer)
    contact = make.user("vendor", vendor=vendor, email=f"c-{uuid.uuid4().hex[:6]}@papa.example")
    r = api(buyer).post(f"/assessments/{a.id}/cancel", {"reason": "  "})
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    login(client, buyer)
    r = client.post(f"/procurement/assessments/{a.id}/cancel", data={}, follow_redirects=True)
    assert "Say why" in r.get_data(as_text=True)
    db.session.refresh(a)
    assert a.status == "sent"
    r = client.post(
        f"/procurement/assessments/{a.id}/cancel", data={"cancel-reason": "Contract not signed."}
    )
    db.session.refresh(a)
    assert a.status == "cancelled" and a.cancel_reason == "Contract not signed."
    [mail] = [m for m in _mails(app, contact.email) if "cancelled" in m]
    assert "Contract not signed." in mail


def test_campaign_issues_by_filter_skips_open_ones_and_shows_progress(make, api, client):
    buyer = make.user("procurement")
    high = [make.vendor(f"Quebec {i}", level="high", actor=buyer) for i in range(3)]
    make.vendor("Romeo Low", level="low", actor=buyer)
    tier = high[0].inherent_tier
    busy = make.assessment(high[0], "iso42001-ai-vendor-lite", actor=buyer)
    client_api = api(buyer)
    r = client_api.post("/campaigns", {
        "questionnaire": "iso42001-ai-vendor-lite", "filter": {"tier": [tier], "q": "Quebec"},
        "due_date": (date.today() + timedelta(days=30)).isoformat(),
    })  # fmt: skip
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["progress"]["total"] == 2 and [s["vendor_id"] for s in body["skipped"]] == [
        high[0].id
    ]
    assert f"#{busy.id}" in body["skipped"][0]["reason"]
    contact = make.user("vendor", vendor=high[1])
    a = db.session.get(Assessment, body["assessments"][0]["id"])
    answer_all(contact, a)
    assessments.submit_assessment(contact, a)
    got = client_api.get(f"/campaigns/{body['id']}").get_json()
    assert got["progress"]["submitted"] == 1 and got["progress"]["percent"] == 50
    assert api(make.user("vendor", vendor=high[1])).post("/campaigns", {}).status_code == 403
    r = client_api.post("/campaigns", {"questionnaire": "iso42001-ai-vendor-lite",
                                       "due_date": "2020-01-01", "vendor_ids": [high[2].id]})  # fmt: skip
    assert r.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 1
    login(client, buyer)
    html = client.get(f"/procurement/campaigns/{body['id']}").get_data(as_text=True)
    assert 'id="campaign-submitted">1<' in html and "Quebec 1" in html
    assert body["title"] in client.get("/procurement/campaigns").get_data(as_text=True)


def test_the_daily_schedule_runs_the_notification_sweep(app, make):
    from datetime import datetime

    from vendorassure.jobs import registry
    from vendorassure.jobs.schedule import due_jobs

    owed = {
        name: args
        for name, _, args in due_jobs(datetime.combine(date.today(), datetime.max.time()))
    }
    assert owed["notifications.sweep"] == {"today": date.today().isoformat()}
    assert registry()["notifications.sweep"].func(today=date.today().isoformat()) == {
        "expiring": 0, "overdue": 0
    }  # fmt: skip


def _statements(fn) -> int:
    from sqlalchemy import event

    seen = []

    def count(*_args):
        seen.append(1)

    db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_campaign_lists_cost_the_same_statements_for_one_campaign_or_many(make, api, client):
    buyer = make.user("procurement")
    vendors = [make.vendor(f"Sierra {i}", level="low", actor=buyer) for i in range(4)]
    client_api = api(buyer)
    login(client, buyer)
    due = (date.today() + timedelta(days=30)).isoformat()

    def issue(v):
        r = client_api.post("/campaigns", {"questionnaire": "iso42001-ai-vendor-lite",
                                           "due_date": due, "vendor_ids": [v.id]})  # fmt: skip
        assert r.status_code == 201, r.get_json()

    def pages():
        web = client.get("/procurement/campaigns")
        assert web.status_code == 200
        body = client_api.get("/campaigns").get_json()
        assert all(c["progress"]["total"] == 1 for c in body["items"]), body
        return len(body["items"])

    issue(vendors[0])
    one = _statements(pages)
    for v in vendors[1:]:
        issue(v)
    many = _statements(pages)
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 4
    assert many == one, (one, many)  # progress comes in one grouped query, not one per campaign

"""The raw audit log over the API (staff: admin and risk), and `audit verify` on the chain."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from tests.helpers import answer_all
from vendorassure.extensions import db
from vendorassure.models import AuditEvent
from vendorassure.services import assessments


def test_audit_events_are_listed_newest_first_filtered_and_paginated(make, api):
    vendor = make.vendor("Lima Learning")
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    given = answer_all(contact, a)
    assessments.submit_assessment(contact, a)
    risk = make.user("risk")
    client = api(risk)
    body = client.get("/audit-events?per_page=5").get_json()
    assert body["page"] == 1 and body["per_page"] == 5 and len(body["items"]) == 5
    ids = [e["id"] for e in body["items"]]
    assert ids == sorted(ids, reverse=True) and body["total"] > 5
    first = body["items"][0]
    assert set(first) >= {"at", "actor", "action", "object", "details", "prev_hash", "hash"}
    saves = client.get(f"/audit-events?action=answer.saved&assessment_id={a.id}").get_json()
    assert saves["total"] == len(given) and {e["action"] for e in saves["items"]} == {
        "answer.saved"
    }
    kinds = client.get("/audit-events?action=assessment&per_page=200").get_json()["items"]
    assert {e["action"] for e in kinds} >= {"assessment.created", "assessment.submitted"}
    by_actor = client.get(f"/audit-events?actor_id={contact.id}&per_page=200").get_json()
    assert by_actor["items"] and {e["actor_id"] for e in by_actor["items"]} == {contact.id}
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert client.get(f"/audit-events?since={tomorrow}").get_json()["total"] == 0
    assert client.get("/audit-events?since=yesterday").status_code == 422
    assert client.get("/audit-events?actor_id=2147483648").status_code == 400
    assert client.get("/audit-events?page=0").status_code == 400
    assert api(make.user("vendor", vendor=vendor)).get("/audit-events").status_code == 403
    assert api(make.user("procurement")).get("/audit-events").status_code == 403
    assert api(make.user("admin")).get("/audit-events").status_code == 200


def test_audit_verify_holds_then_finds_a_tampered_event(app, make):
    make.assessment(make.vendor())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    victim = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id).limit(1))
    db.session.execute(
        update(AuditEvent).where(AuditEvent.id == victim).values(details={"forged": True})
    )
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"broken at event {victim}" in result.output


def test_review_summary_over_the_api_uses_the_review_pages_data(make, api):
    from tests.helpers import PDF
    from vendorassure.services import evidence, review

    vendor = make.vendor("Tango Tensors")
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    given = answer_all(contact, a, best=False)
    evidence.upload_evidence(contact, a, "p.pdf", PDF, "policy", to_library=True)
    assessments.submit_assessment(contact, a)
    risk = make.user("risk")
    review.start_review(risk, a)
    key = next(iter(given))
    review.flag_answer(risk, a, key, "flagged", "Check")
    body = api(risk).get(f"/assessments/{a.id}/review").get_json()
    mine = next(x for x in body["attention"] if x["question_key"] == key)
    assert "flagged" in mine["reasons"] and mine["question"]
    [ev] = body["evidence"]
    assert ev["in_library"] and ev["verification_label"] == "Not yet verified"
    assert body["findings"]["proposed"] > 0 and body["findings"]["open"] == 0
    assert any("answered" in t["text"] and t["events"] == len(given) for t in body["trail"])
    assert api(contact).get(f"/assessments/{a.id}/review").status_code == 403

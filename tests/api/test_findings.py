"""Findings over the API: permissions, lifecycle (409 for illegal moves), risk acceptance (422),
proposals from the score, the vendor's view and remediation plan, answer flags, clarifications."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.helpers import answer_all
from vendorassure.extensions import db
from vendorassure.models import AuditEvent, Comment
from vendorassure.services import assessments
from vendorassure.services.scoring import score_view


@pytest.fixture
def scored(make):
    vendor = make.vendor("Hotel Heuristics", level="high")
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=False)
    assessments.submit_assessment(contact, a)
    return a, contact


def _create(client, a, **extra):
    body = {
        "assessment_id": a.id,
        "title": "Gap in supplier monitoring",
        "severity": "high",
        **extra,
    }
    r = client.post("/findings", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_only_risk_raises_and_edits_findings(api, make, scored):
    a, contact = scored
    for role in ("procurement",):
        client = api(make.user(role))
        assert (
            client.post("/findings", json={"assessment_id": a.id, "title": "x"}).status_code == 403
        )
        assert client.get("/findings").status_code == 403
    vendor = api(contact)
    assert vendor.post("/findings", json={"assessment_id": a.id, "title": "x"}).status_code == 403
    risk = api(make.user("risk"))
    f = _create(risk, a)
    assert f["status"] == "open" and f["severity"] == "high" and f["origin"] == "manual"
    assert vendor.patch(f"/findings/{f['id']}", json={"status": "closed"}).status_code == 403
    assert (
        api(make.user("procurement"))
        .patch(f"/findings/{f['id']}", json={"status": "closed"})
        .status_code
        == 403
    )


def test_lifecycle_and_illegal_transitions_are_409(api, make, scored):
    a, _ = scored
    risk = api(make.user("risk"))
    f = _create(risk, a)
    path = f"/findings/{f['id']}"
    r = risk.patch(path, json={"status": "remediating", "remediation": "Add a clause."})
    assert r.status_code == 200 and r.get_json()["status"] == "remediating"
    r = risk.patch(path, json={"status": "closed"})
    assert r.get_json()["status"] == "closed"
    r = risk.patch(path, json={"status": "remediating"})
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "illegal_transition"
    assert risk.patch(path, json={"status": "proposed"}).status_code == 409
    assert risk.patch(path, json={"status": "open"}).get_json()["status"] == "open"
    events = db.session.scalars(
        select(AuditEvent.details)
        .where(AuditEvent.action == "finding.updated", AuditEvent.object_id == f["id"])
        .order_by(AuditEvent.id)  # without it PostgreSQL may return any order
    ).all()
    assert [(e["from"], e["to"]) for e in events] == [
        ("open", "remediating"),
        ("remediating", "closed"),
        ("closed", "open"),
    ]


def test_risk_acceptance_needs_reason_and_future_expiry(api, make, scored):
    a, _ = scored
    risk = api(make.user("risk"))
    f = _create(risk, a)
    path = f"/findings/{f['id']}"
    r = risk.patch(path, json={"status": "risk_accepted"})
    assert r.status_code == 422
    assert set(r.get_json()["error"]["fields"]) == {"acceptance_reason", "accepted_until"}
    r = risk.patch(path, json={"status": "risk_accepted", "acceptance_reason": "Accepted."})
    assert r.status_code == 422 and "accepted_until" in r.get_json()["error"]["fields"]
    past = (date.today() - timedelta(days=1)).isoformat()
    r = risk.patch(
        path, json={"status": "risk_accepted", "acceptance_reason": "x", "accepted_until": past}
    )
    assert r.status_code == 422
    r = risk.patch(
        path,
        json={"status": "risk_accepted", "acceptance_reason": "x", "accepted_until": "next year"},
    )
    assert r.status_code == 422
    until = (date.today() + timedelta(days=180)).isoformat()
    r = risk.patch(
        path,
        json={
            "status": "risk_accepted",
            "acceptance_reason": "Board decision.",
            "accepted_until": until,
        },
    )
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "risk_accepted" and body["accepted_until"] == until
    assert body["acceptance_reason"] == "Board decision."


def test_bad_values_are_422_and_bad_shapes_400(api, make, scored):
    a, _ = scored
    risk = api(make.user("risk"))
    assert (
        risk.post(
            "/findings", json={"assessment_id": a.id, "title": "x", "severity": "huge"}
        ).status_code
        == 422
    )
    assert (
        risk.post(
            "/findings", json={"assessment_id": a.id, "title": "x", "control": "A.99"}
        ).status_code
        == 422
    )
    assert risk.post("/findings", json={"assessment_id": 999999, "title": "x"}).status_code == 422
    assert risk.post("/findings", json={"assessment_id": a.id}).status_code == 400
    assert (
        risk.post(
            "/findings", json={"assessment_id": a.id, "title": "x", "colour": "red"}
        ).status_code
        == 400
    )
    f = _create(risk, a)
    assert risk.patch(f"/findings/{f['id']}", json={}).status_code == 400
    assert risk.get("/findings?status=weird").status_code == 422


def test_proposals_cover_knockouts_and_weak_controls_once(api, make, scored):
    a, _ = scored
    risk = api(make.user("risk"))
    r = risk.post(f"/assessments/{a.id}/findings/propose")
    assert r.status_code == 201
    items = r.get_json()["items"]
    origins = {f["origin"] for f in items}
    view = score_view(a)
    knockouts = {k["question"] for k in view["knockouts"]}
    weak = {c["ref"] for c in view["controls"] if c["coverage"] > 0 and c["score"] < 0.5}
    assert {f"knockout:{k}" for k in knockouts} | {f"control:{c}" for c in weak} == origins
    assert all(f["status"] == "proposed" for f in items)
    ko = next(f for f in items if f["origin"].startswith("knockout:"))
    assert ko["severity"] == next(
        k["min_rating"] for k in view["knockouts"] if ko["origin"] == f"knockout:{k['question']}"
    )
    # Proposing again adds nothing.
    assert risk.post(f"/assessments/{a.id}/findings/propose").get_json()["total"] == 0
    # A proposal is confirmed (open) or dismissed (closed); it cannot jump to remediating.
    first = items[0]["id"]
    assert risk.patch(f"/findings/{first}", json={"status": "remediating"}).status_code == 409
    assert risk.patch(f"/findings/{first}", json={"shared_with_vendor": True}).status_code == 409
    assert risk.patch(f"/findings/{first}", json={"status": "open"}).get_json()["status"] == "open"
    listed = risk.get(f"/findings?assessment_id={a.id}&status=proposed").get_json()
    assert listed["total"] == len(items) - 1


def test_propose_before_scoring_is_409(api, make):
    a = make.assessment(make.vendor())
    assert api(make.user("risk")).post(f"/assessments/{a.id}/findings/propose").status_code == 409


def test_vendor_sees_only_shared_findings_and_sends_a_plan(api, make, scored):
    a, contact = scored
    risk = api(make.user("risk"))
    shared = _create(risk, a, shared_with_vendor=True, description="Explain supplier checks.")
    hidden = _create(risk, a, title="Internal doubt")
    other = make.assessment(make.vendor("India Insights"))
    foreign = _create(risk, other, shared_with_vendor=True)
    vendor = api(contact)
    listed = vendor.get("/findings").get_json()
    assert [f["id"] for f in listed["items"]] == [shared["id"]]
    assert "acceptance_reason" not in listed["items"][0] and "origin" not in listed["items"][0]
    assert vendor.get(f"/findings/{hidden['id']}").status_code == 404
    assert vendor.get(f"/findings/{foreign['id']}").status_code == 404
    assert vendor.post(f"/findings/{foreign['id']}/response", json={"plan": "x"}).status_code == 404
    assert vendor.post(f"/findings/{shared['id']}/response", json={"plan": " "}).status_code == 422
    r = vendor.post(f"/findings/{shared['id']}/response", json={"plan": "New clause by June."})
    assert r.status_code == 200 and r.get_json()["vendor_response"] == "New clause by June."
    assert risk.get(f"/findings/{shared['id']}").get_json()["vendor_response"] == (
        "New clause by June."
    )
    risk.patch(f"/findings/{shared['id']}", json={"status": "closed"})
    assert vendor.post(f"/findings/{shared['id']}/response", json={"plan": "x"}).status_code == 409
    assert risk.post(f"/findings/{shared['id']}/response", json={"plan": "x"}).status_code == 403


def test_overdue_filter(api, make, scored):
    a, _ = scored
    risk = api(make.user("risk"))
    late = _create(risk, a, due_date=(date.today() - timedelta(days=1)).isoformat())
    _create(risk, a, due_date=(date.today() + timedelta(days=10)).isoformat())
    body = risk.get("/findings?overdue=true").get_json()
    assert [f["id"] for f in body["items"]] == [late["id"]]


def test_answer_flag_and_clarification(api, make, scored):
    a, contact = scored
    risk = api(make.user("risk"))
    key = a.questionnaire.questions[0].key
    r = risk.put(
        f"/assessments/{a.id}/answers/{key}/review",
        json={"state": "flagged", "note": "Check the DPA."},
    )
    assert r.status_code == 200 and r.get_json()["review_state"] == "flagged"
    assert (
        risk.put(f"/assessments/{a.id}/answers/nope/review", json={"state": "flagged"}).status_code
        == 404
    )
    assert (
        risk.put(f"/assessments/{a.id}/answers/{key}/review", json={"state": "maybe"}).status_code
        == 400
    )
    assert (
        api(contact)
        .put(f"/assessments/{a.id}/answers/{key}/review", json={"state": "none"})
        .status_code
        == 403
    )
    r = risk.post(
        f"/assessments/{a.id}/clarifications",
        json={"body": "Which sub-processors?", "question_key": key},
    )
    assert r.status_code == 201 and r.get_json()["internal"] is False
    assert db.session.scalar(select(Comment.body)) == "Which sub-processors?"
    assert risk.post(f"/assessments/{a.id}/clarifications", json={"body": ""}).status_code == 422
    assert (
        api(make.user("procurement"))
        .post(f"/assessments/{a.id}/clarifications", json={"body": "x"})
        .status_code
        == 403
    )
    # The internal note never reaches the vendor's view of its answers.
    answers = api(contact).get(f"/assessments/{a.id}/answers").get_data(as_text=True)
    assert "Check the DPA." not in answers

"""Change events: what changed -> affected controls, a provisional re-rating (a suspended
certificate's credit withdrawn now) and a scoped reassessment of only the affected questions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import login
from tests.helpers import answer_all, portal_pages, upload_certificate
from vendorassure.models import Assessment, ChangeEvent, Evidence
from vendorassure.services import assessments, change_events
from vendorassure.services import evidence as evidence_service
from vendorassure.services.assessments import unconfirmed_keys

FULL = "iso42001-ai-vendor"


@pytest.fixture
def completed(make, db):
    """A vendor whose full assessment is completed with an accepted ISO/IEC 42001 certificate."""
    vendor = make.vendor("Delta Vision", level="low")
    a = make.assessment(vendor, FULL)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=True)
    cert = upload_certificate(contact, a, "cert.pdf")
    assessments.submit_assessment(contact, a)
    risk = make.user("risk")
    evidence_service.verify_evidence(risk, cert, "accepted", "", True, True)
    assessments.review_assessment(risk, a, "complete", "fine")
    db.session.commit()
    return {"vendor": vendor, "assessment": a, "contact": contact, "cert": cert, "risk": risk}


def test_a_suspended_certificate_withdraws_the_credit_now(completed, api, db):
    c = completed
    a = c["assessment"]
    score = api(c["risk"]).get(f"/assessments/{a.id}/score").get_json()
    assert next(x for x in score["certificates"] if x["id"] == c["cert"].id)["applied"] is True
    r = api(c["contact"]).post(
        f"/vendors/{c['vendor'].id}/change-events",
        {"kind": "certificate_suspended", "description": "Our ISO/IEC 42001 certificate was "
         "suspended after the surveillance audit.", "occurred_on": date.today().isoformat()},
    )  # fmt: skip
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert "provisional" not in body  # the vendor does not see our rating
    assert "iso42001_certified" in body["question_keys"]
    assert body["controls"] and all(ref.startswith("A.") for ref in body["controls"])
    db.session.expire_all()
    assert db.session.get(Evidence, c["cert"].id).suspended_on == date.today()
    score = api(c["risk"]).get(f"/assessments/{a.id}/score").get_json()
    decision = next(x for x in score["certificates"] if x["id"] == c["cert"].id)
    assert decision["applied"] is False and decision["reason"] == "suspended"
    staff = api(c["risk"]).get(f"/change-events/{body['id']}").get_json()
    assert staff["provisional"]["suspended_certificates"] == [c["cert"].id]
    assert staff["provisional"]["risk_after"] > staff["provisional"]["risk_before"]


def test_a_model_change_proposes_a_scoped_reassessment_of_only_the_affected_questions(
    completed, make, api, db, app
):
    c = completed
    buyer = make.user("procurement")
    event = change_events.report_change(
        buyer, c["vendor"], "model_changed", "Moved from model A to model B.", None, "staff"
    )
    keys = set(event.question_keys)
    assert {"model_change_notice", "foundation_model_providers"} <= keys
    prov = event.provisional
    assert prov["assessment_id"] == c["assessment"].id and prov["rating_before"] == "low"
    assert prov["risk_after"] >= prov["risk_before"]  # unknown answers never score better
    # the completed record itself is unchanged until the vendor answers again
    assert db.session.get(Assessment, c["assessment"].id).rating == "low"

    r = api(buyer).post(f"/change-events/{event.id}/reassessment", {})
    assert r.status_code == 201, r.get_json()
    new = db.session.get(Assessment, r.get_json()["assessment_id"])
    assert new.status == "sent" and new.questionnaire.key == FULL
    answers = assessments.answer_map(new)
    asked = {q.key for q in new.questionnaire.questions}
    pending = set(unconfirmed_keys(new, answers))
    assert pending == keys & set(answers) and pending  # only the affected ones to confirm
    old = assessments.answer_map(c["assessment"])
    assert all(answers[k].value == old[k].value for k in pending)  # pre-filled
    assert len(answers) > len(pending) and asked >= set(answers)
    # the vendor's page names the change and links the questions to re-answer
    from tests.conftest import login

    client = app.test_client()
    login(client, c["contact"])
    page = client.get(f"/portal/assessments/{new.id}").get_data(as_text=True)
    assert "A scoped reassessment after the change" in page and '#q-model_change_notice"' in page
    c["contact"].language = "de"  # and in the contact's language, the kind of change too
    db.session.commit()
    page = client.get(f"/portal/assessments/{new.id}").get_data(as_text=True)
    assert "Eine gezielte Neubewertung nach der am" in page and "(Modell geändert)" in page
    assert "nur diese" in page and '#q-model_change_notice"' in page
    # a second reassessment for the same change is a conflict
    assert api(buyer).post(f"/change-events/{event.id}/reassessment", {}).status_code == 409
    # the vendor changes one affected answer, confirms the others and submits
    assessments.save_answer(c["contact"], new, "model_change_notice", "advance_short")
    assessments.confirm_carried_forward(c["contact"], new)
    assessments.submit_assessment(c["contact"], new)
    assert db.session.get(Assessment, new.id).status == "submitted"


def test_change_events_refuse_bad_input_and_other_vendors(completed, make, api, db):
    c = completed
    other = make.vendor("Other Co")
    vendor_api = api(c["contact"])
    url = f"/vendors/{c['vendor'].id}/change-events"
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    cases = [
        ({"kind": "rocket", "description": "x"}, 422),
        ({"kind": "incident", "description": ""}, 422),
        ({"kind": "incident", "description": "x", "occurred_on": tomorrow}, 422),
        ({"kind": "incident", "description": "x", "occurred_on": "yesterday"}, 422),
        ({"kind": "incident", "description": "x" * 5001}, 400),
        ({"kind": "incident\r\n", "description": "x"}, 400),
        ({"kind": "incident", "description": "a\x00b"}, 400),
        ({"kind": "incident", "description": "x", "certificate_kind": "policy"}, 422),
    ]
    for payload, status in cases:
        assert vendor_api.post(url, payload).status_code == status, payload
    assert db.session.query(ChangeEvent).count() == 0
    r = vendor_api.post(f"/vendors/{other.id}/change-events", {"kind": "incident",
                                                               "description": "x"})  # fmt: skip
    assert r.status_code == 404
    mine = vendor_api.post(url, {"kind": "incident", "description": "Outage on 3 May."})
    assert mine.status_code == 201
    other_contact = make.user("vendor", vendor=other)
    assert api(other_contact).get(f"/change-events/{mine.get_json()['id']}").status_code == 404
    assert vendor_api.post(f"/change-events/{mine.get_json()['id']}/reassessment",
                           {}).status_code == 403  # fmt: skip


def test_vendor_reports_a_change_in_the_portal_from_the_model_change_question(
    completed, make, client, db
):
    c = completed
    buyer = make.user("procurement")
    a = make.assessment(make.vendor("Echo"), FULL)
    echo_contact = make.user("vendor", vendor=a.vendor)
    login(client, echo_contact)
    page = portal_pages(client, a)  # the question sits on its own section's page
    assert "Report a change" in page and "/chain/portal/changes?kind=model_changed" in page
    login(client, c["contact"])
    form = client.get("/chain/portal/changes?kind=model_changed").get_data(as_text=True)
    assert 'selected value="model_changed"' in form
    r = client.post(
        "/chain/portal/changes",
        data={"kind": "model_changed", "description": "New base model from 1 June.",
              "occurred_on": date.today().isoformat()},
    )  # fmt: skip
    assert r.status_code == 302
    event = db.session.query(ChangeEvent).one()
    assert event.source == "portal" and event.reported_by_id == c["contact"].id
    login(client, buyer)
    page = client.get(f"/chain/vendors/{c['vendor'].id}/changes").get_data(as_text=True)
    assert "Model changed" in page and "Issue scoped reassessment" in page
    r = client.post(f"/chain/changes/{event.id}/reassessment", data={})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(ChangeEvent, event.id).reassessment_id is not None


def test_two_buyers_issuing_the_same_scoped_reassessment_at_once_get_one(completed, make, app, db):
    from tests.api.test_races import _parallel, _token

    buyer = make.user("procurement")
    event = change_events.report_change(
        buyer, completed["vendor"], "incident", "Outage for six hours.", None, "staff"
    )
    tokens = [_token(make.user("procurement")) for _ in range(3)]
    path = f"/change-events/{event.id}/reassessment"
    statuses = _parallel(app, [("POST", path, t, {}) for t in tokens])
    assert sorted(statuses) == [201, 409, 409], statuses
    db.session.rollback()
    assert db.session.query(Assessment).filter_by(vendor_id=completed["vendor"].id).count() == 2

"""GET /score: red flags, caps and contradictions in words, and certificates a reviewer suspends."""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.conftest import intake_at
from tests.helpers import PDF, answer_all
from vendorassure.models import Evidence, Question
from vendorassure.services import assessments as assessment_service
from vendorassure.services import evidence as evidence_service
from vendorassure.services import vendors as vendor_service

FULL = "iso42001-ai-vendor"


def vendor_with(make, **intake):
    actor = make.user("procurement")
    return vendor_service.create_vendor(
        actor, f"Vendor {make._next()}", "https://v.example", "AI", intake_at("low") | intake
    )


def submitted(make, vendor, changes=None, key=FULL):
    """Answer every question at its best except ``changes``, and submit."""
    a = assessment_service.issue_assessment(
        make.user("procurement"), vendor, key, date.today() + timedelta(days=30)
    )
    contact = make.user("vendor", vendor=vendor)
    # the changed questions are answered only their way (what they hide is never answered)
    answer_all(contact, a, best=True, skip=set(changes or {}))
    for k, v in (changes or {}).items():
        assessment_service.save_answer(contact, a, k, v)
    assessment_service.submit_assessment(contact, a)
    return a, contact


def test_score_names_red_flags_contradictions_and_steps_in_words(make, api, db):
    vendor = vendor_with(make, model_provenance="third_party_foundation")
    a, _ = submitted(make, vendor, {"event_logging": "none", "uses_third_party_models": "no"})
    risk = api(make.user("risk"))
    body = risk.get(f"/assessments/{a.id}/score").get_json()
    # every field clients used is still there
    for key in (
        "risk_score",
        "rating",
        "inherent_tier",
        "controls",
        "objectives",
        "third_party",
        "drivers",
        "knockouts",
        "certificates",
        "what_it_would_take",
        "model_version",
    ):
        assert key in body, key  # fmt: skip
    flags = {f["key"]: f for f in body["red_flags"]}
    assert "no_event_logging" in flags
    assert flags["no_event_logging"]["text"].startswith("The system keeps no event logs")
    trigger = flags["no_event_logging"]["triggers"][0]
    assert trigger["key"] == "event_logging" and "event_logging" not in trigger["text"]
    (c,) = [c for c in body["contradictions"] if c["key"] == "third_party_model_denied"]
    assert c["treated_as"] == {"uses_third_party_models": "yes"}
    assert any("Intake" in t["text"] for t in c["triggers"])
    # hiding the supplier questions leaves them unanswered: the retention red flag fires
    assert "upstream_retention_unknown" in flags
    assert body["rating"] in ("medium", "high")
    # held above the matrix by a red flag or cap, or the matrix alone says as much
    if body["held_by"]:
        assert body["held_by_text"].startswith("Held at ")
    else:
        assert body["matrix_rating"] == body["rating"] and body["held_by_text"] == ""
    steps = body["what_it_would_take"]["steps"]
    assert 1 <= len(steps) <= 5
    keys = {
        q.key for q in db.session.query(Question).filter_by(questionnaire_id=a.questionnaire_id)
    }
    for s in steps:
        words = set(re.findall(r"[a-z0-9_]+", s["text"]))
        assert not (words & {k for k in keys if "_" in k}), s["text"]
    for d in body["drivers"]:
        assert len(d["question_texts"]) == len(d["questions"])


def test_a_suspended_certificate_earns_nothing_and_a_claim_to_it_is_a_red_flag(make, api, db):
    vendor = vendor_with(make)
    a = assessment_service.issue_assessment(
        make.user("procurement"), vendor, FULL, date.today() + timedelta(days=30)
    )
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=True)
    cert = evidence_service.upload_evidence(
        contact, a, "cert.pdf", PDF, "iso42001_certificate", "iso42001_certified",
        certification_body="Cert Body", certificate_number="AI-1", scope="The product",
        standard="ISO/IEC 42001", edition="2023", accreditation_body="UKAS",
        issued_on=(date.today() - timedelta(days=100)).isoformat(),
        expires_on=(date.today() + timedelta(days=900)).isoformat(),
    )  # fmt: skip
    assessment_service.submit_assessment(contact, a)
    risk = api(make.user("risk"))
    accept = {"decision": "accepted", "scope_covers_service": True, "accredited": True}
    assert risk.post(f"/evidence/{cert.id}/verification", accept).status_code == 200
    score = risk.get(f"/assessments/{a.id}/score").get_json()
    decision = next(c for c in score["certificates"] if c["id"] == cert.id)
    assert decision["applied"] is True and decision["kind_label"] == "ISO/IEC 42001 certificate"
    assert "expired_certificate_claimed" not in {f["key"] for f in score["red_flags"]}
    # the register shows it suspended: the reviewer records that, the credit goes at once
    r = risk.post(f"/evidence/{cert.id}/verification", accept | {"suspended": True})
    assert r.status_code == 200
    score = risk.get(f"/assessments/{a.id}/score").get_json()
    decision = next(c for c in score["certificates"] if c["id"] == cert.id)
    assert decision["applied"] is False and decision["reason"] == "suspended"
    assert decision["reason_text"] == "suspended or withdrawn by the certification body"
    assert "expired_certificate_claimed" in {f["key"] for f in score["red_flags"]}
    assert any(s["action"] == "renew" for s in score["what_it_would_take"]["steps"])
    # a wrong type for the flag is refused and changes nothing
    bad = risk.post(f"/evidence/{cert.id}/verification", accept | {"suspended": "maybe"})
    assert bad.status_code == 400
    db.session.expire_all()
    assert db.session.get(Evidence, cert.id).suspended_on == date.today()

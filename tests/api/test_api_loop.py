"""The whole assessment loop through the JSON API, as integrators would drive it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from tests.conftest import PASSWORD, intake_at
from tests.helpers import PDF, answers_payloads


def test_full_loop_through_the_api(app, make, api):
    buyer = api(make.user("procurement"))
    risk_user = make.user("risk")
    risk = api(risk_user)

    intake = buyer.get("/intake").get_json()
    assert intake["questions"] and all(
        "risk" in o for q in intake["questions"] for o in q["options"]
    )

    r = buyer.post(
        "/vendors",
        {
            "name": "Acme AI",
            "website": "https://acme.example",
            "services": "Chat assistant",
            "intake": intake_at("high"),
        },
    )
    assert r.status_code == 201, r.get_json()
    vendor = r.get_json()
    assert vendor["inherent_tier"] in ("high", "critical")

    r = buyer.post(
        "/assessments",
        {
            "vendor_id": vendor["id"],
            "questionnaire": "iso42001-ai-vendor-lite",
            "due_date": (date.today() + timedelta(days=14)).isoformat(),
        },
    )
    assert r.status_code == 201, r.get_json()
    assessment = r.get_json()
    assert assessment["status"] == "sent"
    aid = assessment["id"]

    r = buyer.post(
        f"/vendors/{vendor['id']}/contacts", {"email": "Jane@Acme.example", "name": "Jane"}
    )
    assert r.status_code == 201, r.get_json()
    outbox = list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    mail = max(outbox, key=lambda p: p.stat().st_mtime).read_text()
    assert "jane@acme.example" in mail
    token = mail.split("/invite/")[1].split()[0]

    # The vendor contact accepts the invitation in the browser flow, then uses the API.
    client = app.test_client()
    r = client.post(
        f"/invite/{token}", data={"name": "Jane", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert r.status_code == 302
    r = client.post("/api/v1/tokens", json={"email": "jane@acme.example", "password": PASSWORD})
    assert r.status_code == 201
    from tests.conftest import ApiClient

    vendor_api = ApiClient(app.test_client(), r.get_json()["token"])

    r = vendor_api.post(f"/assessments/{aid}/submit")
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["missing"]

    qs = vendor_api.get(f"/assessments/{aid}/questions").get_json()
    assert qs["total"] == len(qs["items"]) and all("visible" in q for q in qs["items"])

    from vendorassure.extensions import db
    from vendorassure.models import User
    from vendorassure.services.access import get_assessment

    jane = db.session.scalar(db.select(User).filter_by(email="jane@acme.example"))
    for key, value in answers_payloads(get_assessment(jane, aid), best=True):
        r = vendor_api.put(f"/assessments/{aid}/answers/{key}", {"value": value})
        assert r.status_code == 200, (key, r.get_json())
        assert r.get_json()["lock_version"] >= 1

    r = vendor_api.client.post(
        f"/api/v1/assessments/{aid}/evidence",
        headers={"Authorization": f"Bearer {vendor_api.token}"},
        data={
            "file": (__import__("io").BytesIO(PDF), "iso42001.pdf"),
            "kind": "iso42001_certificate",
            "certification_body": "Example CB",
            "certificate_number": "AI-1",
            "scope": "The chat assistant",
            "issued_on": "2025-01-01",
            "expires_on": (date.today() + timedelta(days=300)).isoformat(),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    evidence = r.get_json()
    assert len(evidence["sha256"]) == 64 and evidence["size"] == len(PDF)

    r = vendor_api.post(f"/assessments/{aid}/submit")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "submitted"
    assert "rating" not in r.get_json()

    score = risk.get(f"/assessments/{aid}/score").get_json()
    assert len(score["controls"]) == 38
    assert score["rating"] in ("low", "medium", "high", "critical")
    cert = [c for c in score["certificates"] if c["id"] == evidence["id"]][0]
    assert cert["applied"] is False

    r = risk.post(
        f"/evidence/{evidence['id']}/verification",
        {
            "decision": "accepted",
            "note": "checked",
            "scope_covers_service": True,
            "accredited": True,
        },
    )
    assert r.status_code == 200, r.get_json()
    rescored = risk.get(f"/assessments/{aid}/score").get_json()
    assert [c for c in rescored["certificates"] if c["id"] == evidence["id"]][0]["applied"] is True
    assert rescored["risk_score"] <= score["risk_score"]

    r = risk.post(
        f"/assessments/{aid}/review",
        {
            "decision": "complete",
            "note": "ok",
            "override_rating": "high",
            "override_reason": "Board asked",
        },
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "completed" and body["override_rating"] == "high"
    assert body["rating"] == rescored["rating"]

    summary = risk.get("/portfolio/summary").get_json()
    assert summary["by_status"]["completed"] == 1
    assert summary["by_rating"]["high"] == 1


def test_invitation_can_be_accepted_through_the_api_once(app, make, api):
    from tests.conftest import ApiClient

    vendor = make.vendor()
    buyer = api(make.user("procurement"))
    assert (
        buyer.post(f"/vendors/{vendor.id}/contacts", {"email": "ops@v.example"}).status_code == 201
    )
    outbox = max(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"), key=lambda p: p.stat().st_mtime)
    token = outbox.read_text().split("/invite/")[1].split()[0]
    anonymous = ApiClient(app.test_client(), None)
    short = anonymous.post("/invitations/accept", {"token": token, "password": "short"})
    assert short.status_code == 422 and "password" in short.get_json()["error"]["fields"]
    r = anonymous.post("/invitations/accept", {"token": token, "password": PASSWORD, "name": "Ops"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["email"] == "ops@v.example" and r.get_json()["vendor_id"] == vendor.id
    again = anonymous.post("/invitations/accept", {"token": token, "password": PASSWORD})
    assert again.status_code == 422 and again.get_json()["error"]["fields"]["token"] == "used"
    unknown = anonymous.post("/invitations/accept", {"token": "nope", "password": PASSWORD})
    assert (
        unknown.status_code == 422 and unknown.get_json()["error"]["fields"]["token"] == "unknown"
    )
    signed_in = anonymous.post("/tokens", {"email": "ops@v.example", "password": PASSWORD})
    assert signed_in.status_code == 201

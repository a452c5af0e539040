"""Bad input gets a precise error in the contract's shape and changes nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import intake_at
from tests.helpers import PDF


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def _assert_error(response, status, code=None):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_malformed_json_is_400_and_stores_nothing(make, api, db):
    from vendorassure.models import Vendor

    buyer = api(make.user("procurement"))
    r = buyer.client.post(
        "/api/v1/vendors",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {buyer.token}"},
    )
    err = _assert_error(r, 400, "bad_request")
    assert "JSON" in err["message"]
    r = buyer.client.post(
        "/api/v1/vendors",
        data="[1, 2]",
        content_type="application/json",
        headers={"Authorization": f"Bearer {buyer.token}"},
    )
    _assert_error(r, 400)
    assert _count(db, Vendor) == 0


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"website": "x", "intake": {}}, "name"),
        ({"name": 42, "intake": {}}, "name"),
        ({"name": "A", "intake": "high"}, "intake"),
        ({"name": "A", "intake": {}, "colour": "red"}, "colour"),
    ],
)
def test_missing_fields_and_wrong_types_are_400_with_field_messages(make, api, db, payload, field):
    from vendorassure.models import Vendor

    err = _assert_error(api(make.user("procurement")).post("/vendors", payload), 400)
    assert field in err["fields"]
    assert _count(db, Vendor) == 0


def test_invalid_intake_values_are_422_naming_each_field(make, api, db):
    from vendorassure.models import Vendor

    intake = intake_at("low")
    key = next(iter(intake))
    intake[key] = "not-an-option"
    intake["made_up"] = "x"
    err = _assert_error(
        api(make.user("procurement")).post("/vendors", {"name": "A", "intake": intake}), 422
    )
    assert f"intake.{key}" in err["fields"] and "intake.made_up" in err["fields"]
    assert _count(db, Vendor) == 0


def test_duplicate_vendor_name_is_422(make, api):
    buyer = api(make.user("procurement"))
    assert buyer.post("/vendors", {"name": "Acme", "intake": intake_at("low")}).status_code == 201
    err = _assert_error(buyer.post("/vendors", {"name": "ACME", "intake": intake_at("low")}), 422)
    assert "name" in err["fields"]


def test_unknown_ids_are_404(make, api):
    staff = api(make.user("risk"))
    for path in (
        "/vendors/999999",
        "/assessments/999999",
        "/assessments/999999/score",
        "/evidence/999999/download",
        "/questionnaires/nope",
    ):
        _assert_error(staff.get(path), 404, "not_found")
    _assert_error(staff.get("/no/such/path"), 404)


def test_issue_assessment_with_bad_values_is_422(make, api, db):
    from vendorassure.models import Assessment

    buyer = api(make.user("procurement"))
    vendor = make.vendor()
    cases = [
        (
            {"vendor_id": vendor.id, "questionnaire": "nope", "due_date": "2099-01-01"},
            "questionnaire",
        ),
        (
            {
                "vendor_id": vendor.id,
                "questionnaire": "iso42001-ai-vendor",
                "due_date": "31/12/2099",
            },
            "due_date",
        ),
        (
            {
                "vendor_id": vendor.id,
                "questionnaire": "iso42001-ai-vendor",
                "due_date": "2001-01-01",
            },
            "due_date",
        ),
        (
            {"vendor_id": 999999, "questionnaire": "iso42001-ai-vendor", "due_date": "2099-01-01"},
            "vendor_id",
        ),
    ]
    for payload, field in cases:
        err = _assert_error(buyer.post("/assessments", payload), 422)
        assert field in err["fields"], payload
    err = _assert_error(
        buyer.post("/assessments", {"vendor_id": "1", "questionnaire": "x", "due_date": "x"}), 400
    )
    assert "vendor_id" in err["fields"]
    assert _count(db, Assessment) == 0


@pytest.fixture
def open_assessment(make):
    vendor = make.vendor()
    assessment = make.assessment(vendor, "iso42001-ai-vendor")
    return assessment, make.user("vendor", vendor=vendor)


def _question(assessment, **kw):
    for q in assessment.questionnaire.questions:
        if all(getattr(q, k) == v if not callable(v) else v(getattr(q, k)) for k, v in kw.items()):
            return q
    raise AssertionError(kw)


def test_answers_of_the_wrong_type_are_422_and_not_stored(open_assessment, api, db):
    from vendorassure.models import Answer

    assessment, contact = open_assessment
    vendor_api = api(contact)
    single = _question(assessment, type="yes_no_partial")
    multi = _question(assessment, type="multi_choice")
    path = f"/assessments/{assessment.id}/answers/"
    for key, value in [
        (single.key, "maybe"),
        (single.key, 1),
        (single.key, ["yes"]),
        (multi.key, "a"),
        (multi.key, ["not-an-option"]),
    ]:
        err = _assert_error(vendor_api.put(path + key, {"value": value}), 422)
        assert "value" in err["fields"]
    err = _assert_error(vendor_api.put(path + "no_such_question", {"value": "yes"}), 404)
    _assert_error(vendor_api.put(path + single.key, {"value": "yes", "lock_version": "1"}), 400)
    assert _count(db, Answer) == 0
    assert assessment.status == "sent"


def test_na_needs_permission_and_a_reason(open_assessment, api, db):
    assessment, contact = open_assessment
    vendor_api = api(contact)
    path = f"/assessments/{assessment.id}/answers/"
    no_na = _question(assessment, allows_na=False)
    _assert_error(vendor_api.put(path + no_na.key, {"na": True, "na_reason": "n/a"}), 422)
    with_na = [q for q in assessment.questionnaire.questions if q.allows_na]
    if with_na:
        err = _assert_error(
            vendor_api.put(path + with_na[0].key, {"na": True, "na_reason": "  "}), 422
        )
        assert "na_reason" in err["fields"]
        r = vendor_api.put(
            path + with_na[0].key, {"na": True, "na_reason": "We do not train models."}
        )
        assert r.status_code == 200 and r.get_json()["na"] is True


def test_stale_lock_version_is_409_with_the_stored_answer(open_assessment, api, make):
    assessment, contact = open_assessment
    colleague = make.user("vendor", vendor=assessment.vendor)
    q = _question(assessment, type="yes_no_partial")
    path = f"/assessments/{assessment.id}/answers/{q.key}"
    first = api(contact).put(path, {"value": "yes", "lock_version": 0}).get_json()
    assert first["lock_version"] == 1
    assert api(colleague).put(path, {"value": "partial", "lock_version": 1}).status_code == 200
    err = _assert_error(
        api(contact).put(path, {"value": "no", "lock_version": 1}), 409, "stale_lock_version"
    )
    assert err["current"]["value"] == "partial" and err["current"]["lock_version"] == 2
    stored = api(contact).get(f"/assessments/{assessment.id}/answers").get_json()["items"]
    assert [a["value"] for a in stored if a["question_key"] == q.key] == ["partial"]


def _upload(client, assessment_id, data, name="cert.pdf", **fields):
    form = {"file": (io.BytesIO(data), name), "kind": "policy", **fields}
    return client.client.post(
        f"/api/v1/assessments/{assessment_id}/evidence",
        data=form,
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {client.token}"},
    )


def test_uploads_are_judged_by_their_bytes(app, open_assessment, api, db):
    from pathlib import Path

    from vendorassure.models import Evidence

    assessment, contact = open_assessment
    vendor_api = api(contact)
    _assert_error(
        _upload(vendor_api, assessment.id, b"MZ\x90\x00 executable"), 415, "unsupported_media_type"
    )
    _assert_error(_upload(vendor_api, assessment.id, b"<html><script>", name="x.png"), 415)
    _assert_error(_upload(vendor_api, assessment.id, b""), 422)
    _assert_error(_upload(vendor_api, assessment.id, PDF, name="../../etc/passwd.pdf"), 422)
    _assert_error(_upload(vendor_api, assessment.id, PDF, name="bad\x07name.pdf"), 422)
    _assert_error(_upload(vendor_api, assessment.id, PDF, name="é" * 300 + ".pdf"), 422)
    _assert_error(
        _upload(
            vendor_api,
            assessment.id,
            PDF,
            kind="iso42001_certificate",
            issued_on="2025-01-01",
            expires_on="2024-01-01",
        ),
        422,
    )
    _assert_error(
        _upload(
            vendor_api,
            assessment.id,
            PDF,
            kind="iso42001_certificate",
            issued_on="yesterday",
            expires_on="2030-01-01",
        ),
        422,
    )
    _assert_error(_upload(vendor_api, assessment.id, PDF, kind="diploma"), 422)
    assert _count(db, Evidence) == 0
    stored = [p for p in Path(app.config["EVIDENCE_DIR"]).rglob("*") if p.is_file()]
    good = _upload(vendor_api, assessment.id, PDF + b"unique")
    assert good.status_code == 201, good.get_json()
    assert good.get_json()["media_type"] == "application/pdf"
    after = [p for p in Path(app.config["EVIDENCE_DIR"]).rglob("*") if p.is_file()]
    assert len(after) == len(stored) + 1
    _assert_error(_upload(vendor_api, assessment.id, PDF + b"unique", name="again.pdf"), 409)


def test_oversize_upload_is_413(app, open_assessment, api, db):
    from vendorassure.models import Evidence

    assessment, contact = open_assessment
    app.config["MAX_UPLOAD_MB"] = 1
    try:
        err = _assert_error(
            _upload(api(contact), assessment.id, PDF + b"0" * (1024 * 1024 + 10)), 413
        )
        assert "1 MB" in err["message"]
    finally:
        app.config["MAX_UPLOAD_MB"] = 25
    assert _count(db, Evidence) == 0


def test_downloads_are_attachments_that_browsers_do_not_sniff(open_assessment, api, make):
    assessment, contact = open_assessment
    ev = _upload(api(contact), assessment.id, PDF, name="report final.pdf").get_json()
    r = api(make.user("risk")).get(f"/evidence/{ev['id']}/download")
    assert r.status_code == 200 and r.data == PDF
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert "report final.pdf" in r.headers["Content-Disposition"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_illegal_transitions_are_409_with_a_message(make, api):
    vendor = make.vendor()
    assessment = make.assessment(vendor)
    risk = api(make.user("risk"))
    err = _assert_error(
        risk.post(f"/assessments/{assessment.id}/review", {"decision": "complete"}),
        409,
        "illegal_transition",
    )
    assert "sent" in err["message"]
    buyer = api(make.user("procurement"))
    assert buyer.post(f"/assessments/{assessment.id}/cancel", {"reason": "dup"}).status_code == 200
    err = _assert_error(
        buyer.post(f"/assessments/{assessment.id}/cancel", {"reason": "again"}), 409
    )
    assert "cancelled" in err["message"]


def test_review_needs_reason_for_override_and_note_for_changes(make, api):

    assessment, contact = make.submitted()
    risk = api(make.user("risk"))
    path = f"/assessments/{assessment.id}/review"
    err = _assert_error(risk.post(path, {"decision": "complete", "override_rating": "low"}), 422)
    assert "override_reason" in err["fields"]
    _assert_error(
        risk.post(
            path, {"decision": "complete", "override_rating": "purple", "override_reason": "x"}
        ),
        422,
    )
    _assert_error(risk.post(path, {"decision": "request_changes", "note": ""}), 422)
    _assert_error(risk.post(path, {"decision": "approve"}), 400)
    assert risk.get(f"/assessments/{assessment.id}").get_json()["status"] == "submitted"
    r = risk.post(path, {"decision": "request_changes", "note": "Attach your AI policy."})
    assert r.get_json()["status"] == "changes_requested"
    seen = api(contact).get(f"/assessments/{assessment.id}").get_json()
    assert seen["review_note"] == "Attach your AI policy." and "rating" not in seen


def test_due_date_must_not_be_in_the_past_in_the_web_form_either(make, client, login_as, db):
    from vendorassure.models import Assessment

    login_as("procurement")
    vendor = make.vendor()
    r = client.post(
        f"/procurement/vendors/{vendor.id}/assessments",
        data={
            "issue-questionnaire": "iso42001-ai-vendor",
            "issue-due_date": (date.today() - timedelta(days=1)).isoformat(),
        },
        follow_redirects=True,
    )
    assert "The due date is in the past." in r.get_data(as_text=True)
    assert _count(db, Assessment) == 0

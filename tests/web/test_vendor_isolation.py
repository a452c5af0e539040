"""A vendor never reaches another vendor's data: every vendor-side URL and API path with another
vendor's ids answers 404, and nothing changes."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.conftest import login
from tests.helpers import PDF
from tests.web.test_permissions import API, PUBLIC, WEB, _rules

ID_PARAMS = {"vendor_id", "assessment_id", "evidence_id", "finding_id"}
# A body each endpoint would accept, so that only the foreign id can be the reason for the 404.
BODIES = {
    "api.finding_respond": {"plan": "We will fix it by March."},
    "api.comments_create": {"body": "Hello", "question_key": None},
    "api.change_event_create": {"kind": "incident", "description": "An outage."},
}
# With the vendor's own ids these answer 409 (a package needs a submitted assessment), not 404.
OWN_CONFLICT = {"chain.portal_package_download", "api.assessment_package"}


def _two_vendors(make, db):
    from vendorassure.models import Evidence
    from vendorassure.services import evidence as evidence_service
    from vendorassure.services import findings

    worlds = []
    risk = make.user("risk")
    for name in ("Alpha AI", "Beta AI"):
        vendor = make.vendor(name=name)
        assessment = make.assessment(vendor)
        contact = make.user("vendor", vendor=vendor)
        evidence_service.upload_evidence(
            contact, assessment, f"{name}.pdf", PDF + name.encode(), "policy"
        )
        ev = db.session.scalar(select(Evidence).filter_by(assessment_id=assessment.id))
        finding = findings.create_finding(
            risk, assessment, {"title": f"{name} gap", "severity": "low"}
        )
        worlds.append(
            {
                "vendor_id": vendor.id,
                "assessment_id": assessment.id,
                "evidence_id": ev.id,
                "finding_id": finding.id,
                "question_key": assessment.questionnaire.questions[0].key,
                "user": contact,
            }
        )
    return worlds


def _vendor_rules(app, table):
    for rule, method in _rules(app):
        allowed = table.get(rule.endpoint)
        if allowed in (None, PUBLIC) or "vendor" not in allowed:
            continue
        if set(rule.arguments) & ID_PARAMS:
            yield rule, method


def _url(rule, world):
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(world[m.group(1)]), rule.rule)


def _counts(db):
    from vendorassure.models import Answer, AuditEvent, Evidence

    return [
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Answer, Evidence, AuditEvent)
    ]


def test_vendor_web_pages_404_for_another_vendors_ids(app, make, db):
    alpha, beta = _two_vendors(make, db)
    client = app.test_client()
    login(client, beta["user"])
    before = _counts(db)
    checked = []
    for rule, method in _vendor_rules(app, WEB):
        response = client.open(_url(rule, alpha), method=method, data={}, json=None)
        assert response.status_code == 404, (method, rule.rule, response.status_code)
        checked.append(rule.endpoint)
        # the same URL with the vendor's own ids is not a 404 (proves the ids were the reason)
        own = client.open(_url(rule, beta), method="GET") if method == "GET" else None
        if own is not None:
            expected = 409 if rule.endpoint in OWN_CONFLICT else 200
            assert own.status_code == expected, (rule.rule, own.status_code)
    assert _counts(db) == before
    assert {
        "portal.assessment_answer",
        "portal.evidence_download",
        "portal.answer_autosave",
        "portal.assessment_submit",
        "portal.evidence_upload",
    } <= set(checked)


def test_vendor_api_paths_404_for_another_vendors_ids(app, make, db, api):
    alpha, beta = _two_vendors(make, db)
    client = api(beta["user"])
    before = _counts(db)
    checked = []
    for rule, method in _vendor_rules(app, API):
        body = BODIES.get(rule.endpoint, {"value": "yes"})
        response = client.client.open(
            _url(rule, alpha),
            method=method,
            json=body,
            headers={"Authorization": f"Bearer {client.token}"},
        )
        assert response.status_code == 404, (
            method,
            rule.rule,
            response.status_code,
            response.get_json(),
        )
        assert response.get_json()["error"]["code"] == "not_found"
        checked.append(rule.endpoint)
    assert _counts(db)[:2] == before[:2]
    assert {
        "api.assessment_get",
        "api.answer_put",
        "api.evidence_download",
        "api.vendor_get",
        "api.assessment_submit",
        "api.assessment_evidence_upload",
    } <= set(checked)


def test_vendor_lists_only_show_own_assessments(app, make, db, api):
    alpha, beta = _two_vendors(make, db)
    body = api(beta["user"]).get("/assessments").get_json()
    assert body["total"] == 1
    assert [a["vendor_id"] for a in body["items"]] == [beta["vendor_id"]]
    assert "rating" not in body["items"][0] and "risk_score" not in body["items"][0]
    page = app.test_client()
    login(page, beta["user"])
    html = page.get("/portal/").get_data(as_text=True)
    assert "Beta" in html or str(beta["assessment_id"]) in html
    assert f"/portal/assessments/{alpha['assessment_id']}" not in html

"""The review area in the web UI: queue, review actions, permissions, findings, CSV."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import g
from sqlalchemy import select

from tests.conftest import login
from tests.helpers import PDF, answer_all
from vendorassure.extensions import db
from vendorassure.models import Answer, Assessment, Comment, Evidence, Finding
from vendorassure.services import assessments, evidence, findings


@pytest.fixture
def submitted(make):
    """A submitted lite assessment with worst answers and one certificate."""
    vendor = make.vendor("Echo Intelligence", level="high")
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=False)
    evidence.upload_evidence(
        contact,
        a,
        "cert.pdf",
        PDF,
        "iso42001_certificate",
        certification_body="CB",
        certificate_number="1",
        scope="all",
        issued_on=date.today() - timedelta(days=10),
        expires_on=date.today() + timedelta(days=300),
    )
    assessments.submit_assessment(contact, a)
    return a, contact


def _reload(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def test_vendor_gets_403_on_every_review_page(client, make, submitted):
    a, contact = submitted
    login(client, contact)
    ev = db.session.scalar(select(Evidence).filter_by(assessment_id=a.id))
    for path in (
        "/review/",
        f"/review/assessments/{a.id}",
        "/review/findings",
        f"/review/assessments/{a.id}/export.xlsx",
        "/review/?format=csv",
    ):
        assert client.get(path).status_code == 403, path
    for path in (
        f"/review/assessments/{a.id}/start",
        f"/review/assessments/{a.id}/decision",
        f"/review/evidence/{ev.id}/verify",
        f"/review/assessments/{a.id}/assign",
    ):
        assert client.post(path, data={}).status_code == 403, path


def test_procurement_sees_the_review_but_cannot_verify_decide_flag_or_assign(
    client, login_as, submitted
):
    a, _ = submitted
    login_as("procurement")
    page = client.get(f"/review/assessments/{a.id}")
    assert page.status_code == 200
    assert "Record decision" not in page.get_data(as_text=True)
    ev = db.session.scalar(select(Evidence).filter_by(assessment_id=a.id))
    posts = {
        f"/review/evidence/{ev.id}/verify": {f"v{ev.id}-decision": "accepted"},
        f"/review/assessments/{a.id}/decision": {"d-decision": "complete"},
        f"/review/assessments/{a.id}/start": {},
        f"/review/assessments/{a.id}/assign": {"as-reviewer": ""},
        f"/review/assessments/{a.id}/clarify": {"c-body": "Why?"},
        f"/review/assessments/{a.id}/findings/propose": {},
    }
    for path, data in posts.items():
        assert client.post(path, data=data).status_code == 403, path
    assert _reload(Evidence, ev.id).verification == "pending"
    assert _reload(Assessment, a.id).status == "submitted"


def test_risk_takes_an_assessment_from_start_to_changes_requested_with_points(
    client, login_as, submitted, app
):
    a, contact = submitted
    risk = login_as("risk")
    r = client.post(f"/review/assessments/{a.id}/start", follow_redirects=True)
    assert "finding(s) proposed from the score" in r.get_data(as_text=True)
    assert _reload(Assessment, a.id).status == "under_review"
    proposed = db.session.scalars(select(Finding).filter_by(assessment_id=a.id)).all()
    assert proposed and all(f.status == "proposed" for f in proposed)
    assert any(f.origin.startswith("knockout:") for f in proposed)

    # the same row both times: without an order PostgreSQL may return any answer
    first = select(Answer).filter_by(assessment_id=a.id).order_by(Answer.id).limit(1)
    key = db.session.scalar(first).question.key
    client.post(
        f"/review/assessments/{a.id}/answers/{key}/flag",
        data={f"fl-{key}-state": "flagged", f"fl-{key}-note": "Policy is missing."},
    )
    answer = db.session.scalar(first)
    db.session.refresh(answer)
    assert answer.review_state == "flagged" and answer.review_note == "Policy is missing."

    client.post(
        f"/review/assessments/{a.id}/clarify",
        data={"c-body": "Which teams does the policy cover?", "c-question": key},
    )
    comment = db.session.scalar(select(Comment).filter_by(assessment_id=a.id))
    assert comment.internal is False and comment.author_id == risk.id
    assert comment.body == "Which teams does the policy cover?"

    client.post(
        f"/review/assessments/{a.id}/decision",
        data={"d-decision": "request_changes", "d-note": "Please fix:", "d-include_flagged": "y"},
    )
    a = _reload(Assessment, a.id)
    assert a.status == "changes_requested"
    assert a.review_note.startswith("Please fix:")
    # The vendor reads the question in words, not its key.
    assert "- Question 1 (Does your organization hold" in a.review_note
    assert a.review_note.endswith("): Policy is missing.") and key not in a.review_note


def test_override_needs_a_reason_then_completes(client, login_as, submitted):
    a, _ = submitted
    login_as("risk")
    r = client.post(
        f"/review/assessments/{a.id}/decision",
        data={"d-decision": "complete", "d-override_rating": "medium"},
        follow_redirects=True,
    )
    assert "An override needs a reason." in r.get_data(as_text=True)
    assert _reload(Assessment, a.id).status == "submitted"
    client.post(
        f"/review/assessments/{a.id}/decision",
        data={
            "d-decision": "complete",
            "d-override_rating": "medium",
            "d-override_reason": "Only internal pilots under contract.",
        },
    )
    a = _reload(Assessment, a.id)
    assert a.status == "completed"
    assert a.override_rating == "medium" and a.final_rating == "medium"
    html = client.get(f"/review/assessments/{a.id}").get_data(as_text=True)
    assert "overrode the rating" in html  # the trail shows the audit events, in words
    assert "assessment.rating_overridden" not in html


def test_verify_certificate_records_scope_and_accreditation(client, login_as, submitted):
    a, _ = submitted
    login_as("risk")
    ev = db.session.scalar(select(Evidence).filter_by(assessment_id=a.id))
    client.post(
        f"/review/evidence/{ev.id}/verify",
        data={
            f"v{ev.id}-decision": "accepted",
            f"v{ev.id}-scope_covers_service": "y",
            f"v{ev.id}-accredited": "y",
        },
    )
    ev = _reload(Evidence, ev.id)
    assert ev.verification == "accepted" and ev.scope_covers_service and ev.accredited
    r = client.post(
        f"/review/evidence/{ev.id}/verify",
        data={f"v{ev.id}-decision": "rejected"},
        follow_redirects=True,
    )
    assert "Say why the evidence is rejected." in r.get_data(as_text=True)


def test_queue_filters_sort_pages_assign_and_csv(client, make, login_as, submitted):
    a, _ = submitted
    risk = login_as("risk")
    other = make.vendor("Foxtrot Forecasts")
    late = make.assessment(other)
    late.due_date = date.today() - timedelta(days=1)
    db.session.commit()

    html = client.get("/review/").get_data(as_text=True)
    assert f'data-assessment="{a.id}"' in html and f'data-assessment="{late.id}"' not in html
    html = client.get("/review/?status=all&due=overdue").get_data(as_text=True)
    assert f'data-assessment="{late.id}"' in html and f'data-assessment="{a.id}"' not in html
    html = client.get("/review/?status=all&q=foxtrot").get_data(as_text=True)
    assert "Foxtrot Forecasts" in html and "Echo Intelligence" not in html
    html = client.get("/review/?status=all&tier=critical").get_data(as_text=True)
    assert "Echo Intelligence" in html and "Foxtrot" not in html

    client.post(f"/review/assessments/{a.id}/assign", data={"as-reviewer": str(risk.id)})
    assert _reload(Assessment, a.id).reviewer_id == risk.id
    html = client.get("/review/?status=all&reviewer=me").get_data(as_text=True)
    assert f'data-assessment="{a.id}"' in html and f'data-assessment="{late.id}"' not in html
    html = client.get("/review/?status=all&reviewer=none").get_data(as_text=True)
    assert f'data-assessment="{late.id}"' in html and f'data-assessment="{a.id}"' not in html

    csv = client.get("/review/?status=all&format=csv&sort=vendor")
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert lines[0] == "Assessment,Vendor,Tier,Status,Due,Submitted,Risk score,Rating,Reviewer"
    assert [line.split(",")[1] for line in lines[1:]] == ["Echo Intelligence", "Foxtrot Forecasts"]
    assert lines[1].endswith(risk.email)


def test_queue_paginates(client, make, login_as):
    login_as("risk")
    buyer = make.user("procurement")
    vendor = make.vendor(actor=buyer)
    for _ in range(27):
        make.assessment(vendor, actor=buyer)
    first = client.get("/review/?status=sent").get_data(as_text=True)
    second = client.get("/review/?status=sent&page=2").get_data(as_text=True)
    assert first.count("<tr data-assessment=") == 25
    assert second.count("<tr data-assessment=") == 2
    assert "Page 1 of 2" in first


def test_finding_page_lifecycle_and_risk_acceptance_needs_reason_and_expiry(
    client, login_as, submitted
):
    a, contact = submitted
    risk = login_as("risk")
    f = findings.create_finding(risk, a, {"title": "No incident process", "severity": "high"})
    base = {"fe-severity": "high", "fe-owner_id": str(risk.id), "fe-remediation": "Write one."}
    r = client.post(f"/review/findings/{f.id}", data={**base, "fe-status": "risk_accepted"})
    assert "Accepting a risk needs a reason and an expiry date." in r.get_data(as_text=True)
    assert _reload(Finding, f.id).status == "open"
    until = (date.today() + timedelta(days=60)).isoformat()
    client.post(
        f"/review/findings/{f.id}",
        data={
            **base,
            "fe-status": "risk_accepted",
            "fe-acceptance_reason": "Low exposure.",
            "fe-accepted_until": until,
        },
    )
    f = _reload(Finding, f.id)
    assert f.status == "risk_accepted" and f.accepted_until.isoformat() == until
    assert f.owner_id == risk.id and f.remediation == "Write one."
    r = client.post(f"/review/findings/{f.id}", data={**base, "fe-status": "closed"})
    assert "cannot become closed" in r.get_data(as_text=True)
    csv = client.get("/review/findings?status=all&format=csv").get_data(as_text=True)
    assert "No incident process" in csv and "Low exposure." in csv


def test_vendor_sees_only_findings_sent_to_it_and_answers_with_a_plan(
    client, make, login_as, submitted
):
    a, contact = submitted
    risk = make.user("risk")
    shared = findings.create_finding(risk, a, {"title": "Shared point", "shared_with_vendor": True})
    hidden = findings.create_finding(risk, a, {"title": "Internal only"})
    other_vendor = make.vendor("Golf Graphs")
    other_a = make.assessment(other_vendor)
    foreign = findings.create_finding(
        risk, other_a, {"title": "Someone else's", "shared_with_vendor": True}
    )
    login(client, contact)
    html = client.get("/findings/mine").get_data(as_text=True)
    assert "Shared point" in html and "Internal only" not in html and "Someone else" not in html
    r = client.post(f"/findings/{shared.id}/plan", data={f"p{shared.id}-plan": "Fix by Q3."})
    assert r.status_code == 302
    assert _reload(Finding, shared.id).vendor_response == "Fix by Q3."
    assert (
        client.post(f"/findings/{hidden.id}/plan", data={f"p{hidden.id}-plan": "x"}).status_code
        == 404
    )
    assert (
        client.post(f"/findings/{foreign.id}/plan", data={f"p{foreign.id}-plan": "x"}).status_code
        == 404
    )
    login(client, risk)
    g.pop("_login_user", None)  # the test's app context outlives requests: drop Flask-Login's cache
    assert "Fix by Q3." in client.get(f"/review/findings/{shared.id}").get_data(as_text=True)
    assert client.get("/findings/mine").status_code == 403


def test_assessment_workbook_download_from_the_review_page(client, login_as, submitted):
    a, _ = submitted
    login_as("procurement")
    html = client.get(f"/review/assessments/{a.id}").get_data(as_text=True)
    assert f"/review/assessments/{a.id}/export.xlsx" in html
    r = client.get(f"/review/assessments/{a.id}/export.xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK"

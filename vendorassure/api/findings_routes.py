"""Findings API: the risk team raises, proposes, edits and closes; a vendor sees the findings
sent to it and answers with a remediation plan; answer flags and clarification requests."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import FINDING_STATUSES, SEVERITIES, Assessment, Finding
from ..services import access, findings, review
from ..services.errors import BadInput, InvalidValues
from ..services.queries import paginate
from ..web.page_cache import page_cache
from .core import Id, Line, Paging, Schema, current_user, endpoint, page_body
from .serializers import iso

RISK = ("risk", "admin")


class FindingCreate(Schema):
    assessment_id: Id
    title: Line = Field(min_length=1, max_length=300)
    severity: str = "medium"
    control: str | None = None
    description: str = ""
    remediation: str = ""
    due_date: str | None = None
    owner_id: Id | None = None
    shared_with_vendor: bool = False


class FindingPatch(Schema):
    title: Line | None = None
    severity: str | None = None
    control: str | None = None
    description: str | None = None
    remediation: str | None = None
    due_date: str | None = None
    owner_id: Id | None = None
    status: str | None = None
    accepted_until: str | None = None
    acceptance_reason: str | None = None
    shared_with_vendor: bool | None = None


class FindingQuery(Paging):
    status: str | None = None
    severity: str | None = None
    vendor_id: Id | None = None
    assessment_id: Id | None = None
    overdue: bool | None = None


class FindingBulk(Schema):
    ids: list[Id] = Field(min_length=1, max_length=500)
    action: Literal["open", "dismiss", "assign", "due_date"]
    reason: str | None = Field(default=None, max_length=5000)
    owner_id: Id | None = None
    due_date: str | None = None


class FindingResponse(Schema):
    plan: str


class AnswerFlag(Schema):
    state: Literal["none", "flagged", "accepted"]
    note: str = ""


class Clarification(Schema):
    body: str
    question_key: str | None = None


def finding_out(f: Finding, staff: bool = True) -> dict:
    """A finding in the API shape; a vendor does not see internal fields."""
    body = {
        "id": f.id,
        "assessment_id": f.assessment_id,
        "vendor_id": f.vendor_id,
        "control": f.control.ref if f.control else None,
        "question_key": f.question.key if f.question else None,
        "severity": f.severity,
        "title": f.title,
        "description": f.description,
        "status": f.status,
        "due_date": iso(f.due_date),
        "remediation": f.remediation,
        "vendor_response": f.vendor_response,
        "vendor_responded_at": iso(f.vendor_responded_at),
        "accepted_until": iso(f.accepted_until),
        "created_at": iso(f.created_at),
        "updated_at": iso(f.updated_at),
    }
    if staff:
        body.update(
            {
                "owner_id": f.owner_id,
                "acceptance_reason": f.acceptance_reason,
                "origin": f.origin,
                "shared_with_vendor": f.shared_with_vendor,
            }
        )
    return body


@endpoint(
    "/findings",
    "GET",
    "List findings (a vendor: those sent to it)",
    (*RISK, "vendor"),
    query=FindingQuery,
)
@page_cache
def findings_list(query: FindingQuery):
    user = current_user()
    staff = user.role != "vendor"
    stmt = select(Finding) if staff else findings.vendor_findings_query(user)
    if query.status:
        if query.status not in FINDING_STATUSES:
            raise InvalidValues(
                f"status must be one of {', '.join(FINDING_STATUSES)}.", {"status": "Unknown."}
            )
        stmt = stmt.where(Finding.status == query.status)
    if query.severity:
        if query.severity not in SEVERITIES:
            raise InvalidValues(
                f"severity must be one of {', '.join(SEVERITIES)}.", {"severity": "Unknown."}
            )
        stmt = stmt.where(Finding.severity == query.severity)
    if query.vendor_id is not None:
        stmt = stmt.where(Finding.vendor_id == query.vendor_id)
    if query.assessment_id is not None:
        stmt = stmt.where(Finding.assessment_id == query.assessment_id)
    if query.overdue:
        stmt = stmt.where(
            Finding.status.in_(("open", "remediating")), Finding.due_date < date.today()
        )
    # the control and question of every row come with it (not one query per row)
    stmt = stmt.options(joinedload(Finding.control), joinedload(Finding.question))
    rows, total = paginate(stmt, query.page, query.per_page, (Finding.id.desc(),))
    return page_body([finding_out(f, staff) for f in rows], query.page, query.per_page, total)


@endpoint("/findings", "POST", "Raise a finding", RISK, body=FindingCreate, status=201)
def findings_create(body: FindingCreate):
    a = db.session.get(Assessment, body.assessment_id)
    if a is None:
        raise InvalidValues(
            f"Assessment {body.assessment_id} does not exist.",
            {"assessment_id": "Unknown assessment."},
        )
    data = body.model_dump(exclude={"assessment_id"}, exclude_none=True)
    return finding_out(findings.create_finding(current_user(), a, data))


@endpoint("/findings/<int:finding_id>", "GET", "One finding", (*RISK, "vendor"))
@page_cache
def finding_get(finding_id: int):
    user = current_user()
    if user.role == "vendor":
        return finding_out(findings.get_vendor_finding(user, finding_id), staff=False)
    return finding_out(access.get_finding(user, finding_id))


@endpoint(
    "/findings/<int:finding_id>",
    "PATCH",
    "Edit a finding, send it to the vendor or change its status",
    RISK,
    body=FindingPatch,
)
def finding_patch(finding_id: int, body: FindingPatch):
    f = access.get_finding(current_user(), finding_id)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise BadInput("Send at least one field to change.", {"body": "No fields."})
    return finding_out(findings.update_finding(current_user(), f, changes))


@endpoint(
    "/findings/<int:finding_id>/response",
    "POST",
    "The vendor's remediation plan for a finding sent to it",
    ("vendor",),
    body=FindingResponse,
)
def finding_respond(finding_id: int, body: FindingResponse):
    user = current_user()
    f = findings.get_vendor_finding(user, finding_id)
    return finding_out(findings.respond_to_finding(user, f, body.plan), staff=False)


@endpoint(
    "/assessments/<int:assessment_id>/findings/propose",
    "POST",
    "Propose findings from the score (knockouts, controls below the threshold)",
    RISK,
    status=201,
)
def findings_propose(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    created = findings.propose_findings(current_user(), a)
    return {"items": [finding_out(f) for f in created], "total": len(created)}


@endpoint(
    "/assessments/<int:assessment_id>/findings/bulk",
    "POST",
    "Decide many findings of an assessment at once: open, dismiss with a reason, assign, due date",
    RISK,
    body=FindingBulk,
)
def findings_bulk(assessment_id: int, body: FindingBulk):
    a = access.get_assessment(current_user(), assessment_id)
    value = {"dismiss": body.reason, "assign": body.owner_id, "due_date": body.due_date}.get(
        body.action
    )
    rows = findings.bulk_update(current_user(), a, body.ids, body.action, value)
    return {"items": [finding_out(f) for f in rows], "total": len(rows)}


@endpoint(
    "/assessments/<int:assessment_id>/answers/<question_key>/review",
    "PUT",
    "Flag an answer and keep an internal note (never shown to the vendor)",
    RISK,
    body=AnswerFlag,
)
def answer_flag(assessment_id: int, question_key: str, body: AnswerFlag):
    a = access.get_assessment(current_user(), assessment_id)
    answer = review.flag_answer(current_user(), a, question_key, body.state, body.note)
    return {
        "question_key": question_key,
        "review_state": answer.review_state,
        "review_note": answer.review_note,
    }


@endpoint(
    "/assessments/<int:assessment_id>/clarifications",
    "POST",
    "Ask the vendor to clarify (a comment the vendor sees)",
    RISK,
    body=Clarification,
    status=201,
)
def clarification_create(assessment_id: int, body: Clarification):
    a = access.get_assessment(current_user(), assessment_id)
    c = review.request_clarification(current_user(), a, body.body, body.question_key)
    return {
        "id": c.id,
        "assessment_id": c.assessment_id,
        "question_key": body.question_key,
        "body": c.body,
        "internal": c.internal,
        "created_at": iso(c.created_at),
    }

"""JSON API v1: thin routes over the same services as the web UI (DESIGN.md §7)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from flask import jsonify, request
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..catalog.qtypes import answer_value_schema
from ..downloads import send_evidence
from ..extensions import db
from ..models import STAFF_ROLES, VENDOR_OPEN, Assessment, Control, Vendor
from ..queries import portfolio
from ..queries.evidence import assessment_evidence
from ..services import access, assessments, evidence, library, review, vendors
from ..services.auth import issue_api_token
from ..services.errors import BadInput, InvalidValues, NotFound
from ..services.filetypes import ALLOWED
from ..services.queries import name_contains, paginate
from ..services.scoring import explained_score
from ..web.page_cache import page_cache
from .core import (
    Count,
    Id,
    Line,
    Paging,
    Query,
    Schema,
    bp,
    current_user,
    endpoint,
    line,
    page_body,
)
from .serializers import assessment_json, evidence_json, user_json, vendor_json

STAFF = STAFF_ROLES
ANY = (*STAFF_ROLES, "vendor")


# --- schemas ---------------------------------------------------------------------------------


class TokenRequest(Schema):
    email: line(254)
    password: str = Field(max_length=1000)
    name: line(100) = "api"
    otp: line(20) | None = None


class VendorCreate(Schema):
    name: Line
    website: Line = ""
    services: str = ""
    intake: dict[str, Any]


class VendorPatch(Schema):
    name: Line | None = None
    website: Line | None = None
    services: str | None = None
    status: str | None = None
    intake: dict[str, Any] | None = None


class VendorQuery(Paging):
    q: str | None = None
    tier: str | None = None


class ContactCreate(Schema):
    email: line(254)
    name: line(200) = ""
    language: Literal["en", "de", "fr"] | None = None


class AssessmentCreate(Schema):
    vendor_id: Id
    questionnaire: Line
    due_date: Line
    version: Id | None = None
    force: bool = False  # issue although scored questions are not mapped to any control
    confirm_duplicate: bool = False  # issue although one of this questionnaire is still open


class AssessmentQuery(Paging):
    status: str | None = None
    vendor_id: Id | None = None
    rating: str | None = None
    tier: str | None = None
    reviewer_id: Id | None = None
    overdue: bool | None = None


class ReviewerAssign(Schema):
    reviewer_id: Id | None


class AnswerPut(Schema):
    # the shape of a value depends on the question type (catalog/qtypes.py, one registry)
    value: Any = Field(None, json_schema_extra=answer_value_schema())
    comment: str | None = None
    na: bool = False
    na_reason: str = ""
    lock_version: Count | None = None


class Verification(Schema):
    decision: Literal["accepted", "rejected"]
    note: str = ""
    scope_covers_service: bool | None = None
    accredited: bool | None = None
    suspended: bool | None = None


class Review(Schema):
    decision: Literal["start", "complete", "request_changes"]
    note: str = ""
    override_rating: str | None = None
    override_reason: str | None = None
    # Completing with proposed findings still undecided: open or dismiss all of them.
    proposed: Literal["open", "dismiss"] | None = None
    dismiss_reason: str | None = None


class Cancel(Schema):
    reason: str = ""


class QuestionnaireQuery(Query):
    version: Id | None = None


# --- auth ------------------------------------------------------------------------------------


@endpoint(
    "/tokens",
    "POST",
    "Exchange email and password for a bearer token",
    public=True,
    body=TokenRequest,
    status=201,
    limit="LOGIN_RATE_LIMIT",
    responses={401: "Wrong email or password, or the account is locked"},
)
def token_create(body: TokenRequest):
    token, row = issue_api_token(body.email, body.password, body.name, body.otp)
    return {"token": token, "expires_at": row.expires_at.isoformat() + "Z"}


@endpoint("/me", "GET", "The signed-in user", ANY)
def me_get():
    return user_json(current_user())


@endpoint("/intake", "GET", "The inherent-risk intake questions", ANY)
def intake_get():
    spec = library.intake_definition()
    return {
        "key": spec.get("key"),
        "title": spec.get("title"),
        "questions": [
            {
                "key": q["key"],
                "text": q["text"],
                "help": q.get("help", ""),
                "type": q["type"],
                "options": [
                    {"value": o["value"], "label": o["label"], "risk": o["risk"]}
                    for o in q["options"]
                ],
            }
            for q in spec["questions"]
        ],
    }


# --- vendors ---------------------------------------------------------------------------------


def _vendor_out(vendor: Vendor) -> dict:
    staff = current_user().is_staff
    if not staff:
        return vendor_json(vendor, False)
    return vendor_json(
        vendor,
        True,
        portfolio.ratings_for([vendor.id]).get(vendor.id),
        library.scoring_model().questionnaire_for_tier(vendor.inherent_tier),
    )


@endpoint(
    "/vendors",
    "GET",
    "List vendors (paginated, ?q= searches names)",
    ("procurement", "risk", "admin"),
    query=VendorQuery,
)
@page_cache
def vendors_list(query: VendorQuery):
    stmt = select(Vendor).options(selectinload(Vendor.contacts))
    if query.q:
        stmt = stmt.where(name_contains(Vendor.name, query.q))
    if query.tier:
        stmt = stmt.where(Vendor.inherent_tier == query.tier)
    rows, total = paginate(stmt, query.page, query.per_page, (Vendor.name, Vendor.id))
    ratings = portfolio.ratings_for([v.id for v in rows])
    model = library.scoring_model()
    items = [
        vendor_json(v, True, ratings.get(v.id), model.questionnaire_for_tier(v.inherent_tier))
        for v in rows
    ]
    return page_body(items, query.page, query.per_page, total)


@endpoint(
    "/vendors",
    "POST",
    "Register a vendor with its intake answers",
    ("procurement", "admin"),
    body=VendorCreate,
    status=201,
)
def vendors_create(body: VendorCreate):
    vendor = vendors.create_vendor(
        current_user(), body.name, body.website, body.services, body.intake
    )
    return _vendor_out(vendor)


@endpoint("/vendors/<int:vendor_id>", "GET", "One vendor (a vendor user: its own only)", ANY)
@page_cache
def vendor_get(vendor_id: int):
    return _vendor_out(access.get_vendor(current_user(), vendor_id))


@endpoint(
    "/vendors/<int:vendor_id>",
    "PATCH",
    "Edit a vendor (intake changes re-tier it)",
    ("procurement", "admin"),
    body=VendorPatch,
)
def vendor_patch(vendor_id: int, body: VendorPatch):
    vendor = access.get_vendor(current_user(), vendor_id)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise BadInput("Send at least one field to change.", {"body": "No fields."})
    return _vendor_out(vendors.update_vendor(current_user(), vendor, changes))


@endpoint(
    "/vendors/<int:vendor_id>/contacts",
    "POST",
    "Add a vendor contact and email the invitation",
    ("procurement", "admin"),
    body=ContactCreate,
    status=201,
)
def vendor_contact_create(vendor_id: int, body: ContactCreate):
    vendor = access.get_vendor(current_user(), vendor_id)
    user, _link = vendors.add_contact(current_user(), vendor, body.email, body.name, body.language)
    return {**user_json(user), "language": user.language, "invited": True}


# --- questionnaires and controls ------------------------------------------------------------


@endpoint("/questionnaires", "GET", "Questionnaires in the library (latest versions)", STAFF)
def questionnaires_list():
    items = [
        {k: q[k] for k in ("key", "version", "title", "question_count")}
        for q in library.questionnaire_index()
    ]
    return {"items": items, "total": len(items)}


@endpoint(
    "/questionnaires/<key>",
    "GET",
    "A questionnaire with its questions (?version=N)",
    STAFF,
    query=QuestionnaireQuery,
)
def questionnaire_get(key: str, query: QuestionnaireQuery):
    qn = library.latest_questionnaire(key, query.version)
    return {
        "key": qn.key,
        "version": qn.version,
        "title": qn.title,
        "description": qn.description,
        "sections": qn.sections,
        "questions": [q.to_dict() for q in qn.questions],
    }


@endpoint("/controls", "GET", "The Annex A control catalog with crosswalks", STAFF)
@page_cache
def controls_list():
    controls = db.session.scalars(select(Control).order_by(Control.position)).all()
    crosswalks: dict[int, dict[str, list[str]]] = {}
    from ..models import Crosswalk

    for cw in db.session.scalars(select(Crosswalk).order_by(Crosswalk.id)):
        crosswalks.setdefault(cw.control_id, {}).setdefault(cw.framework, []).append(cw.ref)
    items = [
        {
            "ref": c.ref,
            "objective": c.objective,
            "title": c.title,
            "summary": c.summary,
            "crosswalks": crosswalks.get(c.id, {}),
        }
        for c in controls
    ]
    return {"items": items, "total": len(items)}


# --- assessments -----------------------------------------------------------------------------


@endpoint(
    "/assessments", "GET", "List assessments (staff: all; vendor: own)", ANY, query=AssessmentQuery
)
@page_cache
def assessments_list(query: AssessmentQuery):
    user = current_user()
    stmt = select(Assessment).options(
        joinedload(Assessment.vendor), joinedload(Assessment.questionnaire)
    )
    if user.role == "vendor":
        stmt = stmt.where(
            Assessment.vendor_id == user.vendor_id, Assessment.status.not_in(("draft", "cancelled"))
        )
    if query.status:
        stmt = stmt.where(Assessment.status == query.status)
    if query.vendor_id is not None:
        stmt = stmt.where(Assessment.vendor_id == query.vendor_id)
    if query.rating:
        if user.role == "vendor":
            raise BadInput("Vendors cannot filter by rating.", {"rating": "Not available."})
        stmt = stmt.where(
            func.coalesce(Assessment.override_rating, Assessment.rating) == query.rating
        )
    if user.is_staff:
        if query.tier:
            stmt = stmt.where(Assessment.vendor.has(Vendor.inherent_tier == query.tier))
        if query.reviewer_id is not None:
            stmt = stmt.where(Assessment.reviewer_id == query.reviewer_id)
    if query.overdue:
        stmt = stmt.where(Assessment.status.in_(VENDOR_OPEN), Assessment.due_date < date.today())
    rows, total = paginate(stmt, query.page, query.per_page, (Assessment.id.desc(),))
    return page_body(
        [assessment_json(a, user.is_staff) for a in rows], query.page, query.per_page, total
    )


@endpoint(
    "/assessments",
    "POST",
    "Issue a questionnaire to a vendor",
    ("procurement", "admin"),
    body=AssessmentCreate,
    status=201,
)
def assessments_create(body: AssessmentCreate):
    vendor = db.session.get(Vendor, body.vendor_id)
    if vendor is None:
        raise InvalidValues(
            f"Vendor {body.vendor_id} does not exist.", {"vendor_id": "Unknown vendor."}
        )
    a = assessments.issue_assessment(
        current_user(),
        vendor,
        body.questionnaire,
        body.due_date,
        body.version,
        body.force,
        allow_duplicate=body.confirm_duplicate,
    )
    return assessment_json(a, True, assessments.progress(a))


@endpoint("/assessments/<int:assessment_id>", "GET", "One assessment", ANY)
@page_cache
def assessment_get(assessment_id: int):
    user = current_user()
    a = access.get_assessment(user, assessment_id)
    return assessment_json(a, user.is_staff, assessments.progress(a))


@endpoint(
    "/assessments/<int:assessment_id>/questions",
    "GET",
    "The pinned questionnaire's questions, each with `visible`",
    ANY,
)
def assessment_questions(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    visible = assessments.visible_keys(a)
    items = [{**q.to_dict(), "visible": q.key in visible} for q in a.questionnaire.questions]
    return {"items": items, "total": len(items)}


@endpoint("/assessments/<int:assessment_id>/answers", "GET", "All answers of an assessment", ANY)
@page_cache
def assessment_answers(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    answers = assessments.answer_map(a)
    items = [
        assessments.answer_dict(answers[q.key], q.key)
        for q in a.questionnaire.questions
        if q.key in answers
    ]
    return {"items": items, "total": len(items)}


@endpoint(
    "/assessments/<int:assessment_id>/answers/<question_key>",
    "PUT",
    "Save one answer (vendor, while open); stale lock_version answers 409",
    ("vendor",),
    body=AnswerPut,
)
def answer_put(assessment_id: int, question_key: str, body: AnswerPut):
    a = access.get_assessment(current_user(), assessment_id)
    answer = assessments.save_answer(
        current_user(),
        a,
        question_key,
        body.value,
        comment=body.comment,
        na=body.na,
        na_reason=body.na_reason,
        lock_version=body.lock_version,
    )
    return assessments.answer_dict(answer, question_key)


@endpoint(
    "/assessments/<int:assessment_id>/submit",
    "POST",
    "Submit; refused with error.fields.missing when required answers are missing",
    ("vendor",),
    responses={422: "Required answers missing (error.fields.missing lists them)"},
)
def assessment_submit(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    a = assessments.submit_assessment(current_user(), a)
    return assessment_json(a, False, assessments.progress(a))


@endpoint(
    "/assessments/<int:assessment_id>/review",
    "POST",
    "Start, complete or send back a review",
    ("risk", "admin"),
    body=Review,
)
def assessment_review(assessment_id: int, body: Review):
    a = access.get_assessment(current_user(), assessment_id)
    review.check_decision(body.decision, body.override_rating, body.override_reason)
    if body.decision == "start":
        # Same as opening the review in the UI: propose findings from the score (idempotent).
        proposed = review.start_review(current_user(), a)
        return {
            **assessment_json(a, True, assessments.progress(a)),
            "proposed_findings": len(proposed),
        }
    a = review.review_assessment(
        current_user(),
        a,
        body.decision,
        body.note,
        body.override_rating,
        body.override_reason,
        body.proposed,
        body.dismiss_reason,
    )
    return assessment_json(a, True, assessments.progress(a))


@endpoint(
    "/assessments/<int:assessment_id>/cancel",
    "POST",
    "Cancel an open assessment",
    ("procurement", "admin"),
    body=Cancel,
)
def assessment_cancel(assessment_id: int, body: Cancel):
    a = access.get_assessment(current_user(), assessment_id)
    return assessment_json(assessments.cancel_assessment(current_user(), a, body.reason), True)


@endpoint("/assessments/<int:assessment_id>/score", "GET", "Score with its explanation", STAFF)
@page_cache
def assessment_score(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    details = explained_score(a)
    if details is None:
        raise NotFound(
            f"Assessment {assessment_id} has not been scored yet (it is scored on submit)."
        )
    return {
        **details,
        "computed_rating": a.rating,
        "override_rating": a.override_rating,
        "override_reason": a.override_reason,
        "final_rating": a.final_rating,
        "scored_at": a.scored_at.isoformat() + "Z",
    }


# --- evidence --------------------------------------------------------------------------------


@endpoint(
    "/assessments/<int:assessment_id>/evidence", "GET", "Evidence attached to an assessment", ANY
)
def assessment_evidence_list(assessment_id: int):
    user = current_user()
    a = access.get_assessment(user, assessment_id)
    used = assessment_evidence(a, include_library=False)
    keys = {q.id: q.key for q in a.questionnaire.questions}
    items = [
        {
            **evidence_json(e, user.is_staff),
            "question_key": keys.get(qid),
            "linked": e.assessment_id != a.id,
        }
        for e, qid in used
    ]
    return {"items": items, "total": len(items)}


@endpoint(
    "/assessments/<int:assessment_id>/evidence",
    "POST",
    "Upload evidence (multipart)",
    ("vendor",),
    status=201,
    multipart={
        "file": "binary",
        "kind": "string",
        "question_key": "string",
        "standard": "string",
        "edition": "string",
        "certification_body": "string",
        "accreditation_body": "string",
        "not_accredited": "boolean",
        "certificate_number": "string",
        "scope": "string",
        "issued_on": "date",
        "expires_on": "date",
    },
)
def assessment_evidence_upload(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    upload = request.files.get("file")
    if upload is None:
        raise BadInput("Send the file as multipart form field 'file'.", {"file": "Required."})
    if not request.form.get("kind"):
        raise BadInput("Say what kind of evidence this is.", {"kind": "Required."})
    from .portal_routes import META_FIELDS, portal_evidence_json

    ev = evidence.upload_evidence(
        current_user(),
        a,
        upload.filename or "",
        upload.read(),
        request.form["kind"],
        request.form.get("question_key") or None,
        **{k: request.form.get(k) for k in META_FIELDS},
    )
    return portal_evidence_json(ev, False)


@endpoint("/evidence/<int:evidence_id>", "GET", "One evidence record", ANY)
def evidence_get(evidence_id: int):
    user = current_user()
    return evidence_json(access.get_evidence(user, evidence_id), user.is_staff)


@endpoint(
    "/evidence/<int:evidence_id>",
    "DELETE",
    "Remove evidence while the assessment is open",
    ("vendor",),
    status=204,
    produces=(),
)
def evidence_delete(evidence_id: int):
    evidence.delete_evidence(current_user(), access.get_evidence(current_user(), evidence_id))
    return "", 204


@endpoint(
    "/evidence/<int:evidence_id>/download",
    "GET",
    "Download the file (as an attachment)",
    ANY,
    produces=tuple(ALLOWED.values()),
    responses={302: "Redirect to a short-lived pre-signed URL (EVIDENCE_DOWNLOADS=presigned)"},
)
def evidence_download(evidence_id: int):
    ev = access.get_evidence(current_user(), evidence_id)
    response = send_evidence(ev)
    return response, response.status_code


@endpoint(
    "/evidence/<int:evidence_id>/verification",
    "POST",
    "Accept or reject evidence",
    ("risk", "admin"),
    body=Verification,
)
def evidence_verify(evidence_id: int, body: Verification):
    ev = access.get_evidence(current_user(), evidence_id)
    ev = evidence.verify_evidence(
        current_user(), ev, body.decision, body.note, body.scope_covers_service, body.accredited,
        body.suspended,
    )  # fmt: skip
    return evidence_json(ev, True)


# --- portfolio -------------------------------------------------------------------------------


@endpoint("/portfolio/summary", "GET", "Portfolio counts (same figures as the dashboard)", STAFF)
def portfolio_summary():
    return {**portfolio.summary(), "as_of": date.today().isoformat()}


@bp.get("/openapi.json")
def openapi_json():
    from .openapi import build_document

    return jsonify(build_document())


class InvitationAccept(Schema):
    token: Line
    password: str = Field(max_length=1000)
    name: line(200) | None = None


@endpoint(
    "/invitations/accept",
    "POST",
    "Accept an invitation: set the password of the invited vendor contact (single use)",
    public=True,
    body=InvitationAccept,
    limit="LOGIN_RATE_LIMIT",
)
def invitation_accept(body: InvitationAccept):
    from ..services.auth import accept_invitation

    return user_json(accept_invitation(body.token, body.password, body.name))


@endpoint(
    "/assessments/<int:assessment_id>/reviewer",
    "PUT",
    "Assign the risk reviewer of an assessment (null clears it)",
    ("risk", "admin"),
    body=ReviewerAssign,
)
def assessment_assign(assessment_id: int, body: ReviewerAssign):
    from ..models import User

    a = access.get_assessment(current_user(), assessment_id)
    reviewer = None
    if body.reviewer_id is not None:
        reviewer = db.session.get(User, body.reviewer_id)
        if reviewer is None:
            raise InvalidValues(
                f"User {body.reviewer_id} does not exist.", {"reviewer_id": "Unknown user."}
            )
    return assessment_json(assessments.assign_reviewer(current_user(), a, reviewer), True)

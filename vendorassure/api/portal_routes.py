"""JSON API v1 for the vendor portal: contacts and invitations, carried-forward answers,
clarification threads, the certificate library and replacing evidence."""

from __future__ import annotations

from flask import request

from ..extensions import db
from ..models import STAFF_ROLES, User
from ..services import access, assessments, comments, evidence
from ..services import auth as auth_service
from ..services.errors import BadInput, NotFound
from .core import ROUTES, Id, Schema, current_user, endpoint, parse_json
from .serializers import evidence_json

STAFF = STAFF_ROLES
ANY = (*STAFF_ROLES, "vendor")
BUYER = ("procurement", "admin")
META_FIELDS = evidence.METADATA_FIELDS


class ConfirmBody(Schema):
    keys: list[str] | None = None


class CommentBody(Schema):
    body: str
    question_key: str | None = None
    internal: bool = False


class AttachBody(Schema):
    evidence_id: Id
    question_key: str | None = None


def _documents(schema) -> None:
    """Name the request body of the route just registered in the OpenAPI document.

    These views parse the body themselves, after the scoped loader: another vendor's ids answer
    404 whatever the body holds, never 400.
    """
    ROUTES[-1].body = schema


def portal_evidence_json(ev, staff: bool) -> dict:
    """The shared evidence shape plus the certificate details the portal records."""
    return {
        **evidence_json(ev, staff),
        "standard": ev.standard,
        "edition": ev.edition,
        "accreditation_body": ev.accreditation_body,
        "not_accredited": ev.not_accredited,
        "in_library": ev.assessment_id is None,
        "warnings": evidence.certificate_warnings(ev),
    }


def _contact(vendor_id: int, user_id: int) -> User:
    vendor = access.get_vendor(current_user(), vendor_id)
    user = db.session.get(User, user_id)
    if user is None or user.role != "vendor" or user.vendor_id != vendor.id:
        raise NotFound(f"Contact {user_id} does not exist.")
    return user


def _contact_json(user: User) -> dict:
    state, inv = auth_service.contact_state(user)
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "state": state,
        "invitation_expires_at": inv.expires_at.isoformat() + "Z"
        if inv is not None and state == "invited"
        else None,
    }


@endpoint("/vendors/<int:vendor_id>/contacts", "GET", "A vendor's contacts", STAFF)
def vendor_contacts_list(vendor_id: int):
    vendor = access.get_vendor(current_user(), vendor_id)
    items = [_contact_json(u) for u in sorted(vendor.contacts, key=lambda u: u.id)]
    return {"items": items, "total": len(items)}


@endpoint(
    "/vendors/<int:vendor_id>/contacts/<int:user_id>/invitation",
    "POST",
    "Resend a contact's invitation (earlier links stop working)",
    BUYER,
    status=201,
)
def contact_invitation_resend(vendor_id: int, user_id: int):
    user = _contact(vendor_id, user_id)
    _token, inv = auth_service.resend_invitation(current_user(), user)
    return {**_contact_json(user), "invitation_id": inv.id}


@endpoint(
    "/vendors/<int:vendor_id>/contacts/<int:user_id>/invitation",
    "DELETE",
    "Revoke a contact's unused invitation links",
    BUYER,
)
def contact_invitation_revoke(vendor_id: int, user_id: int):
    user = _contact(vendor_id, user_id)
    revoked = auth_service.revoke_invitation(current_user(), user)
    return {**_contact_json(user), "revoked": revoked}


@endpoint(
    "/assessments/<int:assessment_id>/answers/confirm",
    "POST",
    "Confirm carried-forward answers (all, or the listed keys)",
    ("vendor",),
)
def answers_confirm(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    body = parse_json(ConfirmBody)
    done = assessments.confirm_carried_forward(current_user(), a, body.keys)
    db.session.refresh(a)
    return {
        "confirmed": done,
        "progress": assessments.progress(a),
        "missing": assessments.missing_required(a),
    }


_documents(ConfirmBody)


@endpoint(
    "/assessments/<int:assessment_id>/comments",
    "GET",
    "Clarification threads (a vendor never sees internal notes)",
    ANY,
)
def comments_list(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    keys = {q.id: q.key for q in a.questionnaire.questions}
    items = [comments.comment_dict(c, keys) for c in comments.list_comments(current_user(), a)]
    return {"items": items, "total": len(items)}


@endpoint(
    "/assessments/<int:assessment_id>/comments",
    "POST",
    "Post a message on a question (or the assessment); risk may post internal notes",
    ("vendor", "risk", "admin"),
    status=201,
)
def comments_create(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    body = parse_json(CommentBody)
    c = comments.add_comment(current_user(), a, body.question_key, body.body, body.internal)
    keys = {q.id: q.key for q in a.questionnaire.questions}
    return comments.comment_dict(c, keys)


_documents(CommentBody)


@endpoint(
    "/vendors/<int:vendor_id>/library",
    "GET",
    "The vendor's certificate library (evidence kept for reuse)",
    ANY,
)
def library_list(vendor_id: int):
    vendor = access.get_vendor(current_user(), vendor_id)
    staff = current_user().is_staff
    items = [portal_evidence_json(e, staff) for e in evidence.library(vendor.id)]
    return {"items": items, "total": len(items)}


def _upload():
    upload = request.files.get("file")
    if upload is None:
        raise BadInput("Send the file as multipart form field 'file'.", {"file": "Required."})
    return upload


@endpoint(
    "/vendors/<int:vendor_id>/library",
    "POST",
    "Add a certificate or document to the vendor's library",
    ("vendor",),
    multipart={"file": "binary", "kind": "string", **{k: "string" for k in META_FIELDS}},
    status=201,
)
def library_upload(vendor_id: int):
    vendor = access.get_vendor(current_user(), vendor_id)
    upload = _upload()
    if not request.form.get("kind"):
        raise BadInput("Say what kind of evidence this is.", {"kind": "Required."})
    ev = evidence.upload_library_evidence(
        current_user(),
        vendor,
        upload.filename or "",
        upload.read(),
        request.form["kind"],
        **{k: request.form.get(k) for k in META_FIELDS},
    )
    return portal_evidence_json(ev, False)


@endpoint(
    "/assessments/<int:assessment_id>/evidence/from-library",
    "POST",
    "Attach a library document to an assessment (optionally to one question)",
    ("vendor",),
    status=201,
)
def evidence_attach(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    body = parse_json(AttachBody)
    source = access.get_evidence(current_user(), body.evidence_id)
    ev = evidence.attach_from_library(current_user(), a, source, body.question_key)
    return portal_evidence_json(ev, False)


_documents(AttachBody)


@endpoint(
    "/evidence/<int:evidence_id>/replace",
    "POST",
    "Replace the file of an evidence record before submitting (details kept)",
    ("vendor",),
    multipart={"file": "binary"},
)
def evidence_replace(evidence_id: int):
    ev = access.get_evidence(current_user(), evidence_id)
    upload = _upload()
    ev = evidence.replace_evidence(current_user(), ev, upload.filename or "", upload.read())
    return portal_evidence_json(ev, False)

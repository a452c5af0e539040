"""Evidence use cases: upload (judged by its bytes), verify, delete."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import CERTIFICATE_KINDS, EVIDENCE_KINDS, Assessment, Evidence, Question
from ..models._base import utcnow
from ..storage import get_storage
from . import audit
from .access import require_role
from .errors import Conflict, IllegalTransition, InvalidValues, PayloadTooLarge, UnsupportedMedia
from .filetypes import ALLOWED, sniff
from .scoring import score_assessment_now

METADATA_LIMITS = {"certification_body": 200, "certificate_number": 100, "scope": 5000}


def clean_filename(name: str) -> str:
    """Accept a plain file name; refuse path separators, control characters and overlong names."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise InvalidValues("The file has no name.", {"file": "Missing file name."})
    if "/" in name or "\\" in name or name in (".", ".."):
        raise InvalidValues(
            "The file name must not contain path separators.", {"file": "Bad name."}
        )
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidValues("The file name contains control characters.", {"file": "Bad name."})
    if len(name) > 200 or len(name.encode()) > 255:
        raise InvalidValues(
            "The file name is longer than 200 characters.", {"file": "Name too long."}
        )
    return name


def _date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidValues(
            f"{field} must be a date in the form YYYY-MM-DD.", {field: "Use YYYY-MM-DD."}
        ) from None


def check_metadata(kind: str, meta: dict) -> dict:
    """Validate evidence kind and certificate metadata; return the cleaned values."""
    fields = {}
    if kind not in EVIDENCE_KINDS:
        fields["kind"] = f"Must be one of: {', '.join(EVIDENCE_KINDS)}."
    clean = {}
    for key, limit in METADATA_LIMITS.items():
        value = meta.get(key) or ""
        if not isinstance(value, str):
            fields[key] = "Must be text."
        elif len(value) > limit:
            fields[key] = f"At most {limit} characters."
        else:
            clean[key] = value.strip()
    issued = expires = None
    try:
        issued = _date(meta.get("issued_on"), "issued_on")
    except InvalidValues as exc:
        fields.update(exc.fields)
    try:
        expires = _date(meta.get("expires_on"), "expires_on")
    except InvalidValues as exc:
        fields.update(exc.fields)
    if kind in CERTIFICATE_KINDS:
        if issued is None and "issued_on" not in fields:
            fields["issued_on"] = "A certificate needs its issue date."
        if expires is None and "expires_on" not in fields:
            fields["expires_on"] = "A certificate needs its expiry date."
    if issued and expires and expires <= issued:
        fields["expires_on"] = "Must be after the issue date."
    if fields:
        raise InvalidValues(
            "The evidence details are invalid: "
            + "; ".join(f"{k}: {v}" for k, v in fields.items()),
            fields,
        )
    return {**clean, "issued_on": issued, "expires_on": expires}


def upload_evidence(
    actor,
    assessment: Assessment,
    filename: str,
    data: bytes,
    kind: str,
    question_key: str | None = None,
    **meta,
) -> Evidence:
    """Store an evidence file for an open assessment after checking name, size, type and metadata."""
    require_role(actor, "vendor")
    if assessment.status not in ("sent", "in_progress", "changes_requested"):
        raise IllegalTransition(
            "Evidence can only be added while the assessment is open.",
            {"status": assessment.status},
        )
    name = clean_filename(filename)
    limit = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    if len(data) > limit:
        raise PayloadTooLarge(
            f"The file is larger than {current_app.config['MAX_UPLOAD_MB']} MB.",
            {"file": "Too large."},
        )
    if not data:
        raise InvalidValues("The file is empty.", {"file": "Empty file."})
    detected = sniff(data)
    if detected is None:
        raise UnsupportedMedia(
            "Only PDF, PNG, JPEG, DOCX and XLSX files are accepted; "
            "this file's content is none of those.",
            {"file": "Type not accepted."},
        )
    clean = check_metadata(kind, meta)
    question_id = None
    if question_key:
        question_id = db.session.scalar(
            select(Question.id).filter_by(
                questionnaire_id=assessment.questionnaire_id, key=question_key
            )
        )
        if question_id is None:
            raise InvalidValues(
                f"Question {question_key} is not part of this questionnaire.",
                {"question_key": "Unknown question."},
            )
    digest = hashlib.sha256(data).hexdigest()
    duplicate = db.session.scalar(
        select(Evidence).filter_by(
            vendor_id=assessment.vendor_id, assessment_id=assessment.id, sha256=digest
        )
    )
    if duplicate is not None:
        raise Conflict(
            f"This file is already attached as {duplicate.original_name!r}.",
            {"file": "Duplicate."},
            existing_id=duplicate.id,
        )
    storage = get_storage()
    key = storage.save(data)
    try:
        evidence = Evidence(
            vendor_id=assessment.vendor_id,
            assessment_id=assessment.id,
            question_id=question_id,
            kind=kind,
            original_name=name,
            storage_key=key,
            size=len(data),
            sha256=digest,
            media_type=ALLOWED[detected],
            uploaded_by_id=actor.id,
            **clean,
        )
        db.session.add(evidence)
        db.session.flush()
        audit.record(
            actor,
            "evidence.uploaded",
            evidence,
            assessment_id=assessment.id,
            vendor_id=assessment.vendor_id,
            details={"name": name, "kind": kind, "sha256": digest, "size": len(data)},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage.delete(key)
        raise
    return evidence


def delete_evidence(actor, evidence: Evidence) -> None:
    """Remove an evidence file while its assessment is still open."""
    require_role(actor, "vendor")
    assessment = (
        db.session.get(Assessment, evidence.assessment_id) if evidence.assessment_id else None
    )
    if assessment is None or assessment.status not in ("sent", "in_progress", "changes_requested"):
        raise IllegalTransition("Evidence can only be removed while the assessment is open.")
    audit.record(
        actor,
        "evidence.deleted",
        evidence,
        assessment_id=evidence.assessment_id,
        vendor_id=evidence.vendor_id,
        details={"name": evidence.original_name},
    )
    key = evidence.storage_key
    db.session.delete(evidence)
    db.session.commit()
    get_storage().delete(key)


def verify_evidence(
    actor,
    evidence: Evidence,
    decision: str,
    note: str = "",
    scope_covers_service: bool | None = None,
    accredited: bool | None = None,
) -> Evidence:
    """Record the risk team's verdict on evidence; rescore a scored assessment at once."""
    require_role(actor, "risk", "admin")
    if decision not in ("accepted", "rejected"):
        raise InvalidValues(
            "decision must be accepted or rejected.", {"decision": "accepted or rejected."}
        )
    if decision == "rejected" and not (note or "").strip():
        raise InvalidValues(
            "Say why the evidence is rejected.", {"note": "Required when rejecting."}
        )
    for name, value in (("scope_covers_service", scope_covers_service), ("accredited", accredited)):
        if value is not None and not isinstance(value, bool):
            raise InvalidValues(f"{name} must be true or false.", {name: "true or false."})
    evidence.verification = decision
    evidence.verification_note = (note or "").strip()
    if evidence.is_certificate:
        evidence.scope_covers_service = scope_covers_service
        evidence.accredited = accredited
    evidence.verified_by_id = actor.id
    evidence.verified_at = utcnow()
    audit.record(
        actor,
        f"evidence.{decision}",
        evidence,
        assessment_id=evidence.assessment_id,
        vendor_id=evidence.vendor_id,
        details={
            "note": evidence.verification_note,
            "scope_covers_service": scope_covers_service,
            "accredited": accredited,
        },
    )
    if evidence.assessment_id:
        assessment = db.session.get(Assessment, evidence.assessment_id)
        if assessment.scored_at is not None and assessment.status != "cancelled":
            db.session.flush()
            score_assessment_now(assessment)
    db.session.commit()
    return evidence

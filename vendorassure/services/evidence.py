"""Evidence use cases: upload (judged by its bytes), verify, delete."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from ..extensions import db
from ..models import (
    CERTIFICATE_KINDS,
    EVIDENCE_KINDS,
    VENDOR_OPEN,
    Assessment,
    Evidence,
    EvidenceLink,
    Question,
)
from ..models._base import utcnow
from ..queries.evidence import link_for
from ..storage import MissingObject, StoreError, get_storage
from ..validation import has_control_chars
from . import audit, findings
from .access import lock_assessment, require_role
from .errors import (
    Conflict,
    IllegalTransition,
    InvalidValues,
    NotFound,
    PayloadTooLarge,
    Unavailable,
    UnsupportedMedia,
)
from .filetypes import ALLOWED, sniff
from .scoring import score_assessment_now
from .values import parse_date

# The certificate details a vendor records with a file (form fields and API multipart fields).
METADATA_FIELDS = (
    "standard",
    "edition",
    "certification_body",
    "accreditation_body",
    "not_accredited",
    "certificate_number",
    "scope",
    "issued_on",
    "expires_on",
)
METADATA_LIMITS = {
    "certification_body": 200,
    "certificate_number": 100,
    "scope": 5000,
    "standard": 100,
    "edition": 50,
    "accreditation_body": 200,
}
# The only metadata that may span lines; the rest are one-line labels.
MULTILINE_METADATA = ("scope",)
# What a certificate of each kind certifies against, used when the vendor leaves it blank.
DEFAULT_STANDARDS = {
    "iso42001_certificate": "ISO/IEC 42001",
    "iso27001_certificate": "ISO/IEC 27001",
    "iso27701_certificate": "ISO/IEC 27701",
    "soc2_type2_report": "SOC 2 Type II (AICPA)",
}
# ISO certificates come from accredited (or not) certification bodies; SOC 2 from CPA firms.
ACCREDITED_KINDS = ("iso42001_certificate", "iso27001_certificate", "iso27701_certificate")
EXPIRY_WARNING_DAYS = 60


def clean_filename(name: str) -> str:
    """Accept a plain file name; refuse path separators, control characters and overlong names."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise InvalidValues(
            gettext("The file has no name."), {"file": gettext("Missing file name.")}
        )
    if "/" in name or "\\" in name or name in (".", ".."):
        raise InvalidValues(
            gettext("The file name must not contain path separators."),
            {"file": gettext("Bad name.")},
        )
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidValues(
            gettext("The file name contains control characters."), {"file": gettext("Bad name.")}
        )
    if len(name) > 200 or len(name.encode()) > 255:
        raise InvalidValues(
            gettext("The file name is longer than 200 characters."),
            {"file": gettext("Name too long.")},
        )
    return name


def _flag(value, field: str, fields: dict) -> bool:
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "y"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", "n"):
        return False
    fields[field] = gettext("true or false.")
    return False


def check_metadata(kind: str, meta: dict, require_full: bool = False) -> dict:
    """Validate evidence kind and certificate metadata; return the cleaned values.

    require_full (the portal form and the portal API) also asks ISO certificates for the
    edition and for the accreditation body or an explicit "not accredited".
    """
    fields = {}
    if kind not in EVIDENCE_KINDS:
        fields["kind"] = gettext("Must be one of: %(values)s.", values=", ".join(EVIDENCE_KINDS))
    clean = {}
    for key, limit in METADATA_LIMITS.items():
        value = meta.get(key) or ""
        if not isinstance(value, str):
            fields[key] = gettext("Must be text.")
        elif len(value) > limit:
            fields[key] = gettext("At most %(num)s characters.", num=limit)
        elif has_control_chars(value, multiline=key in MULTILINE_METADATA):
            fields[key] = gettext("Contains line breaks or control characters.")
        else:
            clean[key] = value.strip()
    clean["not_accredited"] = _flag(meta.get("not_accredited"), "not_accredited", fields)
    issued = expires = None
    try:
        issued = parse_date(meta.get("issued_on"), "issued_on")
    except InvalidValues as exc:
        fields.update(exc.fields)
    try:
        expires = parse_date(meta.get("expires_on"), "expires_on")
    except InvalidValues as exc:
        fields.update(exc.fields)
    if kind in CERTIFICATE_KINDS:
        if issued is None and "issued_on" not in fields:
            fields["issued_on"] = gettext("A certificate needs its issue date.")
        if expires is None and "expires_on" not in fields:
            fields["expires_on"] = gettext("A certificate needs its expiry date.")
        if not clean.get("standard") and "standard" not in fields:
            clean["standard"] = DEFAULT_STANDARDS[kind]
    if issued and expires and expires <= issued:
        fields["expires_on"] = gettext("Must be after the issue date.")
    if issued and issued > date.today():
        fields["issued_on"] = gettext("Cannot be in the future.")
    if clean.get("accreditation_body") and clean["not_accredited"]:
        fields["accreditation_body"] = gettext(
            "Name the accreditation body or tick 'not accredited', not both."
        )
    if require_full and kind in ACCREDITED_KINDS:
        if not clean.get("edition") and "edition" not in fields:
            fields["edition"] = gettext("Give the edition of the standard, e.g. 2023.")
        if not clean.get("accreditation_body") and not clean["not_accredited"]:
            fields.setdefault(
                "accreditation_body",
                gettext("Name the accreditation body or tick 'not accredited'."),
            )
    if fields:
        raise InvalidValues(
            gettext(
                "The evidence details are invalid: %(problems)s",
                problems="; ".join(f"{k}: {v}" for k, v in fields.items()),
            ),
            fields,
        )
    return {**clean, "issued_on": issued, "expires_on": expires}


def certificate_warnings(ev: Evidence, today: date | None = None) -> list[str]:
    """Warnings for a certificate that has expired or expires soon."""
    if not ev.expires_on:
        return []
    days = (ev.expires_on - (today or date.today())).days
    if days < 0:
        return [
            gettext(
                "%(name)s: this certificate expired on %(date)s.",
                name=ev.original_name,
                date=ev.expires_on.isoformat(),
            )
        ]
    if days <= EXPIRY_WARNING_DAYS:
        return [
            gettext(
                "%(name)s: this certificate expires in %(num)s days.",
                name=ev.original_name,
                num=days,
            )
        ]
    return []


def _check_file(filename: str, data: bytes) -> tuple[str, str]:
    """Return (clean name, media type) for an acceptable file, or raise with a clear message."""
    name = clean_filename(filename)
    limit = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    if len(data) > limit:
        raise PayloadTooLarge(
            gettext("The file is larger than %(num)s MB.", num=current_app.config["MAX_UPLOAD_MB"]),
            {"file": gettext("Too large.")},
        )
    if not data:
        raise InvalidValues(gettext("The file is empty."), {"file": gettext("Empty file.")})
    detected = sniff(data)
    if detected is None:
        raise UnsupportedMedia(
            gettext(
                "Only PDF, PNG, JPEG, DOCX and XLSX files are accepted; "
                "this file's content is none of those."
            ),
            {"file": gettext("Type not accepted.")},
        )
    return name, ALLOWED[detected]


def _question_id(assessment: Assessment, question_key: str | None) -> int | None:
    if not question_key:
        return None
    question_id = db.session.scalar(
        select(Question.id).filter_by(
            questionnaire_id=assessment.questionnaire_id, key=question_key
        )
    )
    if question_id is None:
        raise InvalidValues(
            gettext("Question %(key)s is not part of this questionnaire.", key=question_key),
            {"question_key": gettext("Unknown question.")},
        )
    return question_id


def _duplicate(vendor_id: int, digest: str, exclude: int | None = None) -> Evidence | None:
    """The vendor's evidence record of this file, if it has one (one record per vendor and file)."""
    stmt = select(Evidence).filter_by(vendor_id=vendor_id, sha256=digest)
    if exclude is not None:
        stmt = stmt.where(Evidence.id != exclude)
    return db.session.scalar(stmt.limit(1))


def _refuse_duplicate(existing: Evidence | None, where: str) -> None:
    """WHERE: "attached", "in your library" or "among your files"."""
    if existing is not None:
        sentences = {
            "attached": gettext("This file is already attached as %(name)s."),
            "in your library": gettext("This file is already in your library as %(name)s."),
            "among your files": gettext("This file is already among your files as %(name)s."),
        }
        raise Conflict(
            sentences[where] % {"name": repr(existing.original_name)},
            {"file": gettext("Duplicate.")},
            existing_id=existing.id,
        )


def _attached_to(evidence: Evidence, assessment: Assessment) -> bool:
    return evidence.assessment_id == assessment.id or (
        link_for(evidence.id, assessment.id) is not None
    )


def _link(actor, evidence: Evidence, assessment: Assessment, question_id, action: str) -> None:
    """Use an existing record in an assessment (no second copy); audited; the caller commits."""
    db.session.add(
        EvidenceLink(
            evidence_id=evidence.id,
            assessment_id=assessment.id,
            question_id=question_id,
            linked_by_id=actor.id,
        )
    )
    audit.record(
        actor,
        action,
        evidence,
        assessment_id=assessment.id,
        vendor_id=evidence.vendor_id,
        details={"name": evidence.original_name, "sha256": evidence.sha256, "linked": True},
    )


def _to_library(evidence: Evidence) -> None:
    """Keep an assessment's file in the vendor's library too: its assessment keeps a link."""
    if evidence.assessment_id is None:
        return
    db.session.add(
        EvidenceLink(
            evidence_id=evidence.id,
            assessment_id=evidence.assessment_id,
            question_id=evidence.question_id,
            linked_by_id=evidence.uploaded_by_id,
        )
    )
    evidence.assessment_id = None
    evidence.question_id = None


def _require_open(assessment: Assessment, what: str = "added") -> None:
    """WHAT: "added", "removed" or "replaced"."""
    if assessment.status not in VENDOR_OPEN:
        sentences = {
            "added": gettext("Evidence can only be added while the assessment is open."),
            "removed": gettext("Evidence can only be removed while the assessment is open."),
            "replaced": gettext("Evidence can only be replaced while the assessment is open."),
        }
        raise IllegalTransition(sentences[what], {"status": assessment.status})


def _store(call, *args, evidence: Evidence | None = None):
    """Run a store operation; a missing blob is a 404 and an unreachable store a 503, both clean."""
    try:
        return call(*args)
    except MissingObject:
        what = f"evidence {evidence.id} ({evidence.original_name})" if evidence else "the file"
        current_app.logger.error("Evidence store has no blob for %s", what)
        raise NotFound(
            gettext("The file of %(what)s is missing from the evidence store.", what=what)
        ) from None
    except StoreError as exc:
        current_app.logger.error("Evidence store failed: %s", exc)
        raise Unavailable(
            gettext("The evidence store is unavailable; nothing was saved. Try again.")
        ) from None


def _forget(key: str) -> None:
    """Remove a blob whose row is gone; a store hiccup here leaves an orphan, never an error."""
    try:
        get_storage().delete(key)
    except StoreError as exc:
        current_app.logger.warning("Could not remove blob %s: %s", key, exc)


def open_evidence(evidence: Evidence):
    """(pre-signed URL or None, chunks): where to fetch an evidence file, checked before sending."""
    storage = get_storage()
    url = _store(storage.download_url, evidence.storage_key, evidence.original_name,
                 evidence.media_type)  # fmt: skip
    if url is not None:
        return url, None
    chunks = iter(storage.iter_chunks(evidence.storage_key))
    # Fetch the first chunk now: a missing blob must be a 404, not a broken half response.
    first = _store(next, chunks, b"", evidence=evidence)

    def stream():
        yield first
        yield from chunks

    return None, stream()


def _save_rows(
    actor, rows: list[tuple[Evidence, bytes]], action: str, details: dict, links=()
) -> None:
    """Write blobs and rows in one go; on any failure remove the blobs again (nothing stored).
    ``links``: (assessment, question id) pairs that use the (first) new record."""
    storage = get_storage()
    keys = []
    try:
        for ev, data in rows:
            ev.storage_key = _store(storage.save, data)
            keys.append(ev.storage_key)
            db.session.add(ev)
        db.session.flush()
        for assessment, question_id in links:
            db.session.add(
                EvidenceLink(
                    evidence_id=rows[0][0].id,
                    assessment_id=assessment.id,
                    question_id=question_id,
                    linked_by_id=actor.id,
                )
            )
        for ev, _ in rows:
            audit.record(
                actor,
                action,
                ev,
                assessment_id=ev.assessment_id or (links[0][0].id if links else None),
                vendor_id=ev.vendor_id,
                details={**details, "library": ev.assessment_id is None},
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        for key in keys:
            _forget(key)
        raise


def upload_evidence(
    actor,
    assessment: Assessment,
    filename: str,
    data: bytes,
    kind: str,
    question_key: str | None = None,
    *,
    to_library: bool = False,
    require_full_metadata: bool = False,
    **meta,
) -> Evidence:
    """Store an evidence file for an open assessment after checking name, size, type and metadata.

    With to_library the same file is also kept in the vendor's certificate library (unless the
    library holds it already), ready for the next assessment.
    """
    require_role(actor, "vendor")
    lock_assessment(assessment)
    _require_open(assessment)
    name, media_type = _check_file(filename, data)
    clean = check_metadata(kind, meta, require_full_metadata)
    question_id = _question_id(assessment, question_key)
    digest = hashlib.sha256(data).hexdigest()
    existing = _duplicate(assessment.vendor_id, digest)
    if existing is not None:
        # One record per vendor and file: the same file again is a link, its verification kept.
        if _attached_to(existing, assessment):
            _refuse_duplicate(existing, "attached")
        _link(actor, existing, assessment, question_id, "evidence.attached_from_library")
        if to_library:
            _to_library(existing)
        db.session.commit()
        return existing
    evidence = Evidence(
        vendor_id=assessment.vendor_id,
        assessment_id=None if to_library else assessment.id,
        question_id=None if to_library else question_id,
        kind=kind,
        original_name=name,
        size=len(data),
        sha256=digest,
        media_type=media_type,
        uploaded_by_id=actor.id,
        **clean,
    )
    links = [(assessment, question_id)] if to_library else []
    _save_rows(
        actor,
        [(evidence, data)],
        "evidence.uploaded",
        {"name": name, "kind": kind, "sha256": digest, "size": len(data)},
        links=links,
    )
    return evidence


def upload_library_evidence(
    actor, vendor, filename: str, data: bytes, kind: str, **meta
) -> Evidence:
    """Keep a certificate or document in the vendor's library, for use in any assessment."""
    require_role(actor, "vendor")
    name, media_type = _check_file(filename, data)
    clean = check_metadata(kind, meta, require_full=True)
    digest = hashlib.sha256(data).hexdigest()
    existing = _duplicate(vendor.id, digest)
    if existing is not None:
        _refuse_duplicate(existing if existing.assessment_id is None else None, "in your library")
        # Given in an assessment before: the one record now sits in the library too.
        _to_library(existing)
        audit.record(
            actor,
            "evidence.kept_in_library",
            existing,
            vendor_id=vendor.id,
            details={"name": existing.original_name, "sha256": digest},
        )
        db.session.commit()
        return existing
    evidence = Evidence(
        vendor_id=vendor.id,
        assessment_id=None,
        question_id=None,
        kind=kind,
        original_name=name,
        size=len(data),
        sha256=digest,
        media_type=media_type,
        uploaded_by_id=actor.id,
        **clean,
    )
    _save_rows(
        actor,
        [(evidence, data)],
        "evidence.uploaded",
        {"name": name, "kind": kind, "sha256": digest, "size": len(data)},
    )
    return evidence


def library(vendor_id: int) -> list[Evidence]:
    """The vendor's certificate library, newest first."""
    return list(
        db.session.scalars(
            select(Evidence)
            .filter_by(vendor_id=vendor_id, assessment_id=None)
            .order_by(Evidence.id.desc())
        )
    )


def attach_from_library(
    actor, assessment: Assessment, source: Evidence, question_key: str | None = None
) -> Evidence:
    """Use a library document in an open assessment: a link to the one record (no copy), so a
    verification of it counts wherever it is used."""
    require_role(actor, "vendor")
    if source.assessment_id is not None or source.vendor_id != assessment.vendor_id:
        raise NotFound(gettext("Evidence %(id)s is not in your library.", id=source.id))
    lock_assessment(assessment)
    _require_open(assessment)
    question_id = _question_id(assessment, question_key)
    if _attached_to(source, assessment):
        _refuse_duplicate(source, "attached")
    _link(actor, source, assessment, question_id, "evidence.attached_from_library")
    db.session.commit()
    return source


def detach_evidence(actor, assessment: Assessment, evidence: Evidence) -> None:
    """Stop using a linked record in an open assessment (the record itself stays)."""
    require_role(actor, "vendor")
    lock_assessment(assessment)
    _require_open(assessment, "removed")
    link = link_for(evidence.id, assessment.id)
    if link is None:
        raise NotFound(
            gettext("Evidence %(id)s is not attached to this assessment.", id=evidence.id)
        )
    db.session.delete(link)
    audit.record(
        actor,
        "evidence.detached",
        evidence,
        assessment_id=assessment.id,
        vendor_id=evidence.vendor_id,
        details={"name": evidence.original_name},
    )
    db.session.commit()


def _require_unused_elsewhere(evidence: Evidence, what: str) -> None:
    """Refuse to change a record that an assessment no longer open relies on (its record)."""
    closed = db.session.scalars(
        select(Assessment.id)
        .join(EvidenceLink, EvidenceLink.assessment_id == Assessment.id)
        .where(EvidenceLink.evidence_id == evidence.id, Assessment.status.not_in(VENDOR_OPEN))
        .order_by(Assessment.id)
    ).all()
    if closed:
        sentences = {
            "replaced": gettext(
                "This file cannot be replaced: assessment %(ids)s was submitted with it."
            ),
            "removed": gettext(
                "This file cannot be removed: assessment %(ids)s was submitted with it."
            ),
        }
        raise Conflict(
            sentences[what] % {"ids": ", ".join(f"#{i}" for i in closed)},
            {"file": gettext("In use.")},
        )


def _require_changeable(evidence: Evidence, what: str) -> None:
    _require_unused_elsewhere(evidence, what)
    if evidence.assessment_id is None:
        return  # library documents can be changed at any time, unless a submission relies on them
    assessment = lock_assessment(evidence.assessment_id)
    _fresh(evidence)
    _require_open(assessment, what)


def _fresh(evidence: Evidence) -> Evidence:
    """Re-read an evidence row under its assessment's lock; 404 if a concurrent request removed it."""
    if db.session.get(Evidence, evidence.id, populate_existing=True) is None:
        raise NotFound(gettext("Evidence %(id)s does not exist.", id=evidence.id))
    return evidence


def replace_evidence(actor, evidence: Evidence, filename: str, data: bytes) -> Evidence:
    """Swap the file of an evidence record before submit; its details stay, verification resets."""
    require_role(actor, "vendor")
    _require_changeable(evidence, "replaced")
    name, media_type = _check_file(filename, data)
    digest = hashlib.sha256(data).hexdigest()
    _refuse_duplicate(
        _duplicate(evidence.vendor_id, digest, exclude=evidence.id),
        "among your files",
    )
    storage = get_storage()
    old_key, old_name = evidence.storage_key, evidence.original_name
    new_key = _store(storage.save, data)
    try:
        evidence.storage_key = new_key
        evidence.original_name = name
        evidence.size = len(data)
        evidence.sha256 = digest
        evidence.media_type = media_type
        evidence.uploaded_by_id = actor.id
        evidence.verification = "pending"
        evidence.verification_note = ""
        evidence.verified_by_id = None
        evidence.verified_at = None
        audit.record(
            actor,
            "evidence.replaced",
            evidence,
            assessment_id=evidence.assessment_id,
            vendor_id=evidence.vendor_id,
            details={"old_name": old_name, "name": name, "sha256": digest},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        _forget(new_key)
        raise
    _forget(old_key)
    return evidence


def delete_evidence(actor, evidence: Evidence) -> None:
    """Remove an evidence file while its assessment is still open (library files at any time)."""
    require_role(actor, "vendor")
    _require_changeable(evidence, "removed")
    audit.record(
        actor,
        "evidence.deleted",
        evidence,
        assessment_id=evidence.assessment_id,
        vendor_id=evidence.vendor_id,
        details={"name": evidence.original_name, "library": evidence.assessment_id is None},
    )
    key = evidence.storage_key
    db.session.delete(evidence)
    db.session.commit()
    _forget(key)


def verify_evidence(
    actor,
    evidence: Evidence,
    decision: str,
    note: str = "",
    scope_covers_service: bool | None = None,
    accredited: bool | None = None,
    suspended: bool | None = None,
) -> Evidence:
    """Record the risk team's verdict on evidence; rescore a scored assessment at once.

    ``suspended`` records that the certification body's register shows a certificate suspended
    or withdrawn (from today); it then earns no credit, and a claim to hold it is a red flag.
    """
    require_role(actor, "risk", "admin")
    affected = [lock_assessment(i) for i in users_of(evidence)]
    _fresh(evidence)
    if decision not in ("accepted", "rejected"):
        raise InvalidValues(
            "decision must be accepted or rejected.", {"decision": "accepted or rejected."}
        )
    if decision == "rejected" and not (note or "").strip():
        raise InvalidValues(
            "Say why the evidence is rejected.", {"note": "Required when rejecting."}
        )
    checks = (("scope_covers_service", scope_covers_service), ("accredited", accredited),
              ("suspended", suspended))  # fmt: skip
    for name, value in checks:
        if value is not None and not isinstance(value, bool):
            raise InvalidValues(f"{name} must be true or false.", {name: "true or false."})
    evidence.verification = decision
    evidence.verification_note = (note or "").strip()
    if evidence.is_certificate:
        evidence.scope_covers_service = scope_covers_service
        evidence.accredited = accredited
        if suspended is not None:
            evidence.suspended_on = (evidence.suspended_on or date.today()) if suspended else None
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
            "suspended": suspended,
        },
    )
    db.session.flush()
    for assessment in affected:
        if assessment.scored_at is not None:
            score_assessment_now(assessment)
            findings.reconcile_if_reviewed(actor, assessment)
    db.session.commit()
    return evidence


def users_of(evidence: Evidence) -> list[int]:
    """Ids of the scored assessments still in review whose score this record feeds: where it
    was uploaded, where it is linked and, for a library document, every one of its vendor's."""
    in_review = Assessment.status.in_(("submitted", "under_review"))
    if evidence.assessment_id is None:
        stmt = select(Assessment.id).where(Assessment.vendor_id == evidence.vendor_id, in_review)
    else:
        linked = select(EvidenceLink.assessment_id).where(EvidenceLink.evidence_id == evidence.id)
        stmt = select(Assessment.id).where(
            (Assessment.id == evidence.assessment_id) | Assessment.id.in_(linked), in_review
        )
    return list(db.session.scalars(stmt.order_by(Assessment.id)))

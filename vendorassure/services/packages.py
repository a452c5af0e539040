"""Signed answer packages ("answer once"): a vendor exports its answers, certificate metadata
and evidence files signed with its Ed25519 key; another VendorAssure instance checks the
signature and every hash, pins the key on first use, and pre-fills an assessment that counts
once a reviewer accepts it. Format: docs/ANSWER_PACKAGES.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from datetime import date, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..models import (
    CERTIFICATE_KINDS,
    EVIDENCE_KINDS,
    Answer,
    Assessment,
    Evidence,
    PackageImport,
    PackageKey,
    Question,
    Questionnaire,
    Vendor,
)
from ..models._base import utcnow
from ..storage import StoreError, get_storage
from . import audit, links
from .access import lock_assessment, require_role
from .assessments import issue_assessment, missing_required, transition, validate_value
from .errors import Conflict, InvalidValues, NotFound

FORMAT = "vendorassure.answer-package"
FORMAT_VERSION = 1
EXPORTABLE = ("submitted", "under_review", "completed")
IMPORTERS = ("procurement", "admin")
DECIDERS = ("risk", "admin")
_META = ("certification_body", "certificate_number", "scope", "standard", "edition",
         "accreditation_body", "not_accredited", "issued_on", "expires_on")  # fmt: skip


class PackageRefused(InvalidValues):
    """A package that is not intact or not acceptable here (422, with the reason)."""

    code = "package_refused"


def canonical(obj: Any) -> bytes:
    """The one byte form of a JSON value: sorted keys, no spaces, ASCII only."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise PackageRefused(f"The package's {what} is not base64 text.", {"package": what})
    try:
        return base64.b64decode(text.encode(), validate=True)
    except (binascii.Error, ValueError):
        raise PackageRefused(
            f"The package's {what} is not valid base64.", {"package": what}
        ) from None


def fingerprint(public_raw: bytes) -> str:
    """SHA-256 of the raw 32-byte public key, in groups of four hex digits (for people)."""
    digest = hashlib.sha256(public_raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, 64, 4))


# ---- the exporting side -------------------------------------------------------------------------


def _secret() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode()


def signing_key(vendor: Vendor) -> tuple[Ed25519PrivateKey, PackageKey]:
    """The vendor's signing key on this instance (made on first export, kept encrypted)."""
    row = db.session.scalar(select(PackageKey).filter_by(vendor_id=vendor.id, purpose="signing"))
    if row is not None:
        key = serialization.load_pem_private_key(row.private_key.encode(), password=_secret())
        return key, row  # type: ignore[return-value]
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_secret()),
    ).decode()
    row = PackageKey(vendor_id=vendor.id, purpose="signing", public_key=_b64(raw),
                     private_key=pem, fingerprint=fingerprint(raw))  # fmt: skip
    db.session.add(row)
    db.session.flush()
    return key, row


def export_package(actor, assessment: Assessment) -> tuple[bytes, str]:
    """Build the signed package of a submitted or completed assessment; (bytes, file name)."""
    require_role(actor, "vendor")
    if assessment.status not in EXPORTABLE:
        raise Conflict("Only a submitted or completed assessment can be exported as a package.")
    vendor = assessment.vendor
    qn = assessment.questionnaire
    answers = db.session.execute(
        select(Question.key, Answer.value, Answer.na, Answer.na_reason, Answer.comment)
        .join(Answer, Answer.question_id == Question.id)
        .where(Answer.assessment_id == assessment.id, Answer.carried_forward.is_(False))
        .order_by(Question.order)
    ).all()
    evidence = db.session.execute(
        select(Evidence, Question.key)
        .outerjoin(Question, Question.id == Evidence.question_id)
        .where(Evidence.assessment_id == assessment.id)
        .order_by(Evidence.id)
    ).all()
    storage = get_storage()
    files: dict[str, str] = {}
    ev_out = []
    for ev, qkey in evidence:
        data = storage.read(ev.storage_key)
        digest = hashlib.sha256(data).hexdigest()
        files[digest] = _b64(data)
        item = {"sha256": digest, "size": len(data), "name": ev.original_name, "kind": ev.kind,
                "media_type": ev.media_type, "question": qkey}  # fmt: skip
        if ev.kind in CERTIFICATE_KINDS:
            item["certificate"] = {
                k: (getattr(ev, k).isoformat() if isinstance(getattr(ev, k), date)
                    else getattr(ev, k))
                for k in _META
            }  # fmt: skip
        ev_out.append(item)
    key, row = signing_key(vendor)
    manifest = {
        "package_id": str(uuid.uuid4()),
        "created_at": utcnow().isoformat() + "Z",
        "producer": {"software": "VendorAssure", "instance": links.base()},
        "vendor": {"name": vendor.name, "website": vendor.website},
        "questionnaire": {"key": qn.key, "version": qn.version, "title": qn.title,
                          "content_hash": qn.content_hash},
        "assessment": {"id": assessment.id, "status": assessment.status,
                       "submitted_at": assessment.submitted_at.isoformat()
                       if assessment.submitted_at else None},
        "answers": [{"question": k, "value": v, "na": bool(na), "na_reason": nr or "",
                     "comment": c or ""} for k, v, na, nr, c in answers],
        "evidence": ev_out,
        "key_fingerprint": row.fingerprint,
    }  # fmt: skip
    body = canonical(manifest)
    package = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "manifest": _b64(body),
        "signature": {"alg": "Ed25519", "public_key": row.public_key,
                      "value": _b64(key.sign(body))},
        "files": files,
    }  # fmt: skip
    audit.record(actor, "package.exported", assessment, assessment_id=assessment.id,
                 vendor_id=vendor.id, details={"package_id": manifest["package_id"],
                                                "fingerprint": row.fingerprint})  # fmt: skip
    db.session.commit()
    return canonical(package), f"answers-{qn.key}-v{qn.version}-{assessment.id}.vapkg.json"


# ---- the importing side -------------------------------------------------------------------------


def read_package(data: bytes) -> tuple[dict, bytes, dict[str, bytes]]:
    """Check a package byte for byte: form, signature, every file's hash and size.

    Returns (manifest, raw public key, files by sha256); raises PackageRefused with the reason.
    """
    try:
        package = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise PackageRefused(
            "This is not a VendorAssure answer package (not JSON); it may be damaged.",
            {"package": "Not a package."},
        ) from None
    if not isinstance(package, dict) or package.get("format") != FORMAT:
        raise PackageRefused("This is not a VendorAssure answer package.", {"package": "Format."})
    if package.get("format_version") != FORMAT_VERSION:
        raise PackageRefused(
            f"Package format version {package.get('format_version')!r} is not supported "
            f"(this instance reads version {FORMAT_VERSION}).",
            {"package": "Format version."},
        )
    if canonical(package) != data:
        raise PackageRefused(
            "The package was altered: its bytes are not the form it was written in.",
            {"package": "Altered."},
        )
    sig = package.get("signature") or {}
    if not isinstance(sig, dict) or sig.get("alg") != "Ed25519":
        raise PackageRefused("The package is not signed with Ed25519.", {"package": "Signature."})
    public_raw = _unb64(sig.get("public_key"), "public key")
    body = _unb64(package.get("manifest"), "manifest")
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(
            _unb64(sig.get("value"), "signature"), body
        )
    except (InvalidSignature, ValueError):
        raise PackageRefused(
            "The signature does not match: the package was altered after the vendor signed it.",
            {"package": "Bad signature."},
        ) from None
    try:
        manifest = json.loads(body)
    except ValueError:
        raise PackageRefused("The signed manifest is not JSON.", {"package": "Manifest."}) from None
    _check_manifest(manifest)
    files_in = package.get("files")
    if not isinstance(files_in, dict):
        raise PackageRefused("The package has no file list.", {"package": "Files."})
    files: dict[str, bytes] = {}
    listed = {e["sha256"]: e for e in manifest.get("evidence", [])}
    if set(files_in) != set(listed):
        raise PackageRefused(
            "The package's files do not match the signed list of evidence.",
            {"package": "Files."},
        )
    for digest, text in files_in.items():
        blob = _unb64(text, f"file {digest[:12]}")
        if hashlib.sha256(blob).hexdigest() != digest or len(blob) != listed[digest]["size"]:
            raise PackageRefused(
                f"The evidence file {listed[digest]['name']!r} does not match its signed hash.",
                {"package": "File hash."},
            )
        files[digest] = blob
    if manifest.get("key_fingerprint") != fingerprint(public_raw):
        raise PackageRefused("The manifest names another key than the one that signed it.",
                             {"package": "Key."})  # fmt: skip
    return manifest, public_raw, files


def _check_manifest(m: Any) -> None:
    """The manifest's shape (a signed manifest from another tool may still be malformed)."""

    def bad(what: str):
        raise PackageRefused(f"The signed manifest is malformed: {what}.", {"package": "Manifest."})

    if not isinstance(m, dict):
        bad("not an object")
    q = m.get("questionnaire")
    if not (
        isinstance(q, dict)
        and isinstance(q.get("key"), str)
        and isinstance(q.get("version"), int)
        and isinstance(q.get("content_hash"), str)
    ):
        bad("questionnaire needs key, version and content_hash")  # fmt: skip
    if not isinstance(m.get("package_id"), str) or not isinstance(m.get("vendor"), dict):
        bad("package_id and vendor are required")
    if not isinstance(m["vendor"].get("name"), str):
        bad("vendor.name is required")
    answers, evidence = m.get("answers"), m.get("evidence")
    if not isinstance(answers, list) or not all(
        isinstance(a, dict) and isinstance(a.get("question"), str)
        and isinstance(a.get("comment", ""), str) and isinstance(a.get("na_reason", ""), str)
        and isinstance(a.get("na", False), bool)
        for a in answers
    ):  # fmt: skip
        bad("answers must be a list of {question, value, ...}")
    if not isinstance(evidence, list) or not all(
        isinstance(e, dict) and isinstance(e.get("sha256"), str) and isinstance(e.get("size"), int)
        and isinstance(e.get("name"), str) and isinstance(e.get("kind"), str)
        and isinstance(e.get("certificate", {}), dict)
        for e in evidence
    ):  # fmt: skip
        bad("evidence must be a list of {sha256, size, name, kind, ...}")


def inspect_package(data: bytes) -> dict[str, Any]:
    """What a person checks before importing: vendor, questionnaire, counts, the fingerprint."""
    manifest, public_raw, files = read_package(data)
    return {
        "package_id": manifest["package_id"],
        "vendor": manifest["vendor"],
        "questionnaire": manifest["questionnaire"],
        "answers": len(manifest.get("answers", [])),
        "evidence": len(files),
        "fingerprint": fingerprint(public_raw),
        "created_at": manifest.get("created_at"),
    }


def _pin(actor, vendor: Vendor, public_raw: bytes, confirm: str | None) -> str:
    """Trust the key on first use (after the person confirmed its fingerprint); after that,
    only the pinned key is accepted for this vendor."""
    fp = fingerprint(public_raw)
    pinned = db.session.scalar(
        select(PackageKey).filter_by(vendor_id=vendor.id, purpose="pinned").with_for_update()
    )
    if pinned is not None:
        if pinned.public_key != _b64(public_raw):
            raise PackageRefused(
                f"The package is signed by a different key than the one pinned for "
                f"{vendor.name} (pinned {pinned.fingerprint}, package {fp}). Ask the vendor "
                "why its key changed before trusting it.",
                {"package": "Unknown key.", "fingerprint": fp},
            )
        return fp
    if " ".join((confirm or "").split()).lower() != fp:
        raise Conflict(
            f"First package from {vendor.name}: confirm the vendor's key fingerprint {fp} "
            "(compare it with what the vendor tells you on another channel).",
            {"fingerprint": fp},
            fingerprint=fp,
        )
    db.session.add(PackageKey(vendor_id=vendor.id, purpose="pinned", public_key=_b64(public_raw),
                              fingerprint=fp, confirmed_by_id=actor.id))  # fmt: skip
    audit.record(actor, "package.key_pinned", vendor, vendor_id=vendor.id,
                 details={"fingerprint": fp})  # fmt: skip
    return fp


def import_package(actor, vendor: Vendor, data: bytes, confirm_fingerprint: str | None = None,
                   due_date: date | None = None) -> PackageImport:  # fmt: skip
    """Check and import a package into a new assessment of the vendor (nothing stored on error)."""
    require_role(actor, *IMPORTERS)
    manifest, public_raw, files = read_package(data)
    q = manifest.get("questionnaire") or {}
    qn = db.session.scalar(
        select(Questionnaire).filter_by(key=q.get("key"), version=q.get("version"))
    )
    if qn is None or qn.content_hash != q.get("content_hash"):
        raise PackageRefused(
            f"The package answers questionnaire {q.get('key')!r} version {q.get('version')}, "
            "which this instance does not hold in the same wording.",
            {"package": "Unknown questionnaire version."},
        )
    package_sha = hashlib.sha256(data).hexdigest()
    if db.session.scalar(select(PackageImport.id).filter_by(package_sha256=package_sha,
                                                          vendor_id=vendor.id)):  # fmt: skip
        raise Conflict("This package was imported for this vendor already.")
    fp = _pin(actor, vendor, public_raw, confirm_fingerprint)
    questions = {x.key: x for x in qn.questions}
    clean = []
    for a in manifest.get("answers", []):
        question = questions.get(a.get("question"))
        if question is None:
            raise PackageRefused(f"The package answers an unknown question {a.get('question')!r}.",
                                 {"package": "Unknown question."})  # fmt: skip
        try:
            value = validate_value(
                question, a.get("value"), bool(a.get("na")), a.get("na_reason") or ""
            )
        except InvalidValues as exc:
            raise PackageRefused(f"Answer to {question.key!r}: {exc.message}",
                                 {"package": "Invalid answer."}) from None  # fmt: skip
        clean.append((question, value, a))
    metas: dict[str, dict] = {}
    for e in manifest.get("evidence", []):
        if e.get("kind") not in EVIDENCE_KINDS or (
            e.get("question") and e["question"] not in questions
        ):
            raise PackageRefused("The package lists evidence of an unknown kind or question.",
                                 {"package": "Evidence."})  # fmt: skip
        metas[e["sha256"]] = _certificate_meta(e.get("certificate") or {})
    storage = get_storage()
    keys: dict[str, str] = {}
    try:  # the blobs first: a store failure leaves nothing behind
        for digest, blob in files.items():
            keys[digest] = storage.save(blob)
    except StoreError:
        for key in keys.values():
            _forget(storage, key)
        raise
    try:
        assessment = issue_assessment(
            actor,
            vendor,
            qn.key,
            due_date or date.today() + timedelta(days=30),
            version=qn.version,
            force=True,
        )  # fmt: skip (commits the new assessment and the pinned key)
    except Exception:
        db.session.rollback()
        for key in keys.values():
            _forget(storage, key)
        raise
    try:
        lock_assessment(assessment)
        db.session.execute(delete(Answer).where(Answer.assessment_id == assessment.id))
        imp = PackageImport(vendor_id=vendor.id, assessment_id=assessment.id, fingerprint=fp,
                            package_sha256=package_sha, manifest=manifest, status="pending",
                            imported_by_id=actor.id)  # fmt: skip
        db.session.add(imp)
        db.session.flush()
        source = f"a signed package from {manifest['vendor']['name']}"
        for question, value, a in clean:
            origin = {"package": imp.id, "package_id": manifest["package_id"], "imported": True,
                      "questionnaire": source, "question": question.key, "text": question.text}  # fmt: skip
            db.session.add(Answer(assessment_id=assessment.id, question_id=question.id, value=value,
                                  na=bool(a.get("na")), na_reason=a.get("na_reason") or "",
                                  comment=str(a.get("comment") or "")[:5000], carried_forward=True,
                                  reused_from=origin))  # fmt: skip
        for e in manifest.get("evidence", []):
            db.session.add(Evidence(
                vendor_id=vendor.id, assessment_id=assessment.id,
                question_id=questions[e["question"]].id if e.get("question") else None,
                kind=e["kind"], original_name=str(e["name"])[:255], storage_key=keys[e["sha256"]],
                size=e["size"], sha256=e["sha256"], media_type=str(e.get("media_type"))[:100],
                uploaded_by_id=actor.id, **metas[e["sha256"]],
            ))  # fmt: skip
        audit.record(actor, "package.imported", imp, assessment_id=assessment.id, vendor_id=vendor.id,
                     details={"package_id": manifest["package_id"], "fingerprint": fp,
                              "answers": len(clean), "evidence": len(keys)})  # fmt: skip
        db.session.commit()
    except Exception:
        db.session.rollback()
        for key in keys.values():
            _forget(storage, key)
        transition(actor, assessment, "cancelled", {"reason": "package import failed"})
        db.session.commit()
        raise
    return imp


_META_LIMITS = {"certification_body": 200, "certificate_number": 100, "scope": 5000,
                "standard": 100, "edition": 50, "accreditation_body": 200}  # fmt: skip


def _certificate_meta(meta: dict) -> dict[str, Any]:
    """Certificate details of a package, checked against the columns they go into."""
    out: dict[str, Any] = {}
    for k in _META:
        v = meta.get(k)
        if v is None:
            continue
        if k in ("issued_on", "expires_on"):
            try:
                out[k] = date.fromisoformat(v) if isinstance(v, str) else None
            except ValueError:
                out[k] = None
            if out[k] is None:
                raise PackageRefused(f"Certificate {k} must be a date (YYYY-MM-DD).",
                                     {"package": "Certificate."})  # fmt: skip
        elif k == "not_accredited":
            out[k] = bool(v)
        elif isinstance(v, str) and len(v) <= _META_LIMITS[k]:
            out[k] = v
        else:
            raise PackageRefused(f"Certificate {k} is not text of a usable length.",
                                 {"package": "Certificate."})  # fmt: skip
    return out


def _forget(storage, key: str) -> None:
    try:
        storage.delete(key)
    except StoreError:
        current_app.logger.warning("Could not remove blob %s", key)


def get_import(user, import_id: int) -> PackageImport:
    require_role(user, "procurement", "risk", "admin")
    imp = db.session.get(PackageImport, import_id)
    if imp is None:
        raise NotFound(f"Import {import_id} does not exist.")
    return imp


def decide_import(actor, imp: PackageImport, decision: str, note: str = "") -> PackageImport:
    """Accept an imported package (its answers count, the assessment is submitted and scored)
    or reject it (the assessment is cancelled)."""
    from .scoring import score_assessment_now

    require_role(actor, *DECIDERS)
    if decision not in ("accept", "reject"):
        raise InvalidValues("decision must be accept or reject.", {"decision": "accept or reject."})
    assessment = lock_assessment(imp.assessment_id)
    imp = db.session.scalar(
        select(PackageImport).where(PackageImport.id == imp.id).with_for_update()
    )
    if imp.status != "pending":
        raise Conflict(f"This import was {imp.status} already.")
    if assessment.status not in ("sent", "in_progress"):
        raise Conflict("The imported assessment is no longer open; it cannot be decided here.")
    if decision == "reject":
        transition(actor, assessment, "cancelled", {"reason": "imported package rejected"})
    else:
        answers = db.session.scalars(
            select(Answer).where(Answer.assessment_id == assessment.id)
        ).all()
        for a in answers:
            if a.carried_forward and (a.reused_from or {}).get("package") == imp.id:
                a.carried_forward = False
        db.session.flush()
        missing = missing_required(assessment)
        if missing:
            db.session.rollback()
            raise InvalidValues(
                f"The package leaves {len(missing)} required question(s) unanswered; the vendor "
                "has to answer them first.", {"missing": missing},
            )  # fmt: skip
        if assessment.status == "sent":
            transition(actor, assessment, "in_progress")
        transition(actor, assessment, "submitted", {"imported_package": imp.id})
        assessment.submitted_at = utcnow()
        score_assessment_now(assessment)
    imp.status = "accepted" if decision == "accept" else "rejected"
    imp.decided_by_id, imp.decided_at = actor.id, utcnow()
    audit.record(actor, f"package.{imp.status}", imp, assessment_id=assessment.id,
                 vendor_id=imp.vendor_id, details={"note": note})  # fmt: skip
    db.session.commit()
    return imp


def import_json(imp: PackageImport) -> dict[str, Any]:
    m = imp.manifest or {}
    return {
        "id": imp.id, "vendor_id": imp.vendor_id, "assessment_id": imp.assessment_id,
        "status": imp.status, "fingerprint": imp.fingerprint, "package_id": m.get("package_id"),
        "questionnaire": m.get("questionnaire"), "answers": len(m.get("answers", [])),
        "evidence": len(m.get("evidence", [])), "created_at": imp.created_at.isoformat(),
    }  # fmt: skip


def pending_import(assessment: Assessment) -> PackageImport | None:
    """The import an assessment was pre-filled from while it waits for a reviewer, if any."""
    return db.session.scalar(
        select(PackageImport).filter_by(assessment_id=assessment.id, status="pending")
    )

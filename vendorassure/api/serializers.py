"""Turn models into the JSON shapes of DESIGN.md §7 (one place, used by every route)."""

from __future__ import annotations


def iso(value):
    if value is None:
        return None
    text = value.isoformat()
    return text + "Z" if hasattr(value, "hour") else text


def user_json(user) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "vendor_id": user.vendor_id,
    }


def vendor_json(
    vendor, staff: bool, rating: str | None = None, suggested: str | None = None
) -> dict:
    body = {
        "id": vendor.id,
        "name": vendor.name,
        "website": vendor.website,
        "services": vendor.services,
        "status": vendor.status,
    }
    if staff:
        body.update(
            {
                "intake": vendor.intake,
                "inherent_tier": vendor.inherent_tier,
                "inherent_score": round(vendor.inherent_score, 3),
                "tier_reasons": vendor.tier_reasons,
                "suggested_questionnaire": suggested,
                "rating": rating,
                "created_at": iso(vendor.created_at),
                "contacts": [
                    {
                        "id": c.id,
                        "email": c.email,
                        "name": c.name,
                        "activated": bool(c.password_hash),
                    }
                    for c in vendor.contacts
                ],
            }
        )
    return body


def assessment_json(a, staff: bool, progress: dict | None = None) -> dict:
    body = {
        "id": a.id,
        "vendor_id": a.vendor_id,
        "vendor_name": a.vendor.name,
        "questionnaire": {
            "key": a.questionnaire.key,
            "version": a.questionnaire.version,
            "title": a.questionnaire.title,
        },
        "status": a.status,
        "due_date": iso(a.due_date),
        "created_at": iso(a.created_at),
        "submitted_at": iso(a.submitted_at),
        "completed_at": iso(a.completed_at),
        "lock_version": a.lock_version,
    }
    if progress is not None:
        body["progress"] = progress
    if a.status == "changes_requested" or staff:
        body["review_note"] = a.review_note
    if staff:
        body.update(
            {
                "inherent_tier": a.inherent_tier or a.vendor.inherent_tier,
                "risk_score": a.risk_score,
                "rating": a.rating,
                "override_rating": a.override_rating,
                "override_reason": a.override_reason,
                "final_rating": a.final_rating,
                "reviewer_id": a.reviewer_id,
                "scoring_model_version": a.scoring_model_version,
                "scored_at": iso(a.scored_at),
            }
        )
    return body


def evidence_json(ev, staff: bool) -> dict:
    body = {
        "id": ev.id,
        "vendor_id": ev.vendor_id,
        "assessment_id": ev.assessment_id,
        "question_key": ev.question.key if ev.question else None,
        "kind": ev.kind,
        "original_name": ev.original_name,
        "size": ev.size,
        "sha256": ev.sha256,
        "media_type": ev.media_type,
        "certification_body": ev.certification_body,
        "certificate_number": ev.certificate_number,
        "scope": ev.scope,
        "issued_on": iso(ev.issued_on),
        "expires_on": iso(ev.expires_on),
        "verification": ev.verification,
        "created_at": iso(ev.created_at),
    }
    if staff:
        body.update(
            {
                "verification_note": ev.verification_note,
                "scope_covers_service": ev.scope_covers_service,
                "accredited": ev.accredited,
                "verified_at": iso(ev.verified_at),
            }
        )
    return body


def finding_json(f) -> dict:
    return {
        "id": f.id,
        "assessment_id": f.assessment_id,
        "vendor_id": f.vendor_id,
        "control": f.control.ref if f.control else None,
        "severity": f.severity,
        "title": f.title,
        "description": f.description,
        "status": f.status,
        "owner_id": f.owner_id,
        "due_date": iso(f.due_date),
        "remediation": f.remediation,
        "accepted_until": iso(f.accepted_until),
        "acceptance_reason": f.acceptance_reason,
        "created_at": iso(f.created_at),
        "updated_at": iso(f.updated_at),
    }

"""Vendor use cases: register with intake, edit, add contacts (who get an invitation)."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import User, Vendor
from ..scoring import inherent_tier
from ..validation import has_control_chars, normalise_url
from . import audit
from .access import require_role
from .auth import create_user, latest_open_assessment_id, new_invitation
from .errors import InvalidValues
from .library import intake_definition, scoring_model
from .notify import send_invitation


def compute_tier(intake: dict):
    """Turn intake answers into the inherent tier, or raise InvalidValues naming the field."""
    if not isinstance(intake, dict):
        raise InvalidValues(
            "intake must be an object of {question_key: option_value}.",
            {"intake": "Must be an object."},
        )
    questions = intake_definition()["questions"]
    known = {q["key"] for q in questions}
    fields = {}
    for key in intake:
        if key not in known:
            fields[f"intake.{key}"] = "Unknown intake question."
    for q in questions:
        values = {o["value"] for o in q["options"]}
        if q["key"] not in intake:
            fields[f"intake.{q['key']}"] = "Required."
        elif intake[q["key"]] not in values:
            fields[f"intake.{q['key']}"] = f"Must be one of: {', '.join(sorted(values))}."
    if fields:
        raise InvalidValues("The intake answers are incomplete or invalid.", fields)
    try:
        return inherent_tier(questions, intake, scoring_model())
    except ValueError as exc:
        raise InvalidValues(str(exc), {"intake": str(exc)}) from None


def _check_name(name: str, vendor_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidValues("Vendor name is required.", {"name": "Required."})
    if has_control_chars(name, multiline=False):
        # The name goes into mail subjects: a line break there would be a header injection.
        raise InvalidValues(
            "The vendor name must be a single line.",
            {"name": "No line breaks or control characters."},
        )
    if len(name) > 200:
        raise InvalidValues("Vendor name is longer than 200 characters.", {"name": "Too long."})
    clash = db.session.scalar(select(Vendor.id).where(func.lower(Vendor.name) == name.lower()))
    if clash is not None and clash != vendor_id:
        raise InvalidValues(f"A vendor named {name!r} already exists.", {"name": "Already exists."})
    return name


def _check_website(website: str | None) -> str:
    """An http(s) address ("example.com" gets https://), or 422 for javascript: and the like."""
    try:
        return normalise_url(website)
    except ValueError as exc:
        raise InvalidValues(str(exc), {"website": "An http:// or https:// address."}) from None


def create_vendor(actor, name: str, website: str = "", services: str = "", intake=None) -> Vendor:
    """Register a vendor; its intake answers set the inherent tier."""
    require_role(actor, "procurement", "admin")
    name = _check_name(name)
    website = _check_website(website)
    tier = compute_tier(intake if intake is not None else {})
    vendor = Vendor(
        name=name,
        website=website,
        services=(services or "").strip(),
        intake=dict(intake),
        inherent_tier=tier.tier,
        inherent_score=tier.score,
        tier_reasons=list(tier.reasons),
        owner_id=actor.id,
    )
    db.session.add(vendor)
    db.session.flush()
    audit.record(
        actor,
        "vendor.created",
        vendor,
        vendor_id=vendor.id,
        details={"name": name, "inherent_tier": tier.tier},
    )
    db.session.commit()
    return vendor


def update_vendor(actor, vendor: Vendor, changes: dict) -> Vendor:
    """Edit name, website, services, status or intake (which re-tiers the vendor)."""
    require_role(actor, "procurement", "admin")
    before = {"inherent_tier": vendor.inherent_tier}
    if "name" in changes:
        vendor.name = _check_name(changes["name"], vendor.id)
    if "website" in changes:
        vendor.website = _check_website(changes["website"])
    if "services" in changes:
        vendor.services = (changes["services"] or "").strip()
    if "status" in changes:
        if changes["status"] not in ("active", "inactive"):
            raise InvalidValues(
                "status must be active or inactive.", {"status": "active or inactive."}
            )
        vendor.status = changes["status"]
    if "intake" in changes:
        tier = compute_tier(changes["intake"])
        vendor.intake = dict(changes["intake"])
        vendor.inherent_tier, vendor.inherent_score = tier.tier, tier.score
        vendor.tier_reasons = list(tier.reasons)
    audit.record(
        actor,
        "vendor.updated",
        vendor,
        vendor_id=vendor.id,
        details={"fields": sorted(changes), **before, "now_tier": vendor.inherent_tier},
    )
    db.session.commit()
    return vendor


def add_contact(
    actor, vendor: Vendor, email: str, name: str = "", language: str | None = None
) -> tuple[User, str]:
    """Create a vendor user (who reads the portal and emails in LANGUAGE, else their browser's)
    and email an invitation link; returns (user, link)."""
    from ..i18n import check_language

    require_role(actor, "procurement", "admin")
    language = check_language(language)
    if has_control_chars(name or "", multiline=False):
        raise InvalidValues(
            "The contact name must be a single line.",
            {"name": "No line breaks or control characters."},
        )
    user = create_user(
        email, "vendor", name=name or "", vendor_id=vendor.id, actor=actor, commit=False
    )
    user.language = language
    token, inv = new_invitation(user, actor, assessment_id=latest_open_assessment_id(vendor.id))
    db.session.commit()
    link = send_invitation(inv, token, vendor)
    return user, link

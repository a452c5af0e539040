"""Findings: raise, edit and move through open -> remediating -> closed or risk accepted."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import SEVERITIES, Assessment, Control, Finding, User
from . import audit
from .access import require_role
from .errors import IllegalTransition, InvalidValues

FINDING_TRANSITIONS = {
    ("open", "remediating"),
    ("open", "closed"),
    ("open", "risk_accepted"),
    ("remediating", "closed"),
    ("remediating", "risk_accepted"),
    ("remediating", "open"),
    ("risk_accepted", "open"),
    ("closed", "open"),
}


def _date(value, name):
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidValues(
            f"{name} must be a date in the form YYYY-MM-DD.", {name: "YYYY-MM-DD."}
        ) from None


def _apply(finding: Finding, changes: dict) -> None:
    fields = {}
    if "severity" in changes and changes["severity"] not in SEVERITIES:
        fields["severity"] = f"One of {', '.join(SEVERITIES)}."
    if "title" in changes and not (changes["title"] or "").strip():
        fields["title"] = "Required."
    if "control" in changes and changes["control"]:
        control = db.session.scalar(select(Control).filter_by(ref=changes["control"]))
        if control is None:
            fields["control"] = "Unknown Annex A control."
        else:
            finding.control_id = control.id
    if "owner_id" in changes and changes["owner_id"] is not None:
        owner = db.session.get(User, changes["owner_id"])
        if owner is None or not owner.is_staff:
            fields["owner_id"] = "Must be a staff user."
    if fields:
        raise InvalidValues("; ".join(f"{k}: {v}" for k, v in fields.items()), fields)
    for attr in ("severity", "title", "description", "remediation", "owner_id"):
        if attr in changes:
            value = changes[attr]
            setattr(finding, attr, value.strip() if isinstance(value, str) else value)
    if "due_date" in changes:
        finding.due_date = _date(changes["due_date"], "due_date")


def create_finding(actor, assessment: Assessment, data: dict) -> Finding:
    """Raise a finding against an assessment."""
    require_role(actor, "risk", "admin")
    if not (data.get("title") or "").strip():
        raise InvalidValues("A finding needs a title.", {"title": "Required."})
    finding = Finding(
        assessment_id=assessment.id,
        vendor_id=assessment.vendor_id,
        severity=data.get("severity") or "medium",
        title="",
        created_by_id=actor.id,
    )
    _apply(finding, {"severity": finding.severity, **data})
    db.session.add(finding)
    db.session.flush()
    audit.record(
        actor,
        "finding.created",
        finding,
        assessment_id=assessment.id,
        vendor_id=assessment.vendor_id,
        details={"title": finding.title, "severity": finding.severity},
    )
    db.session.commit()
    return finding


def update_finding(actor, finding: Finding, data: dict) -> Finding:
    """Edit a finding or move it to another status (risk acceptance needs a reason and an expiry)."""
    require_role(actor, "risk", "admin")
    status = data.get("status")
    if status is not None and status != finding.status:
        if (finding.status, status) not in FINDING_TRANSITIONS:
            raise IllegalTransition(
                f"A finding that is {finding.status} cannot become {status}.",
                {"status": finding.status},
            )
        if status == "risk_accepted":
            until = _date(data.get("accepted_until"), "accepted_until")
            if not (data.get("acceptance_reason") or "").strip() or until is None:
                raise InvalidValues(
                    "Accepting a risk needs a reason and an expiry date.",
                    {"acceptance_reason": "Required.", "accepted_until": "Required."},
                )
            if until <= date.today():
                raise InvalidValues(
                    "The acceptance must expire in the future.",
                    {"accepted_until": "A future date."},
                )
            finding.accepted_until = until
            finding.acceptance_reason = data["acceptance_reason"].strip()
    _apply(
        finding,
        {
            k: v
            for k, v in data.items()
            if k not in ("status", "accepted_until", "acceptance_reason")
        },
    )
    before = finding.status
    if status is not None:
        finding.status = status
    audit.record(
        actor,
        "finding.updated",
        finding,
        assessment_id=finding.assessment_id,
        vendor_id=finding.vendor_id,
        details={"fields": sorted(data), "from": before, "to": finding.status},
    )
    db.session.commit()
    return finding

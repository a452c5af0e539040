"""Scoped loaders: every lookup takes the current user and 404s on anything out of reach."""

from __future__ import annotations

from ..extensions import db
from ..models import Assessment, Evidence, Finding, Vendor
from .errors import Forbidden, NotFound


def require_role(user, *roles: str) -> None:
    """Refuse (403) a user whose role may never do this."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden("Sign in first.")
    if user.role not in roles:
        raise Forbidden(f"The {user.role} role may not do this.")


def _scoped(model, user, object_id, label: str, vendor_attr: str = "vendor_id"):
    obj = db.session.get(model, object_id) if isinstance(object_id, int) else None
    if obj is None:
        raise NotFound(f"{label} {object_id} does not exist.")
    if user.role == "vendor" and getattr(obj, vendor_attr) != user.vendor_id:
        # Same answer as a missing row: a vendor learns nothing about other vendors' ids.
        raise NotFound(f"{label} {object_id} does not exist.")
    return obj


def get_vendor(user, vendor_id: int) -> Vendor:
    """Load a vendor the user may see."""
    return _scoped(Vendor, user, vendor_id, "Vendor", vendor_attr="id")


def get_assessment(user, assessment_id: int) -> Assessment:
    """Load an assessment the user may see."""
    assessment = _scoped(Assessment, user, assessment_id, "Assessment")
    if user.role == "vendor" and assessment.status in ("draft", "cancelled"):
        raise NotFound(f"Assessment {assessment_id} does not exist.")
    return assessment


def get_evidence(user, evidence_id: int) -> Evidence:
    """Load an evidence record the user may see."""
    return _scoped(Evidence, user, evidence_id, "Evidence")


def get_finding(user, finding_id: int) -> Finding:
    """Load a finding the user may see."""
    return _scoped(Finding, user, finding_id, "Finding")

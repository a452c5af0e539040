"""Scoped loaders: every lookup takes the current user and 404s on anything out of reach."""

from __future__ import annotations

from sqlalchemy import select, update

from ..extensions import db
from ..models import Assessment, Evidence, Finding, Vendor
from .errors import Forbidden, NotFound


def require_role(user, *roles: str) -> None:
    """Refuse (403) a user whose role may never do this."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden("Sign in first.")
    if user.role not in roles:
        raise Forbidden(f"The {user.role} role may not do this.")


def _scoped(model, user, object_id, label: str, vendor_attr: str = "vendor_id", options=()):
    obj = (
        db.session.get(model, object_id, options=options, populate_existing=bool(options))
        if isinstance(object_id, int)
        else None
    )
    if obj is None:
        raise NotFound(f"{label} {object_id} does not exist.")
    if user.role == "vendor" and getattr(obj, vendor_attr) != user.vendor_id:
        # Same answer as a missing row: a vendor learns nothing about other vendors' ids.
        raise NotFound(f"{label} {object_id} does not exist.")
    return obj


def get_vendor(user, vendor_id: int) -> Vendor:
    """Load a vendor the user may see."""
    return _scoped(Vendor, user, vendor_id, "Vendor", vendor_attr="id")


def get_assessment(user, assessment_id: int, options=()) -> Assessment:
    """Load an assessment the user may see (with loader `options`, fresh from the database)."""
    assessment = _scoped(Assessment, user, assessment_id, "Assessment", options=options)
    if user.role == "vendor" and assessment.status in ("draft", "cancelled"):
        raise NotFound(f"Assessment {assessment_id} does not exist.")
    return assessment


def get_evidence(user, evidence_id: int) -> Evidence:
    """Load an evidence record the user may see."""
    return _scoped(Evidence, user, evidence_id, "Evidence")


def get_finding(user, finding_id: int) -> Finding:
    """Load a finding the user may see."""
    return _scoped(Finding, user, finding_id, "Finding")


def lock_assessment(assessment: Assessment | int) -> Assessment:
    """Hold the assessment's row for the rest of the transaction and reload it as committed.

    Every use case that changes an assessment, its answers, evidence or findings calls this
    first, so concurrent requests queue here and each sees the state the previous one left
    (then a second submit is a clean 409, not a stale-row 500). Always locking the assessment
    before anything else also keeps one lock order, so they cannot deadlock with the audit log's
    lock. PostgreSQL: SELECT ... FOR UPDATE. SQLite has no row locks and serialises writers: a
    no-op UPDATE takes the write lock now (waiting up to busy_timeout), before anything is read.
    """
    assessment_id = assessment if isinstance(assessment, int) else assessment.id
    if db.session.get_bind().dialect.name == "sqlite":
        table = Assessment.__table__
        db.session.execute(
            update(table)
            .where(table.c.id == assessment_id)
            .values(lock_version=table.c.lock_version, updated_at=table.c.updated_at)
            # changes nothing: no portfolio figure is invalidated by it (queries.snapshot)
            .execution_options(portfolio_neutral=True)
        )
    locked = db.session.scalar(
        select(Assessment)
        .where(Assessment.id == assessment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound(f"Assessment {assessment_id} does not exist.")
    return locked


def reload(obj):
    """Re-read a row after lock_assessment(): the committed state, not what was loaded before."""
    db.session.refresh(obj)
    return obj

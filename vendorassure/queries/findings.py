"""Counts of findings: the one query behind every number of findings shown (dashboard, vendor
register, vendor overview, review page, API and workbooks), so they always agree.

"Open" means open or remediating (ACTIVE_FINDING_STATUSES); proposals waiting for a reviewer
are counted apart as "proposed", withdrawn proposals not at all."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ..extensions import db
from ..models import FINDING_STATUSES, SEVERITIES, Finding
from ..models.findings import ACTIVE_FINDING_STATUSES


def count_columns(today: date) -> list:
    """Labelled count columns: one per status, open ones per severity, open, overdue, accepted
    risks and expired acceptances."""
    active = Finding.status.in_(ACTIVE_FINDING_STATUSES)
    return [
        *[func.count().filter(Finding.status == s).label(f"status_{s}") for s in FINDING_STATUSES],
        *[
            func.count().filter(active, Finding.severity == s).label(f"severity_{s}")
            for s in SEVERITIES
        ],
        func.count().filter(active).label("open"),
        func.count().filter(Finding.status == "proposed").label("proposed"),
        func.count().filter(active, Finding.due_date < today).label("overdue"),
        func.count().filter(Finding.status == "risk_accepted").label("accepted"),
        func.count()
        .filter(Finding.status == "risk_accepted", Finding.accepted_until < today)
        .label("expired_acceptances"),
    ]


def counts_select(today: date, *group_by, vendor_ids=None):
    """select(*group_by, *count columns) over findings, grouped as asked (only the findings of
    ``vendor_ids`` — a list or a select of vendor ids — when given)."""
    stmt = select(*group_by, *count_columns(today)).select_from(Finding)
    if vendor_ids is not None:
        stmt = stmt.where(Finding.vendor_id.in_(vendor_ids))
    return stmt.group_by(*group_by) if group_by else stmt


def by_vendor_subquery(today: date, vendor_ids=None):
    """The counts per vendor, to join onto a list of vendors (column vendor_id)."""
    return counts_select(today, Finding.vendor_id, vendor_ids=vendor_ids).subquery()


def _shape(row) -> dict:
    m = dict(row._mapping)
    return {
        "by_status": {s: m[f"status_{s}"] for s in FINDING_STATUSES},
        "open_by_severity": {s: m[f"severity_{s}"] for s in SEVERITIES},
        **{k: m[k] for k in ("open", "proposed", "overdue", "accepted", "expired_acceptances")},
    }


def finding_counts(
    today: date | None = None,
    vendor_id: int | None = None,
    assessment_id: int | None = None,
    vendor_ids=None,
) -> dict:
    """The counts for the whole portfolio (or the vendors in ``vendor_ids``), one vendor or one
    assessment, in one query."""
    stmt = counts_select(today or date.today(), vendor_ids=vendor_ids)
    if vendor_id is not None:
        stmt = stmt.where(Finding.vendor_id == vendor_id)
    if assessment_id is not None:
        stmt = stmt.where(Finding.assessment_id == assessment_id)
    return _shape(db.session.execute(stmt).one())

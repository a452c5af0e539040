"""Which evidence an assessment uses: files uploaded in it, library documents of its vendor, and
records linked to it; each record once, with the question it answers in this assessment."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, case, or_, select

from ..extensions import db
from ..models import CERTIFICATE_KINDS, Evidence, EvidenceLink


def expiring_within(today: date, days: int):
    """SQL: a certificate on file (not rejected) that expires between today and ``days`` later —
    the one definition behind the dashboard, the team's notices and the webhooks."""
    return and_(
        Evidence.kind.in_(CERTIFICATE_KINDS),
        Evidence.verification != "rejected",
        Evidence.expires_on >= today,
        Evidence.expires_on <= today + timedelta(days=days),
    )


def _link_join(assessment_id):
    return and_(
        EvidenceLink.evidence_id == Evidence.id, EvidenceLink.assessment_id == assessment_id
    )


def question_column(assessment_id):
    """The question an evidence record answers in this assessment (its own or its link's)."""
    return case(
        (Evidence.assessment_id == assessment_id, Evidence.question_id),
        else_=EvidenceLink.question_id,
    )


def used_in(assessment_id, vendor_id, include_library: bool = True):
    """The condition for evidence used in an assessment (the outer join to links must be there)."""
    own = or_(Evidence.assessment_id == assessment_id, EvidenceLink.id.is_not(None))
    if include_library:
        own = or_(own, Evidence.assessment_id.is_(None))
    return and_(Evidence.vendor_id == vendor_id, own)


def assessment_evidence_select(assessment, include_library: bool = True, *columns):
    """select(Evidence, question id, *columns) of the evidence an assessment uses, once each.

    Without include_library only the records attached to it (uploaded in it or linked)."""
    return (
        select(Evidence, question_column(assessment.id).label("question_id"), *columns)
        .outerjoin(EvidenceLink, _link_join(assessment.id))
        .where(used_in(assessment.id, assessment.vendor_id, include_library))
        .order_by(Evidence.id)
    )


def assessment_evidence(assessment, include_library: bool = True) -> list[tuple[Evidence, int]]:
    """[(evidence, question id or None)] for one assessment, one query."""
    return [
        tuple(r)
        for r in db.session.execute(assessment_evidence_select(assessment, include_library))
    ]


def link_for(evidence_id: int, assessment_id: int) -> EvidenceLink | None:
    """The link of an evidence record to an assessment, if there is one."""
    return db.session.scalar(
        select(EvidenceLink).filter_by(evidence_id=evidence_id, assessment_id=assessment_id)
    )

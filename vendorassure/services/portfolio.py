"""Portfolio figures for the dashboard and the API, aggregated in SQL."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, func, select

from ..extensions import db
from ..models import (
    CERTIFICATE_KINDS,
    OPEN_STATES,
    RATINGS,
    STATUSES,
    Assessment,
    Control,
    ControlScore,
    Evidence,
    Vendor,
)


def latest_scored_subquery():
    """Per vendor, the id of its most recent scored, non-cancelled assessment."""
    return (
        select(Assessment.vendor_id, func.max(Assessment.id).label("assessment_id"))
        .where(Assessment.scored_at.is_not(None), Assessment.status != "cancelled")
        .group_by(Assessment.vendor_id)
        .subquery()
    )


def summary(today: date | None = None) -> dict:
    """Counts by rating, status and tier; overdue work; expiring certificates; top control gaps."""
    today = today or date.today()
    latest = latest_scored_subquery()
    final_rating = func.coalesce(Assessment.override_rating, Assessment.rating)
    rating_rows = db.session.execute(
        select(final_rating, func.count())
        .select_from(Vendor)
        .join(latest, latest.c.vendor_id == Vendor.id)
        .join(Assessment, Assessment.id == latest.c.assessment_id)
        .where(Vendor.status == "active")
        .group_by(final_rating)
    ).all()
    by_rating = dict.fromkeys(RATINGS, 0)
    by_rating.update({r: n for r, n in rating_rows if r})
    active_vendors = db.session.scalar(
        select(func.count()).select_from(Vendor).where(Vendor.status == "active")
    )
    by_rating["unrated"] = active_vendors - sum(by_rating[r] for r in RATINGS)

    by_status = dict.fromkeys(STATUSES, 0)
    by_status.update(
        dict(
            db.session.execute(
                select(Assessment.status, func.count()).group_by(Assessment.status)
            ).all()
        )
    )
    by_tier = dict.fromkeys(RATINGS, 0)
    by_tier.update(
        dict(
            db.session.execute(
                select(Vendor.inherent_tier, func.count())
                .where(Vendor.status == "active")
                .group_by(Vendor.inherent_tier)
            ).all()
        )
    )

    open_for_vendor = ("sent", "in_progress", "changes_requested")
    overdue = db.session.scalar(
        select(func.count())
        .select_from(Assessment)
        .where(Assessment.status.in_(open_for_vendor), Assessment.due_date < today)
    )

    expiring = {}
    for days in (30, 60, 90):
        expiring[str(days)] = db.session.scalar(
            select(func.count())
            .select_from(Evidence)
            .where(
                Evidence.kind.in_(CERTIFICATE_KINDS),
                Evidence.verification != "rejected",
                Evidence.expires_on >= today,
                Evidence.expires_on <= today + timedelta(days=days),
            )
        )
    expired = db.session.scalar(
        select(func.count())
        .select_from(Evidence)
        .where(
            Evidence.kind.in_(CERTIFICATE_KINDS),
            Evidence.verification != "rejected",
            Evidence.expires_on < today,
        )
    )

    gap_rows = db.session.execute(
        select(Control.ref, Control.title, func.avg(ControlScore.score), func.count())
        .join(ControlScore, ControlScore.control_id == Control.id)
        .join(latest, latest.c.assessment_id == ControlScore.assessment_id)
        .where(ControlScore.coverage > 0)
        .group_by(Control.id, Control.ref, Control.title)
        .order_by(func.avg(ControlScore.score), Control.ref)
        .limit(10)
    ).all()
    return {
        "vendors": active_vendors,
        "assessments": sum(by_status.values()),
        "by_rating": by_rating,
        "by_status": by_status,
        "by_tier": by_tier,
        "open_assessments": sum(by_status[s] for s in OPEN_STATES),
        "overdue_assessments": overdue,
        "expiring_certificates": expiring,
        "expired_certificates": expired,
        "top_control_gaps": [
            {"ref": ref, "title": title, "average_score": round(avg, 3), "vendors": n}
            for ref, title, avg, n in gap_rows
        ],
    }


def overdue_assessments(today: date | None = None, limit: int = 10):
    today = today or date.today()
    return db.session.scalars(
        select(Assessment)
        .where(
            and_(
                Assessment.status.in_(("sent", "in_progress", "changes_requested")),
                Assessment.due_date < today,
            )
        )
        .order_by(Assessment.due_date)
        .limit(limit)
    ).all()

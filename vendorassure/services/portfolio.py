"""Portfolio figures for the dashboard, the API and the workbooks, aggregated in SQL.

Every figure is counted over active vendors and, for ratings, over each vendor's latest scored,
non-cancelled assessment (its final rating: the override where there is one).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import String, and_, cast, func, literal, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    CERTIFICATE_KINDS,
    OPEN_STATES,
    RATINGS,
    STATUSES,
    VENDOR_OPEN,
    Assessment,
    Control,
    ControlScore,
    Evidence,
    Finding,
    Objective,
    ObjectiveScore,
    Vendor,
)
from ..models.findings import ACTIVE_FINDING_STATUSES
from ..queries.findings import by_vendor_subquery, finding_counts
from ..settings_defaults import next_reassessment, setting
from .library import scoring_model


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _month(column):
    """SQL for 'YYYY-MM' of a datetime column on SQLite and PostgreSQL."""
    if _dialect() == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _string_agg(column):
    if _dialect() == "postgresql":
        return func.string_agg(cast(column, String), literal(", "))
    return func.group_concat(column, ", ")


def latest_scored_subquery():
    """Per vendor, the id of its most recent scored, non-cancelled assessment."""
    return (
        select(Assessment.vendor_id, func.max(Assessment.id).label("assessment_id"))
        .where(Assessment.scored_at.is_not(None), Assessment.status != "cancelled")
        .group_by(Assessment.vendor_id)
        .subquery()
    )


def final_rating_expr():
    return func.coalesce(Assessment.override_rating, Assessment.rating)


def objective_score_subquery(ref: str | None = None):
    """Per assessment, the stored score and band of one objective (default: A.10)."""
    ref = ref or scoring_model().third_party_objective
    return (
        select(
            ObjectiveScore.assessment_id,
            ObjectiveScore.score.label("score"),
            ObjectiveScore.band.label("band"),
        )
        .join(Objective, Objective.id == ObjectiveScore.objective_id)
        .where(Objective.ref == ref)
        .subquery()
    )


def band_of(score: float | None) -> str | None:
    """The scoring model's effectiveness band for a 0..1 score."""
    if score is None:
        return None
    return scoring_model().band_for(score)


def summary(today: date | None = None) -> dict:
    """Every dashboard figure: ratings, heatmap, statuses, tiers, overdue work, certificates,
    weakest controls, the A.10 roll-up, findings, ratings over time, reassessments due."""
    today = today or date.today()
    latest = latest_scored_subquery()
    final_rating = final_rating_expr()
    rated = (
        select(Vendor.inherent_tier, final_rating, func.count())
        .select_from(Vendor)
        .join(latest, latest.c.vendor_id == Vendor.id)
        .join(Assessment, Assessment.id == latest.c.assessment_id)
        .where(Vendor.status == "active")
        .group_by(Vendor.inherent_tier, final_rating)
    )
    heatmap = {t: dict.fromkeys(RATINGS, 0) for t in RATINGS}
    by_rating = dict.fromkeys(RATINGS, 0)
    for tier, rating, n in db.session.execute(rated).all():
        if rating in by_rating:
            by_rating[rating] += n
            if tier in heatmap:
                heatmap[tier][rating] += n
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

    overdue = db.session.scalar(
        select(func.count())
        .select_from(Assessment)
        .where(Assessment.status.in_(VENDOR_OPEN), Assessment.due_date < today)
    )

    windows = setting("EXPIRY_WINDOWS")
    cert = and_(
        Evidence.kind.in_(CERTIFICATE_KINDS),
        Evidence.verification != "rejected",
        Evidence.expires_on.is_not(None),
    )
    expiry_row = db.session.execute(
        select(
            *[
                func.count()
                .filter(Evidence.expires_on >= today, Evidence.expires_on <= today + timedelta(d))
                .label(f"d{d}")
                for d in windows
            ],
            func.count().filter(Evidence.expires_on < today).label("expired"),
        ).where(cert)
    ).one()
    expiring = {str(d): expiry_row[i] for i, d in enumerate(windows)}
    expired = expiry_row[-1]

    gap_rows = db.session.execute(
        select(Control.ref, Control.title, func.avg(ControlScore.score), func.count())
        .join(ControlScore, ControlScore.control_id == Control.id)
        .join(latest, latest.c.assessment_id == ControlScore.assessment_id)
        .join(Vendor, Vendor.id == latest.c.vendor_id)
        .where(ControlScore.coverage > 0, Vendor.status == "active")
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
        "heatmap": heatmap,
        "open_assessments": sum(by_status[s] for s in OPEN_STATES),
        "overdue_assessments": overdue,
        "expiring_certificates": expiring,
        "expired_certificates": expired,
        "top_control_gaps": [
            {"ref": ref, "title": title, "average_score": round(avg, 3), "vendors": n}
            for ref, title, avg, n in gap_rows
        ],
        "third_party": third_party_rollup(latest),
        "findings": findings_summary(today),
        "ratings_over_time": ratings_over_time(),
        "reassessment": reassessment_summary(today),
    }


def third_party_rollup(latest=None) -> dict:
    """The A.10 (third-party) objective across vendors: mean, vendors per band, per control."""
    latest = latest if latest is not None else latest_scored_subquery()
    objective = scoring_model().third_party_objective
    tp = objective_score_subquery(objective)
    by_band = {name: 0 for name, _ in scoring_model().bands}
    total, mean = 0, None
    band_rows = db.session.execute(
        select(tp.c.band, func.count(), func.sum(tp.c.score))
        .select_from(Vendor)
        .join(latest, latest.c.vendor_id == Vendor.id)
        .join(tp, tp.c.assessment_id == latest.c.assessment_id)
        .where(Vendor.status == "active", tp.c.band.is_not(None))
        .group_by(tp.c.band)
    ).all()
    score_sum = 0.0
    for band, n, ssum in band_rows:
        if band in by_band:
            by_band[band] += n
        total += n
        score_sum += float(ssum or 0.0)
    if total:
        mean = round(score_sum / total, 3)
    control_rows = db.session.execute(
        select(Control.ref, Control.title, func.avg(ControlScore.score), func.count())
        .join(ControlScore, ControlScore.control_id == Control.id)
        .join(latest, latest.c.assessment_id == ControlScore.assessment_id)
        .join(Vendor, Vendor.id == latest.c.vendor_id)
        .where(Control.objective == objective, ControlScore.coverage > 0, Vendor.status == "active")
        .group_by(Control.id, Control.ref, Control.title, Control.position)
        .order_by(Control.position)
    ).all()
    return {
        "objective": objective,
        "vendors": total,
        "average_score": mean,
        "by_band": by_band,
        "controls": [
            {"ref": r, "title": t, "average_score": round(a, 3), "vendors": n}
            for r, t, a, n in control_rows
        ],
    }


def findings_summary(today: date) -> dict:
    """Findings by status, active ones by severity, overdue ones and expired risk acceptances."""
    return finding_counts(today)


def ratings_over_time(months: int = 12) -> list[dict]:
    """Completed assessments per month of completion by final rating (the last `months`)."""
    month = _month(Assessment.completed_at)
    rows = db.session.execute(
        select(month, final_rating_expr(), func.count())
        .where(Assessment.status == "completed", Assessment.completed_at.is_not(None))
        .group_by(month, final_rating_expr())
        .order_by(month)
    ).all()
    out: dict[str, dict] = {}
    for m, rating, n in rows:
        out.setdefault(m, {"month": m, **dict.fromkeys(RATINGS, 0)})
        if rating in RATINGS:
            out[m][rating] += n
    return list(out.values())[-months:]


# --- the vendor register: one query, used by the dashboard, the API, the CSV and the workbook ---


def register_statement(today: date):
    """One select with a row per vendor: tier, latest rating, A.10, findings, certificates."""
    latest = latest_scored_subquery()
    tp = objective_score_subquery()
    last_completed = (
        select(
            Assessment.vendor_id,
            func.max(Assessment.completed_at).label("last_completed"),
            func.count().label("completed"),
        )
        .where(Assessment.status == "completed")
        .group_by(Assessment.vendor_id)
        .subquery()
    )
    open_assessments = (
        select(Assessment.vendor_id, func.count().label("n"))
        .where(Assessment.status.in_(OPEN_STATES))
        .group_by(Assessment.vendor_id)
        .subquery()
    )
    findings = by_vendor_subquery(today)
    certs = (
        select(
            Evidence.vendor_id,
            _string_agg(Evidence.kind).label("kinds"),
            func.min(Evidence.expires_on).label("next_expiry"),
        )
        .where(
            Evidence.kind.in_(CERTIFICATE_KINDS),
            Evidence.verification != "rejected",
            Evidence.expires_on >= today,
        )
        .group_by(Evidence.vendor_id)
        .subquery()
    )
    return (
        select(
            Vendor.id.label("vendor_id"),
            Vendor.name.label("vendor"),
            Vendor.status.label("vendor_status"),
            Vendor.inherent_tier.label("tier"),
            Assessment.id.label("assessment_id"),
            Assessment.status.label("assessment_status"),
            Assessment.rating.label("computed_rating"),
            final_rating_expr().label("rating"),
            Assessment.risk_score.label("risk_score"),
            tp.c.score.label("third_party_score"),
            last_completed.c.last_completed,
            func.coalesce(last_completed.c.completed, 0).label("completed_assessments"),
            func.coalesce(open_assessments.c.n, 0).label("open_assessments"),
            func.coalesce(findings.c.open, 0).label("open_findings"),
            func.coalesce(findings.c.overdue, 0).label("overdue_findings"),
            func.coalesce(findings.c.accepted, 0).label("accepted_risks"),
            certs.c.kinds.label("certificates"),
            certs.c.next_expiry.label("next_certificate_expiry"),
        )
        .select_from(Vendor)
        .outerjoin(latest, latest.c.vendor_id == Vendor.id)
        .outerjoin(Assessment, Assessment.id == latest.c.assessment_id)
        .outerjoin(tp, tp.c.assessment_id == latest.c.assessment_id)
        .outerjoin(last_completed, last_completed.c.vendor_id == Vendor.id)
        .outerjoin(open_assessments, open_assessments.c.vendor_id == Vendor.id)
        .outerjoin(findings, findings.c.vendor_id == Vendor.id)
        .outerjoin(certs, certs.c.vendor_id == Vendor.id)
        .order_by(Vendor.name)
    )


def vendor_register(today: date | None = None, include_inactive: bool = False) -> list[dict]:
    """Rows of the vendor register with the next reassessment date by tier."""
    today = today or date.today()
    stmt = register_statement(today)
    if not include_inactive:
        stmt = stmt.where(Vendor.status == "active")
    rows = []
    for r in db.session.execute(stmt).mappings():
        row = dict(r)
        last = row["last_completed"]
        last_day = last.date() if isinstance(last, datetime) else last
        row["last_assessed"] = last_day
        row["next_due"] = next_reassessment(last_day, row["tier"], today)
        kinds = row["certificates"] or ""
        row["certificates"] = ", ".join(sorted({k.strip() for k in kinds.split(",") if k.strip()}))
        rows.append(row)
    return rows


def due_for_reassessment(rows: list[dict], today: date) -> list[dict]:
    """Vendors due within the notice period that have no assessment running, soonest first."""
    horizon = today + timedelta(days=int(setting("REASSESSMENT_NOTICE_DAYS")))
    due = [
        r
        for r in rows
        if r["vendor_status"] == "active"
        and r["open_assessments"] == 0
        and r["next_due"] <= horizon
    ]
    return sorted(due, key=lambda r: (r["next_due"], r["vendor"]))


def reassessment_summary(today: date) -> dict:
    rows = vendor_register(today)
    due = due_for_reassessment(rows, today)
    return {
        "due": len(due),
        "overdue": sum(1 for r in due if r["next_due"] < today),
        "never_assessed": sum(1 for r in due if r["last_assessed"] is None),
        "vendors": [
            {
                "vendor_id": r["vendor_id"],
                "vendor": r["vendor"],
                "tier": r["tier"],
                "last_assessed": r["last_assessed"].isoformat() if r["last_assessed"] else None,
                "next_due": r["next_due"].isoformat(),
            }
            for r in due
        ],
    }


# --- lists for the dashboard -------------------------------------------------------------------


def overdue_assessments(today: date | None = None, limit: int = 10):
    """The open assessments past their due date, oldest first."""
    today = today or date.today()
    return db.session.scalars(
        select(Assessment)
        .options(joinedload(Assessment.vendor))
        .where(Assessment.status.in_(VENDOR_OPEN), Assessment.due_date < today)
        .order_by(Assessment.due_date, Assessment.id)
        .limit(limit)
    ).all()


def overdue_findings(today: date | None = None, limit: int = 10):
    """Confirmed findings still open after their due date, oldest first."""
    today = today or date.today()
    return db.session.scalars(
        select(Finding)
        .options(joinedload(Finding.vendor))
        .where(Finding.status.in_(ACTIVE_FINDING_STATUSES), Finding.due_date < today)
        .order_by(Finding.due_date, Finding.id)
        .limit(limit)
    ).all()


def expiring_certificates(today: date | None = None, days: int = 90, limit: int = 20):
    """(certificate, vendor name) for certificates (not rejected) expiring within `days`."""
    today = today or date.today()
    return db.session.execute(
        select(Evidence, Vendor.name)
        .join(Vendor, Vendor.id == Evidence.vendor_id)
        .where(
            Evidence.kind.in_(CERTIFICATE_KINDS),
            Evidence.verification != "rejected",
            Evidence.expires_on >= today,
            Evidence.expires_on <= today + timedelta(days=days),
        )
        .order_by(Evidence.expires_on, Evidence.id)
        .limit(limit)
    ).all()


def vendor_history(vendor_id: int) -> list[Assessment]:
    """A vendor's assessments, oldest first (for the score trend)."""
    return db.session.scalars(
        select(Assessment).filter_by(vendor_id=vendor_id).order_by(Assessment.id)
    ).all()


def ratings_for(vendor_ids: list[int]) -> dict[int, str]:
    """{vendor id: final rating of its latest scored assessment} for the given vendors."""
    if not vendor_ids:
        return {}
    latest = latest_scored_subquery()
    rows = db.session.execute(
        select(latest.c.vendor_id, func.coalesce(Assessment.override_rating, Assessment.rating))
        .join(Assessment, Assessment.id == latest.c.assessment_id)
        .where(latest.c.vendor_id.in_(vendor_ids))
    ).all()
    return dict(rows)

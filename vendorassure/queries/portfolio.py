"""The portfolio's read side: figures, the vendor register and reassessments due, in SQL.

Used by the dashboard, the API and the report loader alike. Every figure is counted over active
vendors and, for ratings, over each vendor's latest scored, non-cancelled assessment
(``Vendor.latest_scored_assessment_id``; its final rating is the override where there is one).
The figures can be narrowed to a set of vendors (``Filters``: tier, rating, owner, reassessment
due window); ``summary`` and ``dashboard`` are served from a snapshot of the current generation
(``queries.snapshot``), so a page costs a lookup, not the aggregates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import String, and_, case, cast, func, literal, or_, select, text, true
from sqlalchemy.orm import aliased, joinedload

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
    User,
    Vendor,
)
from ..models.findings import ACTIVE_FINDING_STATUSES
from ..scoring.vocabulary import load_vocabulary
from ..services.library import scoring_model
from ..settings_defaults import add_months, next_reassessment, setting
from . import snapshot
from .evidence import expiring_within
from .findings import by_vendor_subquery, finding_counts


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _month(column):
    """SQL for 'YYYY-MM' of a datetime column on SQLite and PostgreSQL."""
    if _dialect() == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def string_agg(column):
    if _dialect() == "postgresql":
        return func.string_agg(cast(column, String), literal(", "))
    return func.group_concat(column, ", ")


def latest_scored_subquery():
    """Per vendor, the id of its most recent scored, non-cancelled assessment (one lookup: the
    vendors table keeps it, see ``services.scoring.refresh_latest_scored``)."""
    return (
        select(
            Vendor.id.label("vendor_id"), Vendor.latest_scored_assessment_id.label("assessment_id")
        )
        .where(Vendor.latest_scored_assessment_id.is_not(None))
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


# --- which vendors a figure counts ----------------------------------------------------------

DUE_WINDOWS = {
    "notice": "Due for reassessment (notice period, none running)",
    "overdue": "Reassessment overdue",
    "30": "Reassessment due within 30 days",
    "90": "Reassessment due within 90 days",
}


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters: they narrow every figure to the vendors that match."""

    tier: str = ""
    rating: str = ""
    owner: int | None = None
    due: str = ""

    @classmethod
    def from_args(cls, args, prefix: str = "") -> Filters:
        """Read ?tier=&rating=&owner=&due= (unknown words are ignored, a bad owner id is 400);
        other lists take them with a prefix (?vendor_tier=...) to narrow their rows to the
        same vendors."""
        from ..services.queries import int_arg

        tier = args.get(f"{prefix}tier", "")
        rating = args.get(f"{prefix}rating", "")
        due = args.get(f"{prefix}due", "")
        return cls(
            tier=tier if tier in RATINGS else "",
            rating=rating if rating in (*RATINGS, "unrated") else "",
            owner=int_arg(args, f"{prefix}owner"),
            due=due if due in DUE_WINDOWS else "",
        )

    def __bool__(self) -> bool:
        return bool(self.tier or self.rating or self.owner is not None or self.due)

    def narrowed(self, extra: dict) -> dict | None:
        """These filters and `extra` together, or None where `extra` contradicts one of them
        (tier=high on a page filtered to tier=critical). due=notice lies within due=90."""
        mine = self.params()
        if mine.get("due") == "90" and extra.get("due") == "notice":
            mine.pop("due")
        if any(k in mine and str(mine[k]) != str(v) for k, v in extra.items()):
            return None
        return {**mine, **extra}

    def params(self, prefix: str = "") -> dict:
        return {f"{prefix}{k}": v for k, v in asdict(self).items() if v not in ("", None)}


def _last_completed():
    return (
        select(Assessment.vendor_id, func.max(Assessment.completed_at).label("last_completed"))
        .where(Assessment.status == "completed")
        .group_by(Assessment.vendor_id)
        .subquery()
    )


def last_assessed_by(tier_months: int, horizon: date) -> date:
    """The latest completion day whose next reassessment (add_months) falls on or before
    `horizon`: a vendor of that tier is due by `horizon` exactly when it last completed by then."""
    day = add_months(horizon, -tier_months)
    while add_months(day + timedelta(days=1), tier_months) <= horizon:
        day += timedelta(days=1)
    while add_months(day, tier_months) > horizon:
        day -= timedelta(days=1)
    return day


def due_by(last_completed, horizon: date):
    """SQL: the vendor's next reassessment (last completed + its tier's interval) is on or
    before `horizon`; never assessed counts as due today. Exact: a CASE on the tier compares the
    completion time with a cut-off computed per tier."""
    months = setting("REASSESSMENT_MONTHS")
    never = last_completed.is_(None)
    if horizon < date.today():
        never = literal(False)
    whens = [
        (
            Vendor.inherent_tier == tier,
            last_completed
            < datetime.combine(last_assessed_by(int(m), horizon) + timedelta(days=1), time()),
        )
        for tier, m in months.items()
    ]
    default = last_completed < datetime.combine(
        last_assessed_by(12, horizon) + timedelta(days=1), time()
    )
    return or_(never, case(*whens, else_=default))


def vendor_scope(filters: Filters, today: date, active_only: bool = True):
    """The ids of the (active) vendors the filters keep, as a select."""
    stmt = select(Vendor.id).where(Vendor.status == "active" if active_only else true())
    if filters.tier:
        stmt = stmt.where(Vendor.inherent_tier == filters.tier)
    if filters.owner is not None:
        stmt = stmt.where(Vendor.owner_id == filters.owner)
    if filters.rating == "unrated":
        stmt = stmt.where(Vendor.latest_scored_assessment_id.is_(None))
    elif filters.rating:
        stmt = stmt.join(Assessment, Assessment.id == Vendor.latest_scored_assessment_id).where(
            final_rating_expr() == filters.rating
        )
    if filters.due:
        last = _last_completed()
        if filters.due == "overdue":
            horizon = today - timedelta(days=1)
        elif filters.due == "notice":
            horizon = today + timedelta(days=int(setting("REASSESSMENT_NOTICE_DAYS")))
            stmt = stmt.where(~_running())
        else:
            horizon = today + timedelta(days=int(filters.due))
        stmt = stmt.outerjoin(last, last.c.vendor_id == Vendor.id).where(
            due_by(last.c.last_completed, horizon)
        )
    # used as "x IN (scope)" inside selects of the same tables: never correlate it with them
    return stmt.correlate(None)


def _running():
    """SQL: the vendor has an assessment in an open state."""
    a = aliased(Assessment)
    return select(a.id).where(a.vendor_id == Vendor.id, a.status.in_(OPEN_STATES)).exists()


def _in(column, scope):
    return column.in_(scope) if scope is not None else true()


# --- the figures ------------------------------------------------------------------------------


def summary(today: date | None = None, filters: Filters | None = None) -> dict:
    """Every dashboard figure (the API's portfolio summary), from the current snapshot."""
    today = today or date.today()
    filters = filters or Filters()
    return snapshot.cached(
        "summary", today, filters.params(), lambda: compute_summary(today, filters)
    )


def compute_summary(today: date, filters: Filters | None = None) -> dict:
    """Every dashboard figure: ratings, heatmap, statuses, tiers, overdue work, certificates,
    weakest controls, the A.10 roll-up, findings, ratings over time, reassessments due."""
    filters = filters or Filters()
    scope = vendor_scope(filters, today) if filters else None
    final_rating = final_rating_expr()
    # vendors by tier and the final rating of their latest scored assessment (None: unrated)
    rated = (
        select(Vendor.inherent_tier, final_rating, func.count())
        .select_from(Vendor)
        .outerjoin(Assessment, Assessment.id == Vendor.latest_scored_assessment_id)
        .where(Vendor.status == "active", _in(Vendor.id, scope))
        .group_by(Vendor.inherent_tier, final_rating)
    )
    heatmap = {t: dict.fromkeys(RATINGS, 0) for t in RATINGS}
    by_rating = dict.fromkeys(RATINGS, 0)
    by_tier = dict.fromkeys(RATINGS, 0)
    for tier, rating, n in db.session.execute(rated).all():
        by_tier[tier] = by_tier.get(tier, 0) + n
        if rating in by_rating:
            by_rating[rating] += n
            if tier in heatmap:
                heatmap[tier][rating] += n
    active_vendors = sum(by_tier.values())
    by_rating["unrated"] = active_vendors - sum(by_rating[r] for r in RATINGS)

    by_status = dict.fromkeys(STATUSES, 0)
    overdue = 0
    status_rows = db.session.execute(
        select(
            Assessment.status,
            func.count(),
            func.count().filter(Assessment.due_date < today),
        )
        .where(_in(Assessment.vendor_id, scope))
        .group_by(Assessment.status)
    ).all()
    for status, n, late in status_rows:
        by_status[status] = n
        if status in VENDOR_OPEN:
            overdue += late

    windows = setting("EXPIRY_WINDOWS")
    cert = and_(
        Evidence.kind.in_(CERTIFICATE_KINDS),
        Evidence.verification != "rejected",
        Evidence.expires_on.is_not(None),
        _in(Evidence.vendor_id, scope),
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

    # every assessed control's average over the vendors' latest assessments (one statement for
    # the ten weakest and the A.10 roll-up's controls)
    control_rows = db.session.execute(
        select(
            Control.ref,
            Control.title,
            Control.objective,
            func.avg(ControlScore.score),
            func.count(),
        )
        .join(ControlScore, ControlScore.control_id == Control.id)
        .join(Vendor, Vendor.latest_scored_assessment_id == ControlScore.assessment_id)
        .where(ControlScore.coverage > 0, Vendor.status == "active", _in(Vendor.id, scope))
        .group_by(Control.id, Control.ref, Control.title, Control.objective, Control.position)
        .order_by(Control.position)
    ).all()
    gap_rows = sorted(control_rows, key=lambda r: (r[3], r[0]))[:10]

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
            for ref, title, _objective, avg, n in gap_rows
        ],
        "third_party": third_party_rollup(scope, control_rows),
        "findings": findings_summary(today, scope),
        "ratings_over_time": ratings_over_time(scope=scope),
        "reassessment": reassessment_summary(today, scope),
    }


def third_party_rollup(scope=None, control_rows=None) -> dict:
    """The A.10 (third-party) objective across vendors: mean, vendors per band, per control
    (`control_rows`: the per-control averages compute_summary already has)."""
    objective = scoring_model().third_party_objective
    tp = objective_score_subquery(objective)
    by_band = {name: 0 for name, _ in scoring_model().bands}
    total, mean = 0, None
    band_rows = db.session.execute(
        select(tp.c.band, func.count(), func.sum(tp.c.score))
        .select_from(Vendor)
        .join(tp, tp.c.assessment_id == Vendor.latest_scored_assessment_id)
        .where(Vendor.status == "active", tp.c.band.is_not(None), _in(Vendor.id, scope))
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
    control_rows = [(r, t, a, n) for r, t, obj, a, n in control_rows or () if obj == objective]
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


def findings_summary(today: date, scope=None) -> dict:
    """Findings by status, active ones by severity, overdue ones and expired risk acceptances
    (one statement: the shared findings count, ``queries.findings``)."""
    return finding_counts(today, vendor_ids=scope)


def ratings_over_time(months: int = 12, scope=None) -> list[dict]:
    """Completed assessments per month of completion by final rating (the last `months`)."""
    month = _month(Assessment.completed_at)
    rows = db.session.execute(
        select(month, final_rating_expr(), func.count())
        .where(
            Assessment.status == "completed",
            Assessment.completed_at.is_not(None),
            _in(Assessment.vendor_id, scope),
        )
        .group_by(month, final_rating_expr())
        .order_by(month)
    ).all()
    out: dict[str, dict] = {}
    for m, rating, n in rows:
        out.setdefault(m, {"month": m, **dict.fromkeys(RATINGS, 0)})
        if rating in RATINGS:
            out[m][rating] += n
    return list(out.values())[-months:]


def _next_due_order(last_completed):
    """SQL ordering key close to the next reassessment day (exact dates are computed in Python
    for the rows shown)."""
    months = setting("REASSESSMENT_MONTHS")
    if _dialect() == "postgresql":
        shifted = [
            (Vendor.inherent_tier == t, last_completed + text(f"interval '{int(m)} months'"))
            for t, m in months.items()
        ]
        return case(*shifted, else_=last_completed + text("interval '12 months'"))
    shifted = [
        (Vendor.inherent_tier == t, func.date(last_completed, f"+{int(m)} months"))
        for t, m in months.items()
    ]
    return case(*shifted, else_=func.date(last_completed, "+12 months"))


def reassessment_summary(today: date, scope=None, limit: int = 50) -> dict:
    """Vendors due within the notice period with no assessment running: counts in SQL and the
    `limit` soonest (never assessed first)."""
    horizon = today + timedelta(days=int(setting("REASSESSMENT_NOTICE_DAYS")))
    last = _last_completed()
    running = _running()
    base = (
        select(Vendor.id)
        .outerjoin(last, last.c.vendor_id == Vendor.id)
        .where(
            Vendor.status == "active",
            ~running,
            due_by(last.c.last_completed, horizon),
            _in(Vendor.id, scope),
        )
    )
    # the counts ride along each row as window aggregates: one statement for counts and list
    overdue = due_by(last.c.last_completed, today - timedelta(days=1))
    rows = db.session.execute(
        base.add_columns(
            Vendor.name,
            Vendor.inherent_tier,
            last.c.last_completed,
            func.count().over().label("due"),
            func.count().filter(overdue).over().label("overdue"),
            func.count().filter(last.c.last_completed.is_(None)).over().label("never"),
        )
        .order_by(
            last.c.last_completed.is_not(None),
            _next_due_order(last.c.last_completed),
            Vendor.name,
        )
        .limit(limit)
    ).all()
    due, overdue_n, never = (rows[0][4], rows[0][5], rows[0][6]) if rows else (0, 0, 0)
    vendors = []
    for vid, name, tier, last_at, *_counts in rows:
        last_day = last_at.date() if isinstance(last_at, datetime) else last_at
        vendors.append(
            {
                "vendor_id": vid,
                "vendor": name,
                "tier": tier,
                "last_assessed": last_day.isoformat() if last_day else None,
                "next_due": next_reassessment(last_day, tier, today).isoformat(),
            }
        )
    vendors.sort(key=lambda v: (v["next_due"], v["vendor"]))
    return {"due": due, "overdue": overdue_n, "never_assessed": never, "vendors": vendors}


# --- the vendor register: one query, used by the dashboard, the API, the CSV and the workbook ---


def register_statement(today: date, vendor_ids: list[int] | None = None):
    """One select with a row per vendor: tier, latest rating, A.10, findings, certificates
    (for the given vendors only, when named: every aggregate is then restricted to them)."""
    latest = latest_scored_subquery()
    tp = objective_score_subquery()
    last_completed = (
        select(
            Assessment.vendor_id,
            func.max(Assessment.completed_at).label("last_completed"),
            func.count().label("completed"),
        )
        .where(Assessment.status == "completed")
        .where(_in(Assessment.vendor_id, vendor_ids))
        .group_by(Assessment.vendor_id)
        .subquery()
    )
    open_assessments = (
        select(Assessment.vendor_id, func.count().label("n"))
        .where(Assessment.status.in_(OPEN_STATES))
        .where(_in(Assessment.vendor_id, vendor_ids))
        .group_by(Assessment.vendor_id)
        .subquery()
    )
    findings = by_vendor_subquery(today, vendor_ids)
    certs = (
        select(
            Evidence.vendor_id,
            string_agg(Evidence.kind).label("kinds"),
            func.min(Evidence.expires_on).label("next_expiry"),
        )
        .where(
            Evidence.kind.in_(CERTIFICATE_KINDS),
            Evidence.verification != "rejected",
            Evidence.expires_on >= today,
        )
        .where(_in(Evidence.vendor_id, vendor_ids))
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
        .where(_in(Vendor.id, vendor_ids))
        .order_by(Vendor.name)
    )


def _register_row(r, today: date) -> dict:
    row = dict(r)
    last = row["last_completed"]
    last_day = last.date() if isinstance(last, datetime) else last
    row["last_assessed"] = last_day
    row["next_due"] = next_reassessment(last_day, row["tier"], today)
    kinds = row["certificates"] or ""
    words = load_vocabulary()
    row["certificates"] = ", ".join(
        sorted({words.kind(k.strip()) for k in kinds.split(",") if k.strip()})
    )
    return row


def vendor_register(today: date | None = None, include_inactive: bool = False) -> list[dict]:
    """Every row of the vendor register with the next reassessment date by tier (CSV, xlsx)."""
    today = today or date.today()
    stmt = register_statement(today)
    if not include_inactive:
        stmt = stmt.where(Vendor.status == "active")
    return [_register_row(r, today) for r in db.session.execute(stmt).mappings()]


def register_page(
    today: date,
    filters: Filters,
    page: int,
    per_page: int,
    q: str = "",
    include_inactive: bool = False,
) -> tuple[list[dict], int]:
    """One page of the register: the page's vendors are picked first (by name), then their
    figures are aggregated for those vendors only, so a page costs the same at any size."""
    from ..services.queries import name_contains

    ids = vendor_scope(filters, today, active_only=not include_inactive)
    if q.strip():
        ids = ids.where(name_contains(Vendor.name, q))
    total = db.session.scalar(select(func.count()).select_from(ids.subquery()))
    page_ids = list(
        db.session.scalars(
            ids.order_by(Vendor.name, Vendor.id).limit(per_page).offset((page - 1) * per_page)
        )
    )
    if not page_ids:
        return [], total
    stmt = register_statement(today, page_ids)
    return [_register_row(r, today) for r in db.session.execute(stmt).mappings()], total


# --- lists for the dashboard -------------------------------------------------------------------


def compute_dashboard(today: date, filters: Filters) -> dict:
    """Every figure of the dashboard plus its short lists and the owners to filter by
    (JSON-safe; the web view keeps its rendering in a snapshot)."""
    scope = vendor_scope(filters, today) if filters else None
    data = compute_summary(today, filters)
    data["overdue_list"] = [
        {"vendor_id": a.vendor_id, "vendor": a.vendor.name, "status": a.status,
         "due_date": a.due_date.isoformat(), "assessment_id": a.id}
        for a in overdue_assessments(today, scope=scope)
    ]  # fmt: skip
    data["overdue_findings_list"] = [
        {"id": f.id, "title": f.title, "vendor": f.vendor.name, "severity": f.severity,
         "due_date": f.due_date.isoformat()}
        for f in overdue_findings(today, scope=scope)
    ]  # fmt: skip
    data["owners"] = owners()
    data["expiring_list"] = [
        {"vendor_id": e.vendor_id, "vendor": name, "kind": e.kind,
         "certificate_number": e.certificate_number, "expires_on": e.expires_on.isoformat()}
        for e, name in expiring_certificates(today, max(setting("EXPIRY_WINDOWS")), scope=scope)
    ]  # fmt: skip
    return data


def overdue_assessments(today: date | None = None, limit: int = 10, scope=None):
    """The open assessments past their due date, oldest first."""
    today = today or date.today()
    return db.session.scalars(
        select(Assessment)
        .options(joinedload(Assessment.vendor))
        .where(
            Assessment.status.in_(VENDOR_OPEN),
            Assessment.due_date < today,
            _in(Assessment.vendor_id, scope),
        )
        .order_by(Assessment.due_date, Assessment.id)
        .limit(limit)
    ).all()


def overdue_findings(today: date | None = None, limit: int = 10, scope=None):
    """Confirmed findings still open after their due date, oldest first."""
    today = today or date.today()
    return db.session.scalars(
        select(Finding)
        .options(joinedload(Finding.vendor))
        .where(
            Finding.status.in_(ACTIVE_FINDING_STATUSES),
            Finding.due_date < today,
            _in(Finding.vendor_id, scope),
        )
        .order_by(Finding.due_date, Finding.id)
        .limit(limit)
    ).all()


def expiring_certificates(today: date | None = None, days: int = 90, limit: int = 20, scope=None):
    """(certificate, vendor name) for certificates (not rejected) expiring within `days`."""
    today = today or date.today()
    return db.session.execute(
        select(Evidence, Vendor.name)
        .join(Vendor, Vendor.id == Evidence.vendor_id)
        .where(expiring_within(today, days), _in(Evidence.vendor_id, scope))
        .order_by(Evidence.expires_on, Evidence.id)
        .limit(limit)
    ).all()


def vendor_history(vendor_id: int) -> list[Assessment]:
    """A vendor's assessments, oldest first (for the score trend)."""
    return db.session.scalars(
        select(Assessment).filter_by(vendor_id=vendor_id).order_by(Assessment.id)
    ).all()


def owners() -> list[tuple[int, str]]:
    """(id, name) of the staff who own vendors, for the owner filter (one small query)."""
    rows = db.session.execute(
        select(User.id, User.name, User.email)
        .where(User.id.in_(select(Vendor.owner_id).distinct()))
        .order_by(User.name, User.email)
    ).all()
    return [(i, name or email) for i, name, email in rows]


def ratings_for(vendor_ids: list[int]) -> dict[int, str]:
    """{vendor id: final rating of its latest scored assessment} for the given vendors."""
    if not vendor_ids:
        return {}
    rows = db.session.execute(
        select(Vendor.id, final_rating_expr())
        .join(Assessment, Assessment.id == Vendor.latest_scored_assessment_id)
        .where(Vendor.id.in_(vendor_ids))
    ).all()
    return dict(rows)

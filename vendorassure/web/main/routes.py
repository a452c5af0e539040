"""Views: start page, portfolio dashboard, vendor register and overview, report downloads, and
the vendor's own findings with its remediation plans."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...downloads import send_bytes
from ...extensions import db
from ...models import CERTIFICATE_KINDS, RATINGS, Evidence, Finding, Vendor
from ...models.findings import ACTIVE_FINDING_STATUSES
from ...queries import portfolio, snapshot
from ...queries.findings import finding_counts
from ...reports import XLSX_MIMETYPE, build_evidence_pack, build_portfolio_workbook, loader, to_csv
from ...scoring.vocabulary import load_vocabulary
from ...services import access, findings
from ...services.errors import ServiceError
from ...services.queries import page_arg
from ...settings_defaults import next_reassessment, setting
from ..forms import Form
from ..helpers import home_for, roles_required
from ..page_cache import page_cache
from . import bp

STAFF = ("admin", "procurement", "risk")
REGISTER_PER_PAGE = 50
SAMPLE_SIZE = 50


class PlanForm(Form):
    plan = TextAreaField(
        _l("Remediation plan"),
        validators=[
            DataRequired(_l("Describe the remediation plan.")),
            Length(max=10000, message=_l("The plan is longer than 10000 characters.")),
        ],
    )
    submit = SubmitField(_l("Send plan"))


@bp.get("/")
def index():
    """Send each role to its start page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(home_for(current_user))


@bp.get("/dashboard")
@roles_required(*STAFF)
def dashboard():
    """Show the portfolio, narrowed by the filters: every figure links to the list behind it."""
    today = date.today()
    filters = portfolio.Filters.from_args(request.args)

    def render_body() -> dict:
        data = portfolio.compute_dashboard(today, filters)
        html = render_template(
            "main/_dashboard_body.html",
            data=data,
            ratings=RATINGS,
            today=today,
            filters=filters,
            fargs=filters.params(),
            narrowed=filters.narrowed,
            kind_labels=load_vocabulary().sections["evidence_kinds"],
            overdue=data["overdue_list"],
            overdue_findings=data["overdue_findings_list"],
            expiring=data["expiring_list"],
            windows=setting("EXPIRY_WINDOWS"),
        )
        return {"html": html, "owners": data["owners"], "vendors": data["vendors"],
                "assessments": data["assessments"]}  # fmt: skip

    # the figures are the same for every viewer: rendered once per portfolio change and filter
    page = snapshot.cached("dashboard-html", today, filters.params(), render_body)
    return render_template(
        "main/dashboard.html",
        page=page,
        body=Markup(page["html"]),  # noqa: S704 (rendered by our own autoescaping template)
        ratings=RATINGS,
        today=today,
        filters=filters,
        owners=page["owners"],
        due_windows=portfolio.DUE_WINDOWS,
    )


@bp.get("/vendors/register")
@roles_required(*STAFF)
@page_cache
def vendor_register():
    """The vendor register, a page at a time (the full list as CSV with ?format=csv or in the
    portfolio workbook)."""
    include_inactive = request.args.get("all") == "1"
    if request.args.get("format") == "csv":
        rows = portfolio.vendor_register(include_inactive=include_inactive)
        return send_bytes(to_csv(loader.register_frame(rows)), "vendor-register.csv", "text/csv")
    today = date.today()
    filters = portfolio.Filters.from_args(request.args)
    page = page_arg(request.args)
    q = request.args.get("q", "")[:200]

    def render_table() -> dict:
        rows, total = portfolio.register_page(
            today, filters, page, REGISTER_PER_PAGE, q, include_inactive
        )
        html = render_template(
            "main/_register_table.html", rows=rows, filters=filters, q=q, today=today
        )
        return {"html": html, "total": total, "owners": portfolio.owners()}

    params = {**filters.params(), "page": page, "q": q.strip(), "all": include_inactive}
    table = snapshot.cached("register-html", today, params, render_table)
    return render_template(
        "main/register.html",
        body=Markup(table["html"]),  # noqa: S704 (rendered by our own autoescaping template)
        total=table["total"],
        page=page,
        per_page=REGISTER_PER_PAGE,
        q=q,
        filters=filters,
        include_inactive=include_inactive,
        ratings=RATINGS,
        owners=table["owners"],
        due_windows=portfolio.DUE_WINDOWS,
        today=today,
    )


@bp.get("/vendors/sample")
@roles_required(*STAFF)
def vendor_sample():
    """Fifty vendors by name: a fixed-size list, the benchmark's baseline page (bench/web.py)."""
    rows = db.session.execute(
        select(Vendor.id, Vendor.name, Vendor.inherent_tier, Vendor.status, Vendor.website)
        .order_by(Vendor.name, Vendor.id)
        .limit(SAMPLE_SIZE)
    ).all()
    return render_template("main/vendor_sample.html", rows=rows)


@bp.get("/vendors/<int:vendor_id>/overview")
@roles_required(*STAFF)
@page_cache
def vendor_overview(vendor_id: int):
    """A vendor's history with its score trend, certificates, open findings, next reassessment."""
    vendor = access.get_vendor(current_user, vendor_id)
    today = date.today()
    history = portfolio.vendor_history(vendor.id)
    completed = [a for a in history if a.status == "completed" and a.completed_at]
    last = completed[-1].completed_at.date() if completed else None
    certificates = db.session.scalars(
        select(Evidence)
        .where(Evidence.vendor_id == vendor.id, Evidence.kind.in_(CERTIFICATE_KINDS))
        .order_by(Evidence.expires_on.desc())
    ).all()
    open_findings = db.session.scalars(
        select(Finding)
        .options(joinedload(Finding.control))
        .where(Finding.vendor_id == vendor.id, Finding.status.in_(ACTIVE_FINDING_STATUSES))
        .order_by(Finding.due_date.is_(None), Finding.due_date, Finding.id)
    ).all()
    return render_template(
        "main/vendor_overview.html",
        vendor=vendor,
        history=history,
        trend=[a for a in history if a.risk_score is not None],
        certificates=certificates,
        open_findings=open_findings,
        finding_counts=finding_counts(today, vendor_id=vendor.id),
        last_assessed=last,
        next_due=next_reassessment(last, vendor.inherent_tier, today),
        interval=setting("REASSESSMENT_MONTHS").get(vendor.inherent_tier),
        running=[a for a in history if a.status not in ("completed", "cancelled")],
        today=today,
    )


@bp.get("/reports/portfolio.xlsx")
@roles_required(*STAFF)
def portfolio_export():
    """Download the portfolio register workbook."""
    data = build_portfolio_workbook(loader.load_portfolio())
    return send_bytes(data, f"portfolio-{date.today().isoformat()}.xlsx", XLSX_MIMETYPE)


@bp.get("/reports/evidence-pack.xlsx")
@roles_required(*STAFF)
def evidence_pack_export():
    """Download the buyer's ISO/IEC 42001 A.10 evidence pack."""
    data = build_evidence_pack(loader.load_evidence_pack())
    return send_bytes(data, f"a10-evidence-pack-{date.today().isoformat()}.xlsx", XLSX_MIMETYPE)


# --- the vendor's side: findings sent to it ----------------------------------------------------


@bp.get("/findings/mine")
@roles_required("vendor")
def vendor_findings():
    """The findings the risk team sent to the signed-in vendor, each with a plan form."""
    rows = db.session.scalars(
        findings.vendor_findings_query(current_user)
        .options(joinedload(Finding.control))
        .order_by(Finding.due_date.is_(None), Finding.due_date, Finding.id)
    ).all()
    forms = {f.id: PlanForm(prefix=f"p{f.id}", plan=f.vendor_response) for f in rows}
    return render_template("main/vendor_findings.html", rows=rows, forms=forms, today=date.today())


@bp.post("/findings/<int:finding_id>/plan")
@roles_required("vendor")
def vendor_finding_plan(finding_id: int):
    """Record the vendor's remediation plan for one of its findings."""
    f = findings.get_vendor_finding(current_user, finding_id)
    form = PlanForm(prefix=f"p{f.id}")
    if form.validate_on_submit():
        try:
            findings.respond_to_finding(current_user, f, form.plan.data)
            flash(_("Thank you: your remediation plan was sent to the risk team."), "success")
        except ServiceError as exc:
            flash(exc.message, "error")
    else:
        flash(_("Describe the remediation plan."), "error")
    return redirect(url_for("main.vendor_findings") + f"#finding-{f.id}")

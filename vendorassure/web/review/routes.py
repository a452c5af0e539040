"""Views for the risk team: queue, review page, evidence, answer flags, clarifications,
findings, decisions and downloads."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, literal_column, select, true
from sqlalchemy.orm import aliased, joinedload

from ...downloads import send_bytes, send_csv, send_evidence
from ...extensions import db
from ...labels import VERIFICATION_LABELS
from ...models import (
    FINDING_STATUSES,
    OPEN_STATES,
    RATINGS,
    SEVERITIES,
    STATUSES,
    VENDOR_OPEN,
    AuditEvent,
    Control,
    Finding,
    User,
    Vendor,
)
from ...models import Assessment as A
from ...queries import portfolio, snapshot, trail
from ...queries.review import ASSESSMENT_OPTIONS, load_review_page, objective_groups
from ...reports import build_assessment_workbook, loader
from ...reports.pdf import PDF_MIMETYPE, build_assessment_report
from ...services import access, assessments, evidence, findings, review
from ...services.errors import ServiceError
from ...services.queries import int_arg, name_contains, page_arg, paginate
from ...services.scoring import explained_score
from ...validation import bounded_int
from ..helpers import apply_errors, opts, roles_required
from ..page_cache import page_cache
from . import bp
from .forms import (
    AssignForm,
    ClarifyForm,
    DecisionForm,
    FindingBulkForm,
    FindingCreateForm,
    FindingEditForm,
    FlagForm,
    ProposeForm,
    StartForm,
    VerifyForm,
)

PER_PAGE = 25
STAFF = ("admin", "procurement", "risk")
RISK = ("risk", "admin")
SORTS = {
    "due": (A.due_date, A.id),
    "submitted": (A.submitted_at.desc(), A.id),
    "risk": (A.risk_score.desc(), A.id),
    "vendor": (Vendor.name, A.id),
    "newest": (A.id.desc(),),
}
DUE_FILTERS = {"overdue": "Overdue", "7": "Due within 7 days", "30": "Due within 30 days"}
CSV_LIMIT = 10000


def _reviewers():
    return db.session.scalars(
        select(User).where(User.role.in_(RISK), User.active.is_(True)).order_by(User.email)
    ).all()


def queue_conditions(args, user) -> list:
    """The review queue's filters from the query string, as conditions on assessments alone
    (vendor filters as id subqueries), so the page's ids need no join."""
    conds = []
    status = args.get("status", "review")
    if status == "review":
        conds.append(A.status.in_(("submitted", "under_review")))
    elif status == "open":
        conds.append(A.status.in_(OPEN_STATES))
    elif status in STATUSES:
        conds.append(A.status == status)
    rating = args.get("rating", "")
    if rating in RATINGS:
        conds.append(func.coalesce(A.override_rating, A.rating) == rating)
    tier = args.get("tier", "")
    if tier in RATINGS:
        conds.append(A.vendor_id.in_(select(Vendor.id).where(Vendor.inherent_tier == tier)))
    due = args.get("due", "")
    today = date.today()
    if due == "overdue":
        conds += [A.due_date < today, A.status.in_(VENDOR_OPEN)]
    elif due in ("7", "30"):
        conds += [A.due_date >= today, A.due_date <= today + timedelta(days=int(due))]
    who = args.get("reviewer", "")
    if who == "me" or args.get("mine") == "1":
        conds.append(A.reviewer_id == user.id)
    elif who == "none":
        conds.append(A.reviewer_id.is_(None))
    elif who:
        conds.append(A.reviewer_id == int_arg(args, "reviewer"))
    if args.get("q", "").strip():
        names = select(Vendor.id).where(name_contains(Vendor.name, args["q"]))
        conds.append(A.vendor_id.in_(names))
    conds.append(_vendor_scope(args, A.vendor_id))
    return conds


def queue_statement(args, user):
    """The review queue's select (rows with vendor and reviewer) for the query string."""
    reviewer = aliased(User)
    return (
        select(A, Vendor.name, Vendor.inherent_tier, reviewer.email)
        .join(Vendor, Vendor.id == A.vendor_id)
        .outerjoin(reviewer, reviewer.id == A.reviewer_id)
        .where(*queue_conditions(args, user))
    )


def _vendor_scope(args, column=Vendor.id):
    """The dashboard's portfolio filters (?vendor_tier=&vendor_rating=&vendor_owner=&vendor_due=)
    narrow a list to the same vendors, so a dashboard figure and its list agree."""
    scope = portfolio.Filters.from_args(args, "vendor_")
    if not scope:
        return true()
    return column.in_(portfolio.vendor_scope(scope, date.today()))


def _reviewer_options(choices) -> dict[str, Markup]:
    """The <option>s of the assign select, once per possible selection (not once per row)."""
    items = [(c.value, escape(c.value), escape(c.label)) for c in choices]
    return {
        selected: Markup(  # noqa: S704 (every value and label escaped above)
            "".join(
                f'<option value="{v}"{" selected" if raw == selected else ""}>{label}</option>'
                for raw, v, label in items
            )
        )
        for selected, _v, _l in items
    }


@bp.get("/")
@roles_required(*STAFF)
@page_cache
def queue():
    """List assessments for review with filters, sorting, pages and a CSV download."""
    args = request.args
    sort = args.get("sort", "due")
    stmt = queue_statement(args, current_user).options(joinedload(A.questionnaire))
    order = SORTS.get(sort, SORTS["due"])
    if args.get("format") == "csv":
        rows = db.session.execute(stmt.order_by(*order).limit(CSV_LIMIT)).all()
        return send_csv(loader.queue_frame(rows), "review-queue.csv")
    page = page_arg(args)
    rows, total = _queue_page(args, stmt, order, page)
    reviewers = _reviewers()
    assign_form = AssignForm(prefix="as")
    assign_form.reviewer.choices = opts(
        [("", "Unassigned"), *[(str(u.id), u.display_name) for u in reviewers]]
    )
    return render_template(
        "review/queue.html",
        reviewer_options=_reviewer_options(assign_form.reviewer.choices),
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        status=args.get("status", "review"),
        rating=args.get("rating", ""),
        tier=args.get("tier", ""),
        due=args.get("due", ""),
        reviewer=args.get("reviewer", ""),
        q=args.get("q", "").strip(),
        sort=sort,
        statuses=STATUSES,
        ratings=RATINGS,
        due_filters=DUE_FILTERS,
        reviewers=reviewers,
        assign_form=assign_form,
        can_act=current_user.role in RISK,
        csv_args={**args.to_dict(), "format": "csv"},
    )


QUEUE_FILTERS = ("status", "rating", "tier", "due", "q", "vendor_tier", "vendor_rating",
                 "vendor_owner", "vendor_due")  # fmt: skip


def _queue_page(args, stmt, order, page: int):
    """One page of the queue in fixed cost: the page's 25 ids first (from assessments alone, an
    index walk in the sort order), then those rows with their joins; the total from the
    portfolio snapshot (kept per filter set, recounted only after a change)."""
    conds = queue_conditions(args, current_user)
    ids_stmt = select(A.id).where(*conds)
    if (
        order == SORTS["due"]
        and args.get("status", "review") != "all"
        and db.session.get_bind().dialect.name == "sqlite"
    ):
        # With a status filter SQLite would walk the due-date index through years of completed
        # assessments to avoid a sort; "+due_date" keeps it on the (status, due_date) index and
        # sorts the few matching ids instead (PostgreSQL's planner chooses so by itself).
        order = (literal_column("+assessments.due_date"), A.id)
    if any(getattr(c, "element", c) is Vendor.name for c in order):
        ids_stmt = ids_stmt.join(Vendor, Vendor.id == A.vendor_id)
    ids = list(
        db.session.scalars(ids_stmt.order_by(*order).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    )
    rows = db.session.execute(stmt.where(A.id.in_(ids))).all()
    position = {i: n for n, i in enumerate(ids)}
    rows.sort(key=lambda r: position[r[0].id])
    params = {k: args.get(k, "") for k in QUEUE_FILTERS}
    if args.get("reviewer") or args.get("mine"):
        params["reviewer"] = args.get("reviewer", "")
        params["mine"] = args.get("mine", "")
        params["user"] = current_user.id  # "me" is someone else for another reviewer
    total = snapshot.cached(
        "queue-total",
        date.today(),
        params,
        lambda: {"total": db.session.scalar(select(func.count(A.id)).where(*conds))},
    )["total"]
    return rows, total


@bp.post("/assessments/<int:assessment_id>/assign")
@roles_required(*RISK)
def assessment_assign(assessment_id: int):
    """Assign an assessment to a reviewer (or clear the assignment)."""
    a = access.get_assessment(current_user, assessment_id)
    form = AssignForm(prefix="as")
    form.reviewer.choices = opts(
        [("", "Unassigned"), *[(str(u.id), u.display_name) for u in _reviewers()]]
    )
    if form.validate_on_submit():
        reviewer = db.session.get(User, int(form.reviewer.data)) if form.reviewer.data else None
        try:
            assessments.assign_reviewer(current_user, a, reviewer)
            flash(
                f"#{a.id} assigned to {reviewer.display_name}." if reviewer else "Unassigned.",
                "success",
            )
        except ServiceError as exc:
            flash(exc.message, "error")
    else:
        flash("Choose a reviewer from the list.", "error")
    target = request.form.get("back")
    if target == "review":
        return redirect(url_for("review.assessment_review", assessment_id=a.id))
    return redirect(url_for("review.queue"))


@bp.get("/assessments/<int:assessment_id>")
@roles_required(*STAFF)
@page_cache
def assessment_review(assessment_id: int):
    """Show answers by Annex A objective (collapsed, items needing attention first) with control
    scores, the explanation, evidence, findings, clarifications, decisions and the trail."""
    a = access.get_assessment(current_user, assessment_id, options=ASSESSMENT_OPTIONS)
    page = load_review_page(a, loaded=True)
    a = page.assessment
    values = {k: ans.value for k, ans in page.answers.items() if not ans.na}
    details = explained_score(a, page.view, values) if page.view else {}
    assign_form = AssignForm(prefix="as", reviewer=str(a.reviewer_id or ""))
    assign_form.reviewer.choices = opts(
        [("", "Unassigned"), *[(str(u.id), u.display_name) for u in page.reviewers]]
    )
    clarify_form = ClarifyForm(prefix="c")
    clarify_form.question.choices = opts(
        [
            ("", "The assessment as a whole"),
            *[(q.key, f"{q.order}. {q.text[:90]}") for q in page.questions],
        ]
    )
    create_form = FindingCreateForm(prefix="f")
    create_form.control.choices = opts(
        [("", "—"), *[(c.ref, f"{c.ref} {c.title}") for c in page.controls]]
    )
    bulk = FindingBulkForm(prefix="fb")
    bulk.owner_id.choices = opts([("", "—"), *[(str(u.id), u.display_name) for u in page.staff]])
    texts = {q.key: q.text for q in page.questions}
    question_keys = page.question_keys
    groups = objective_groups(page, details)
    sections = {q.key: g["title"] or g["ref"] for g in groups for q in g["questions"]}
    kind = request.args.get("trail", "")
    kind = kind if kind in trail.KINDS else ""
    entries = trail.group_events(
        [e for e in page.events if not kind or trail.kind_of(e.action) == kind], texts, sections
    )
    return render_template(
        "review/assessment_review.html",
        a=a,
        page=page,
        answers=page.answers,
        visible=page.visible,
        details=details,
        control_scores={c["ref"]: c for c in (details or {}).get("controls", [])},
        crosswalks=({c.ref: page.crosswalks.get(c.id, {}) for c in page.controls}, page.frameworks),
        groups=groups,
        trail=entries,
        trail_kind=kind,
        trail_kinds=trail.KINDS,
        attention=page.attention,
        evidence=[e for e, _ in page.evidence],
        ev_questions={e.id: question_keys.get(qid) for e, qid in page.evidence if qid},
        texts=texts,
        comments=page.comments,
        question_keys=question_keys,
        findings=page.findings,
        staff_names={u.id: u.display_name for u in page.staff},
        flagged=[
            f"question {q.order}"
            for q in page.questions
            if getattr(page.answers.get(q.key), "review_state", "") == "flagged"
        ],  # fmt: skip
        verify_form=VerifyForm(prefix="v"),
        decision_form=DecisionForm(prefix="d"),
        start_form=StartForm(prefix="s"),
        bulk_form=bulk,
        proposed_count=sum(1 for f in page.findings if f.status == "proposed"),
        assign_form=assign_form,
        clarify_form=clarify_form,
        propose_form=ProposeForm(prefix="p"),
        create_form=create_form,
        flag_form=FlagForm(prefix="fl"),
        proposals=findings.proposals(a, page.view, texts) if page.view else [],
        can_act=current_user.role in RISK,
    )


def _wants_json() -> bool:
    """The page's script asks for a JSON answer to update the page in place."""
    return request.headers.get("X-Requested-With") == "fetch"


def _json_error(message: str, status: int, fields=None):
    return jsonify({"error": {"message": message, "fields": fields or {}}}), status


def _back(a, anchor: str = ""):
    return redirect(url_for("review.assessment_review", assessment_id=a.id) + anchor)


def _flash_form_errors(form) -> None:
    for name, errs in form.errors.items():
        flash(f"{getattr(form, name).label.text}: {' '.join(errs)}", "error")


@bp.post("/assessments/<int:assessment_id>/start")
@roles_required(*RISK)
def review_start(assessment_id: int):
    """Open a submitted assessment for review and propose findings from its score."""
    a = access.get_assessment(current_user, assessment_id)
    if StartForm(prefix="s").validate_on_submit():
        try:
            created = review.start_review(current_user, a)
            flash(f"Review started; {len(created)} finding(s) proposed from the score.", "success")
        except ServiceError as exc:
            flash(exc.message, "error")
    return _back(a)


@bp.post("/assessments/<int:assessment_id>/decision")
@roles_required(*RISK)
def review_decision(assessment_id: int):
    """Complete (optionally overriding the rating) or send the assessment back with points."""
    a = access.get_assessment(current_user, assessment_id)
    form = DecisionForm(prefix="d")
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(a, "#decision")
    override = form.override_rating.data or None, form.override_reason.data or None
    try:
        review.check_decision(form.decision.data, *override)
        if form.decision.data == "request_changes":
            review.request_changes(
                current_user, a, form.note.data, include_flagged=bool(form.include_flagged.data)
            )
        else:
            review.complete_review(
                current_user,
                a,
                form.note.data,
                *override,
                proposed=form.proposed.data or None,
                dismiss_reason=form.dismiss_reason.data,
            )
    except ServiceError as exc:
        flash(exc.message, "error")
        return _back(a, "#decision")
    flash(
        "Assessment completed." if form.decision.data == "complete" else "Sent back to the vendor.",
        "success",
    )
    return _back(a)


@bp.post("/assessments/<int:assessment_id>/answers/<question_key>/flag")
@roles_required(*RISK)
def answer_flag(assessment_id: int, question_key: str):
    """Flag one answer and keep an internal note on it."""
    a = access.get_assessment(current_user, assessment_id)
    form = FlagForm(prefix=f"fl-{question_key}")
    if not form.validate_on_submit():
        if _wants_json():
            return _json_error("Choose a flag; the note is at most 5000 characters.", 400)
        _flash_form_errors(form)
        return _back(a, f"#ans-{question_key}")
    try:
        answer = review.flag_answer(current_user, a, question_key, form.state.data, form.note.data)
    except ServiceError as exc:
        if _wants_json():
            return _json_error(exc.message, exc.status, exc.fields)
        flash(exc.message, "error")
        return _back(a, f"#ans-{question_key}")
    if _wants_json():
        return jsonify(
            {"state": answer.review_state, "note": answer.review_note, "message": "Saved."}
        )
    flash(f"Question {answer.question.order}: saved.", "success")
    return _back(a, f"#ans-{question_key}")


@bp.post("/assessments/<int:assessment_id>/clarify")
@roles_required(*RISK)
def clarification_request(assessment_id: int):
    """Send the vendor a clarification request."""
    a = access.get_assessment(current_user, assessment_id)
    form = ClarifyForm(prefix="c")
    form.question.choices = opts([("", ""), *[(q.key, q.key) for q in a.questionnaire.questions]])
    if not form.validate_on_submit():
        _flash_form_errors(form)
    else:
        try:
            review.request_clarification(
                current_user, a, form.body.data, form.question.data or None
            )
            flash("Clarification request sent to the vendor.", "success")
        except ServiceError as exc:
            flash(exc.message, "error")
    return _back(a, "#clarifications")


@bp.post("/assessments/<int:assessment_id>/findings/propose")
@roles_required(*RISK)
def findings_propose(assessment_id: int):
    """Create proposed findings for knockouts and weak controls."""
    a = access.get_assessment(current_user, assessment_id)
    if ProposeForm(prefix="p").validate_on_submit():
        try:
            created = findings.propose_findings(current_user, a)
            flash(f"{len(created)} finding(s) proposed.", "success")
        except ServiceError as exc:
            flash(exc.message, "error")
    return _back(a, "#findings")


def _staff_choices():
    staff = db.session.scalars(
        select(User).where(User.role.in_(STAFF), User.active.is_(True)).order_by(User.email)
    ).all()
    return opts([("", "—"), *[(str(u.id), u.display_name) for u in staff]])


def bulk_form() -> FindingBulkForm:
    form = FindingBulkForm(prefix="fb")
    form.owner_id.choices = _staff_choices()
    return form


@bp.post("/assessments/<int:assessment_id>/findings/bulk")
@roles_required(*RISK)
def findings_bulk(assessment_id: int):
    """Open, dismiss (with a reason), assign or date many findings of the assessment at once."""
    a = access.get_assessment(current_user, assessment_id)
    form = bulk_form()
    ids = [bounded_int(v) for v in request.form.getlist("ids")]
    if not form.validate_on_submit():
        _flash_form_errors(form)
    elif not ids or None in ids or len(ids) > 500:
        flash("Tick between 1 and 500 findings.", "error")
    else:
        value = {
            "dismiss": form.reason.data,
            "assign": int(form.owner_id.data) if form.owner_id.data else None,
            "due_date": form.due_date.data,
        }.get(form.action.data)
        try:
            rows = findings.bulk_update(current_user, a, ids, form.action.data, value)
            flash(f"{len(rows)} finding(s) updated.", "success")
        except ServiceError as exc:
            flash(exc.message, "error")
    return _back(a, "#findings")


@bp.post("/assessments/<int:assessment_id>/findings")
@roles_required(*RISK)
def finding_create(assessment_id: int):
    """Raise a finding by hand."""
    a = access.get_assessment(current_user, assessment_id)
    form = FindingCreateForm(prefix="f")
    form.control.choices = opts(
        [("", ""), *[(r, r) for r in db.session.scalars(select(Control.ref))]]
    )
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(a, "#findings")
    try:
        findings.create_finding(
            current_user,
            a,
            {
                "title": form.title.data,
                "severity": form.severity.data,
                "control": form.control.data or None,
                "description": form.description.data or "",
                "due_date": form.due_date.data,
            },
        )
        flash("Finding raised.", "success")
    except ServiceError as exc:
        flash(exc.message, "error")
    return _back(a, "#findings")


def findings_statement(args):
    stmt = select(Finding).join(Vendor, Vendor.id == Finding.vendor_id)
    status = args.get("status", "active")
    if status == "active":
        stmt = stmt.where(Finding.status.in_(("open", "remediating")))
    elif status in FINDING_STATUSES:
        stmt = stmt.where(Finding.status == status)
    severity = args.get("severity", "")
    if severity in SEVERITIES:
        stmt = stmt.where(Finding.severity == severity)
    if args.get("overdue") == "1":
        stmt = stmt.where(
            Finding.status.in_(("open", "remediating")), Finding.due_date < date.today()
        )
    vendor_id = int_arg(args, "vendor_id")
    if vendor_id is not None:
        stmt = stmt.where(Finding.vendor_id == vendor_id)
    if args.get("q", "").strip():
        stmt = stmt.where(name_contains(Vendor.name, args["q"]))
    return stmt.where(_vendor_scope(args))


@bp.get("/findings")
@roles_required(*STAFF)
@page_cache
def finding_list():
    """All findings with filters, pages and a CSV download."""
    args = request.args
    stmt = findings_statement(args)
    if args.get("format") == "csv":
        return send_csv(loader.findings_frame(stmt.limit(CSV_LIMIT)), "findings.csv")
    page = page_arg(args)
    rows, total = paginate(
        stmt.options(
            joinedload(Finding.vendor), joinedload(Finding.control), joinedload(Finding.owner)
        ),
        page,
        PER_PAGE,
        (Finding.due_date.is_(None), Finding.due_date, Finding.id),
    )
    return render_template(
        "review/findings.html",
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        status=args.get("status", "active"),
        severity=args.get("severity", ""),
        overdue=args.get("overdue", ""),
        q=args.get("q", "").strip(),
        statuses=FINDING_STATUSES,
        severities=SEVERITIES,
        today=date.today(),
        csv_args={**args.to_dict(), "format": "csv"},
    )


def _edit_form(f: Finding, formdata=None) -> FindingEditForm:
    form = FindingEditForm(
        formdata=formdata,
        prefix="fe",
        severity=f.severity,
        owner_id=str(f.owner_id or ""),
        due_date=f.due_date,
        remediation=f.remediation,
        status=f.status,
        acceptance_reason=f.acceptance_reason,
        accepted_until=f.accepted_until,
        shared_with_vendor=f.shared_with_vendor,
    )
    form.owner_id.choices = _staff_choices()
    return form


def _render_finding(f: Finding, form: FindingEditForm):
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "finding", AuditEvent.object_id == f.id)
        .order_by(AuditEvent.id.desc())
    ).all()
    return render_template(
        "review/finding.html",
        f=f,
        form=form,
        events=events,
        action_label=trail.action_label,
        can_act=current_user.role in RISK,
    )


@bp.get("/findings/<int:finding_id>")
@roles_required(*STAFF)
@page_cache
def finding_edit(finding_id: int):
    """Show a finding with its history and, for risk, the edit form."""
    f = access.get_finding(current_user, finding_id)
    return _render_finding(f, _edit_form(f))


@bp.post("/findings/<int:finding_id>")
@roles_required(*RISK)
def finding_update(finding_id: int):
    """Edit severity, owner, due date, remediation, status, risk acceptance, vendor sharing."""
    f = access.get_finding(current_user, finding_id)
    form = _edit_form(f, request.form)
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _render_finding(f, form)
    changes = {
        "severity": form.severity.data,
        "owner_id": int(form.owner_id.data) if form.owner_id.data else None,
        "due_date": form.due_date.data,
        "remediation": form.remediation.data or "",
        "shared_with_vendor": bool(form.shared_with_vendor.data),
    }
    if form.status.data != f.status:
        changes["status"] = form.status.data
        if form.status.data == "risk_accepted":
            changes["acceptance_reason"] = form.acceptance_reason.data or ""
            changes["accepted_until"] = form.accepted_until.data
    try:
        findings.update_finding(current_user, f, changes)
    except ServiceError as exc:
        apply_errors(form, exc)
        db.session.refresh(f)
        return _render_finding(f, form)
    flash("Finding saved.", "success")
    return redirect(url_for("review.finding_edit", finding_id=f.id))


@bp.get("/assessments/<int:assessment_id>/export.xlsx")
@roles_required(*STAFF)
def assessment_export(assessment_id: int):
    """Download the assessment workbook."""
    a = access.get_assessment(current_user, assessment_id)
    return send_bytes(
        build_assessment_workbook(loader.load_assessment(a)), f"assessment-{a.id}.xlsx"
    )


@bp.get("/assessments/<int:assessment_id>/report.pdf")
@roles_required(*STAFF)
def assessment_report(assessment_id: int):
    """Download the assessment report (PDF) a committee or an auditor files."""
    a = access.get_assessment(current_user, assessment_id)
    return send_bytes(build_assessment_report(a), f"assessment-{a.id}-report.pdf", PDF_MIMETYPE)


@bp.post("/evidence/<int:evidence_id>/verify")
@roles_required(*RISK)
def evidence_verify(evidence_id: int):
    """Accept or reject a piece of evidence (for certificates: scope and accreditation)."""
    ev = access.get_evidence(current_user, evidence_id)
    form = VerifyForm(prefix=f"v{ev.id}")
    back = int_arg(request.args, "assessment_id") or ev.assessment_id
    target = (
        url_for("review.assessment_review", assessment_id=back) + f"#ev-{ev.id}"
        if back
        else url_for("review.queue")
    )
    if not form.validate_on_submit():
        if _wants_json():
            return _json_error("Choose accept or reject.", 400)
        _flash_form_errors(form)
        return redirect(target)
    try:
        evidence.verify_evidence(
            current_user,
            ev,
            form.decision.data,
            form.note.data or "",
            form.scope_covers_service.data if ev.is_certificate else None,
            form.accredited.data if ev.is_certificate else None,
            form.suspended.data if ev.is_certificate else None,
        )
    except ServiceError as exc:
        if _wants_json():
            return _json_error(exc.message, exc.status, exc.fields)
        flash(exc.message, "error")
        return redirect(target)
    label = VERIFICATION_LABELS[ev.verification]
    if _wants_json():
        return jsonify(
            {
                "verification": ev.verification,
                "verification_label": label,
                "message": "Recorded; the score and the proposed findings are updated.",
            }
        )
    flash(f"{ev.original_name}: {label.lower()}.", "success")
    return redirect(target)


@bp.get("/evidence/<int:evidence_id>/download")
@roles_required(*STAFF)
def evidence_download(evidence_id: int):
    """Download an evidence file."""
    return send_evidence(access.get_evidence(current_user, evidence_id))

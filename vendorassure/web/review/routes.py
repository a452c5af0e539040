"""Views for the risk team: queue, review page, evidence verification, decisions."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ...extensions import db
from ...models import RATINGS, STATUSES, AuditEvent, Control, Evidence, Vendor
from ...models import Assessment as A
from ...services import access, assessments, evidence
from ...services.errors import ServiceError
from ..helpers import roles_required
from . import bp
from .forms import DecisionForm, StartForm, VerifyForm

PER_PAGE = 25
STAFF = ("admin", "procurement", "risk")
SORTS = {
    "due": (A.due_date, A.id),
    "submitted": (A.submitted_at.desc(), A.id),
    "risk": (A.risk_score.desc(), A.id),
    "vendor": (Vendor.name, A.id),
}


@bp.get("/")
@roles_required(*STAFF)
def queue():
    """List assessments for review with filters, sorting and pages."""
    status = request.args.get("status", "review")
    rating = request.args.get("rating", "")
    tier = request.args.get("tier", "")
    q = request.args.get("q", "").strip()
    sort = request.args.get("sort", "due")
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    stmt = select(A).join(Vendor, Vendor.id == A.vendor_id)
    if status == "review":
        stmt = stmt.where(A.status.in_(("submitted", "under_review")))
    elif status in STATUSES:
        stmt = stmt.where(A.status == status)
    if rating in RATINGS:
        stmt = stmt.where(func.coalesce(A.override_rating, A.rating) == rating)
    if tier in RATINGS:
        stmt = stmt.where(Vendor.inherent_tier == tier)
    if request.args.get("mine") == "1":
        stmt = stmt.where(A.reviewer_id == current_user.id)
    if q:
        stmt = stmt.where(func.lower(Vendor.name).contains(q.lower(), autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(*SORTS.get(sort, SORTS["due"])).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "review/queue.html",
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        status=status,
        rating=rating,
        tier=tier,
        q=q,
        sort=sort,
        statuses=STATUSES,
        ratings=RATINGS,
    )


@bp.get("/assessments/<int:assessment_id>")
@roles_required(*STAFF)
def assessment_review(assessment_id: int):
    """Show answers by Annex A objective, control scores, the explanation, evidence and decisions."""
    a = access.get_assessment(current_user, assessment_id)
    answers = assessments.answer_map(a)
    visible = assessments.visible_keys(a, answers)
    details = a.score_details or {}
    control_titles = dict(db.session.execute(select(Control.ref, Control.title)).all())
    docs = db.session.scalars(
        select(Evidence)
        .where(
            (Evidence.assessment_id == a.id)
            | ((Evidence.vendor_id == a.vendor_id) & Evidence.assessment_id.is_(None))
        )
        .order_by(Evidence.id)
    ).all()
    events = db.session.scalars(
        select(AuditEvent).filter_by(assessment_id=a.id).order_by(AuditEvent.id.desc()).limit(200)
    ).all()
    by_objective: dict[str, list] = {}
    for q in a.questionnaire.questions:
        objective = q.control_links[0].control.objective if q.control_links else "Other"
        by_objective.setdefault(objective, []).append(q)
    return render_template(
        "review/assessment_review.html",
        a=a,
        answers=answers,
        visible=visible,
        details=details,
        control_titles=control_titles,
        evidence=docs,
        events=events,
        by_objective=by_objective,
        verify_forms={e.id: VerifyForm(prefix=f"v{e.id}") for e in docs},
        decision_form=DecisionForm(prefix="d"),
        start_form=StartForm(prefix="s"),
        can_act=current_user.role in ("risk", "admin"),
    )


@bp.post("/assessments/<int:assessment_id>/start")
@roles_required("risk", "admin")
def review_start(assessment_id: int):
    """Open a submitted assessment for review."""
    a = access.get_assessment(current_user, assessment_id)
    if StartForm(prefix="s").validate_on_submit():
        try:
            assessments.review_assessment(current_user, a, "start")
            flash("Review started.", "success")
        except ServiceError as exc:
            flash(exc.message, "error")
    return redirect(url_for("review.assessment_review", assessment_id=a.id))


@bp.post("/assessments/<int:assessment_id>/decision")
@roles_required("risk", "admin")
def review_decision(assessment_id: int):
    """Complete (optionally overriding the rating) or send the assessment back."""
    a = access.get_assessment(current_user, assessment_id)
    form = DecisionForm(prefix="d")
    if not form.validate_on_submit():
        for name, errs in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {' '.join(errs)}", "error")
        return redirect(url_for("review.assessment_review", assessment_id=a.id) + "#decision")
    try:
        assessments.review_assessment(
            current_user,
            a,
            form.decision.data,
            form.note.data or "",
            form.override_rating.data or None,
            form.override_reason.data or None,
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("review.assessment_review", assessment_id=a.id) + "#decision")
    flash(
        "Assessment completed." if form.decision.data == "complete" else "Sent back to the vendor.",
        "success",
    )
    return redirect(url_for("review.assessment_review", assessment_id=a.id))


@bp.post("/evidence/<int:evidence_id>/verify")
@roles_required("risk", "admin")
def evidence_verify(evidence_id: int):
    """Accept or reject a piece of evidence (for certificates: scope and accreditation)."""
    ev = access.get_evidence(current_user, evidence_id)
    form = VerifyForm(prefix=f"v{ev.id}")
    target = (
        url_for("review.assessment_review", assessment_id=ev.assessment_id) + "#evidence"
        if ev.assessment_id
        else url_for("review.queue")
    )
    if not form.validate_on_submit():
        for name, errs in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {' '.join(errs)}", "error")
        return redirect(target)
    try:
        evidence.verify_evidence(
            current_user,
            ev,
            form.decision.data,
            form.note.data or "",
            form.scope_covers_service.data if ev.is_certificate else None,
            form.accredited.data if ev.is_certificate else None,
        )
        flash(f"{ev.original_name}: {form.decision.data}.", "success")
    except ServiceError as exc:
        flash(exc.message, "error")
    return redirect(target)


@bp.get("/evidence/<int:evidence_id>/download")
@roles_required(*STAFF)
def evidence_download(evidence_id: int):
    """Download an evidence file."""
    from ...api.routes import send_evidence

    return send_evidence(access.get_evidence(current_user, evidence_id))

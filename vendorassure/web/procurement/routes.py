"""Views for procurement: vendor register, vendor page, issuing assessments, contacts."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ...extensions import db
from ...models import Assessment, Vendor
from ...queries import portfolio
from ...services import access, assessments, library, vendors
from ...services.errors import ServiceError
from ...services.queries import name_contains, page_arg, paginate
from ..helpers import apply_errors, opts, roles_required
from ..page_cache import page_cache
from . import bp
from .forms import CancelForm, ContactForm, IssueForm, VendorBaseForm, vendor_form_class

STAFF = ("admin", "procurement", "risk")
PER_PAGE = 25


def _ratings(vendor_ids):
    return portfolio.ratings_for(vendor_ids)


@bp.get("/vendors")
@roles_required(*STAFF)
@page_cache
def vendor_list():
    """List vendors with search, tier filter and pages."""
    q = request.args.get("q", "").strip()
    tier = request.args.get("tier", "")
    page = page_arg(request.args)
    stmt = select(Vendor)
    if q:
        stmt = stmt.where(name_contains(Vendor.name, q))
    if tier:
        stmt = stmt.where(Vendor.inherent_tier == tier)
    rows, total = paginate(stmt, page, PER_PAGE, (Vendor.name,))
    counts = (
        dict(
            db.session.execute(
                select(Assessment.vendor_id, func.count())
                .where(Assessment.vendor_id.in_([v.id for v in rows]))
                .group_by(Assessment.vendor_id)
            ).all()
        )
        if rows
        else {}
    )
    return render_template(
        "procurement/vendor_list.html",
        vendors=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        q=q,
        tier=tier,
        ratings=_ratings([v.id for v in rows]),
        counts=counts,
    )


@bp.route("/vendors/new", methods=["GET", "POST"])
@roles_required("procurement", "admin")
def vendor_create():
    """Register a vendor and answer the intake that sets its inherent tier."""
    questions = library.intake_definition()["questions"]
    form = vendor_form_class(questions)()
    if form.validate_on_submit():
        intake = {q["key"]: getattr(form, f"intake__{q['key']}").data for q in questions}
        try:
            vendor = vendors.create_vendor(
                current_user,
                form.name.data,
                form.website.data or "",
                form.services.data or "",
                intake,
            )
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash(f"{vendor.name} registered with inherent tier {vendor.inherent_tier}.", "success")
            return redirect(url_for("procurement.vendor_detail", vendor_id=vendor.id))
    intake_fields = [getattr(form, f"intake__{q['key']}") for q in questions]
    return render_template("procurement/vendor_form.html", form=form, intake_fields=intake_fields)


@bp.get("/vendors/<int:vendor_id>")
@roles_required(*STAFF)
@page_cache
def vendor_detail(vendor_id: int):
    """Show a vendor: tier and why, contacts, assessments, and the forms to act on them."""
    vendor = access.get_vendor(current_user, vendor_id)
    history = db.session.scalars(
        select(Assessment).filter_by(vendor_id=vendor.id).order_by(Assessment.id.desc())
    ).all()
    issue_form = _issue_form(vendor)
    return render_template(
        "procurement/vendor_detail.html",
        vendor=vendor,
        history=history,
        issue_form=issue_form,
        contact_form=ContactForm(prefix="contact"),
        cancel_form=CancelForm(prefix="cancel"),
        rating=_ratings([vendor.id]).get(vendor.id),
    )


def _issue_form(vendor, formdata=None):
    model = library.scoring_model()
    suggested = model.questionnaire_for_tier(vendor.inherent_tier)
    form = IssueForm(
        prefix="issue",
        formdata=formdata,
        data=None
        if formdata
        else {"questionnaire": suggested, "due_date": date.today() + timedelta(days=30)},
    )
    form.questionnaire.choices = opts(
        [
            (
                q["key"],
                f"{q['title']} (v{q['version']}, {q['question_count']} questions)"
                + (" — suggested for this tier" if q["key"] == suggested else ""),
            )
            for q in library.questionnaire_index()
        ]
    )
    return form


@bp.post("/vendors/<int:vendor_id>/assessments")
@roles_required("procurement", "admin")
def assessment_issue(vendor_id: int):
    """Issue a questionnaire to the vendor."""
    vendor = access.get_vendor(current_user, vendor_id)
    form = _issue_form(vendor, request.form)
    if form.validate_on_submit():
        try:
            a = assessments.issue_assessment(
                current_user,
                vendor,
                form.questionnaire.data,
                form.due_date.data,
                force=form.force.data,
                allow_duplicate=form.confirm_duplicate.data,
            )
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(f"Assessment #{a.id} issued, due {a.due_date}.", "success")
    else:
        for name, errors in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {' '.join(errors)}", "error")
    return redirect(url_for("procurement.vendor_detail", vendor_id=vendor.id))


@bp.post("/vendors/<int:vendor_id>/contacts")
@roles_required("procurement", "admin")
def contact_create(vendor_id: int):
    """Add a vendor contact and email the invitation."""
    vendor = access.get_vendor(current_user, vendor_id)
    form = ContactForm(prefix="contact")
    if form.validate_on_submit():
        try:
            user, _link = vendors.add_contact(
                current_user, vendor, form.email.data, form.name.data or "", form.language.data
            )
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(f"Invitation sent to {user.email}.", "success")
    else:
        for name, errors in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {' '.join(errors)}", "error")
    return redirect(url_for("procurement.vendor_detail", vendor_id=vendor.id))


@bp.route("/vendors/<int:vendor_id>/edit", methods=["GET", "POST"])
@roles_required("procurement", "admin")
def vendor_edit(vendor_id: int):
    """Edit a vendor's details and intake (which re-tiers it)."""
    vendor = access.get_vendor(current_user, vendor_id)
    questions = library.intake_definition()["questions"]
    cls = vendor_form_class(questions, VendorBaseForm)
    data = {
        "name": vendor.name,
        "website": vendor.website,
        "services": vendor.services,
        **{f"intake__{k}": v for k, v in (vendor.intake or {}).items()},
    }
    form = cls(data=data) if request.method == "GET" else cls()
    form.submit.label.text = "Save changes"
    if form.validate_on_submit():
        intake = {q["key"]: getattr(form, f"intake__{q['key']}").data for q in questions}
        try:
            vendors.update_vendor(
                current_user,
                vendor,
                {
                    "name": form.name.data,
                    "website": form.website.data,
                    "services": form.services.data,
                    "intake": intake,
                },
            )
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash("Vendor updated.", "success")
            return redirect(url_for("procurement.vendor_detail", vendor_id=vendor.id))
    intake_fields = [getattr(form, f"intake__{q['key']}") for q in questions]
    return render_template(
        "procurement/vendor_form.html", form=form, intake_fields=intake_fields, vendor=vendor
    )


@bp.post("/assessments/<int:assessment_id>/cancel")
@roles_required("procurement", "admin")
def assessment_cancel(assessment_id: int):
    """Cancel an open assessment."""
    a = access.get_assessment(current_user, assessment_id)
    form = CancelForm(prefix="cancel")
    if form.validate_on_submit():
        try:
            assessments.cancel_assessment(current_user, a, form.reason.data or "")
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(f"Assessment #{a.id} cancelled; the vendor's contacts were told.", "success")
    else:
        flash("Say why the assessment is cancelled: the vendor's contacts are told.", "error")
    return redirect(url_for("procurement.vendor_detail", vendor_id=a.vendor_id))

"""Admin views: users and the questionnaire library."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ...extensions import db
from ...models import Question, Questionnaire, User
from ...services import library
from ...services.auth import create_user
from ...services.errors import ServiceError
from ..helpers import apply_errors, roles_required
from . import bp
from .forms import ReloadForm, UserCreateForm

PER_PAGE = 50


@bp.route("/", methods=["GET", "POST"])
@roles_required("admin")
def index():
    """List users and create new ones."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                form.email.data,
                form.role.data,
                form.password.data,
                form.name.data or "",
                form.vendor_id.data,
                actor=current_user,
            )
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash(f"User {user.email} created.", "success")
            return redirect(url_for("admin.index"))
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    total = db.session.scalar(select(func.count()).select_from(User))
    users = db.session.scalars(
        select(User).order_by(User.role, User.email).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "admin/index.html", form=form, users=users, total=total, page=page, per_page=PER_PAGE
    )


@bp.route("/library", methods=["GET", "POST"])
@roles_required("admin")
def library_index():
    """Show questionnaires and versions; reload the library from disk."""
    form = ReloadForm()
    if form.validate_on_submit():
        try:
            report = library.load_library(actor=current_user)
        except ServiceError as exc:
            flash(exc.message, "error")
            for problem in exc.fields.get("problems", [])[:50]:
                flash(problem, "error")
        else:
            flash(
                f"Loaded: {', '.join(report.created) or 'nothing new'}; unchanged: "
                f"{', '.join(report.unchanged) or 'none'}.",
                "success",
            )
        return redirect(url_for("admin.library_index"))
    versions = db.session.execute(
        select(Questionnaire, func.count(Question.id))
        .outerjoin(Question, Question.questionnaire_id == Questionnaire.id)
        .group_by(Questionnaire.id)
        .order_by(Questionnaire.key, Questionnaire.version.desc())
    ).all()
    return render_template("admin/library.html", versions=versions, form=form)

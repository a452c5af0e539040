"""Admin views: users and the questionnaire library."""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from ...catalog import mapping
from ...catalog.numbering import display_numbers
from ...services import auth as auth_service
from ...services import imports, library
from ...services import mfa as mfa_service
from ...services import users as user_service
from ...services.errors import NotFound, ServiceError
from ...services.library import LibraryInvalid
from ...services.queries import page_arg
from ..helpers import apply_errors, opts, roles_required
from ..page_cache import page_cache
from ..portal.forms import KIND_LABELS
from . import bp
from .forms import (
    ConfirmForm,
    ImportAcceptForm,
    ImportDecisionForm,
    ImportDiscardForm,
    ImportPublishForm,
    QuestionnaireUploadForm,
    ReloadForm,
    UserCreateForm,
    UserEditForm,
)

PER_PAGE = 50
MAX_NOTES = 25


@bp.route("/", methods=["GET", "POST"])
@roles_required("admin")
@page_cache
def index():
    """List users (with last sign-in) and create new ones."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = user_service.create_user_by_admin(
                current_user,
                form.email.data,
                form.role.data,
                form.password.data,
                form.name.data or "",
                form.vendor.data,
            )
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            sent = " An invitation was emailed." if not user.password_hash else ""
            flash(f"User {user.email} created.{sent}", "success")
            return redirect(url_for("admin.index"))
    page = page_arg(request.args)
    q = request.args.get("q", "")[:200]
    users, total = user_service.list_users(current_user, page, PER_PAGE, q)
    return render_template(
        "admin/index.html",
        form=form,
        users=users,
        total=total,
        page=page,
        per_page=PER_PAGE,
        q=q,
        vendor_names=user_service.vendor_names(),
        role_labels=user_service.ROLE_LABELS,
    )


def _user(user_id: int):
    try:
        return user_service.get_user(current_user, user_id)
    except NotFound as exc:
        abort(404, exc.message)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user_edit(user_id: int):
    """Edit a user's name, role and vendor; deactivate, reactivate, resend an invitation."""
    user = _user(user_id)
    form = UserEditForm(obj=user, vendor=user.vendor.name if user.vendor else "")
    if form.validate_on_submit():
        try:
            user_service.update_user(
                current_user,
                user,
                name=form.name.data or "",
                role=form.role.data,
                vendor=form.vendor.data if form.role.data == "vendor" else None,
            )
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash(f"{user.email} is saved.", "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form,
        confirm=ConfirmForm(),
        vendor_names=user_service.vendor_names(),
        role_labels=user_service.ROLE_LABELS,
        contact_state=auth_service.contact_state(user)[0] if user.role == "vendor" else None,
        events=user_service.user_events(current_user, user),
        action_labels=user_service.ACTION_LABELS,
    )


def _lifecycle(user_id: int, action, done: str):
    user = _user(user_id)
    if ConfirmForm().validate_on_submit():
        try:
            action(current_user, user)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(done.format(email=user.email), "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.post("/users/<int:user_id>/deactivate")
@roles_required("admin")
def user_deactivate(user_id: int):
    """Deactivate a user: sessions end, API tokens and invitations are revoked."""
    return _lifecycle(
        user_id,
        user_service.deactivate_user,
        "{email} is deactivated: signed out everywhere, API tokens revoked.",
    )


@bp.post("/users/<int:user_id>/reactivate")
@roles_required("admin")
def user_reactivate(user_id: int):
    """Let a deactivated user sign in again."""
    return _lifecycle(user_id, user_service.reactivate_user, "{email} can sign in again.")


@bp.post("/users/<int:user_id>/invitation")
@roles_required("admin")
def user_invitation_resend(user_id: int):
    """Email a vendor contact a fresh invitation link (earlier links stop working)."""
    return _lifecycle(
        user_id, auth_service.resend_invitation, "A new invitation was emailed to {email}."
    )


@bp.post("/users/<int:user_id>/mfa/reset")
@roles_required("admin")
def user_mfa_reset(user_id: int):
    """Reset a user's two-step sign-in (a lost phone); they set it up again at next sign-in."""
    return _lifecycle(user_id, mfa_service.disable_mfa, "Two-step sign-in of {email} is reset.")


@bp.route("/library", methods=["GET", "POST"])
@roles_required("admin")
def library_index():
    """Show questionnaires, their versions and usage; reload the library from disk."""
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
    page = page_arg(request.args)
    versions, total = library.library_versions(page, PER_PAGE)
    return render_template(
        "admin/library.html",
        versions=versions,
        total=total,
        page=page,
        per_page=PER_PAGE,
        form=form,
        upload_form=QuestionnaireUploadForm(),
        open_imports=imports.open_imports(),
    )


@bp.route("/library/upload", methods=["GET", "POST"])
@roles_required("admin")
def questionnaire_upload():
    """Validate an uploaded YAML, .xlsx or .csv questionnaire and load it as a new version."""
    form = QuestionnaireUploadForm()
    if request.method == "GET" and request.args.get("key"):
        form.key.data = request.args["key"]
    problems, notes = [], []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            outcome = imports.import_file(
                current_user,
                upload.read(),
                upload.filename or "upload",
                key=form.key.data,
                title=form.title.data,
                map_mode=form.map.data,
                threshold=form.threshold.data or mapping.DEFAULT_ACCEPT_ABOVE,
            )
        except LibraryInvalid as exc:
            flash(exc.message, "error")
            problems, notes = exc.details, exc.notes
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            return _after_import(outcome)
    status = 422 if problems or form.errors else 200
    return render_template("admin/upload.html", form=form, problems=problems, notes=notes), status


def _after_import(outcome: imports.ImportOutcome):
    qn, draft = outcome.questionnaire, outcome.draft
    if qn is None:
        flash(
            f"Imported {draft.key}: review the suggested Annex A controls, then publish.", "success"
        )
    elif outcome.created:
        flash(
            f"Loaded {qn.key} as version {qn.version}. Assessments already issued keep "
            "the version they were issued with.",
            "success",
        )
    else:
        flash(f"{qn.key}: unchanged — already version {qn.version}.", "info")
    if draft is not None:
        # The review page lists the importer's notes; a wall of flashes would hide the table.
        flash(
            f"{len(outcome.notes)} importer notes are listed at the end of the review page.", "info"
        )
        if qn is None:
            return redirect(url_for("admin.import_review", import_id=draft.id))
    else:
        for note in outcome.notes[:MAX_NOTES]:
            flash(f"Note: {note}", "info")
        if len(outcome.notes) > MAX_NOTES:
            flash(f"… and {len(outcome.notes) - MAX_NOTES} more notes.", "info")
    return redirect(url_for("admin.questionnaire_coverage", key=qn.key, version=qn.version))


def _import(import_id: int):
    try:
        return imports.get_import(current_user, import_id)
    except NotFound as exc:
        abort(404, exc.message)


@bp.get("/imports/<int:import_id>")
@roles_required("admin")
def import_review(import_id: int):
    """List an import's questions with the suggested Annex A controls, to accept, change or drop."""
    draft = _import(import_id)
    decision = request.args.get("decision", "")
    if decision not in imports.DECISIONS:
        decision = ""
    page = page_arg(request.args)
    questions, total = imports.import_questions(draft, decision or None, page, PER_PAGE)
    catalog = library.control_catalog()
    return render_template(
        "admin/import_review.html",
        draft=draft,
        questions=questions,
        total=total,
        page=page,
        per_page=PER_PAGE,
        decision=decision,
        counts=imports.decision_counts(draft),
        labels=imports.DECISION_LABELS,
        titles={c.ref: c.title for c in catalog["controls"]},
        cut=mapping.SUGGEST_CUT,
        accept_form=ImportAcceptForm(),
        decision_form=ImportDecisionForm(),
        publish_form=ImportPublishForm(),
        discard_form=ImportDiscardForm(),
    )


def _back(import_id: int):
    args = {k: v for k, v in request.args.items() if k in ("decision", "page")}
    return redirect(url_for("admin.import_review", import_id=import_id, **args))


@bp.post("/imports/<int:import_id>/questions/<key>")
@roles_required("admin")
def import_question_decide(import_id: int, key: str):
    """Save the controls chosen for one imported question, or leave it without a control."""
    _import(import_id)
    form = ImportDecisionForm()
    form.controls.choices = opts([(c.ref, c.ref) for c in library.control_catalog()["controls"]])
    if form.validate_on_submit():
        refs = list(form.controls.data or [])
        refs += [r.strip() for r in (form.other.data or "").replace(";", ",").split(",")]
        refs = [r for r in refs if r]
        action = "drop" if form.drop.data else "set"
        try:
            imports.decide_questions(
                current_user, import_id, [{"key": key, "action": action, "controls": refs}]
            )
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            done = "left without a control" if action == "drop" or not refs else "mapped to "
            flash(f"{key} {done}{', '.join(refs) if action == 'set' else ''}.", "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(errors), "error")
    return _back(import_id)


@bp.post("/imports/<int:import_id>/accept")
@roles_required("admin")
def import_accept(import_id: int):
    """Accept every suggestion still to review at or above a confidence threshold."""
    _import(import_id)
    form = ImportAcceptForm()
    if form.validate_on_submit():
        try:
            n = imports.accept_above(current_user, import_id, float(form.threshold.data))
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(
                f"Accepted the suggestions of {n} question(s) at or above "
                f"{float(form.threshold.data):.2f}.",
                "success",
            )
    else:
        for errors in form.errors.values():
            flash(f"Threshold: {' '.join(errors)}", "error")
    return _back(import_id)


@bp.post("/imports/<int:import_id>/publish")
@roles_required("admin")
def import_publish(import_id: int):
    """Publish the reviewed import as the next version of its questionnaire."""
    _import(import_id)
    form = ImportPublishForm()
    if not form.validate_on_submit():
        return _back(import_id)
    try:
        qn, created = imports.publish_import(
            current_user, import_id, leave_rest_unmapped=form.leave_rest_unmapped.data
        )
    except LibraryInvalid as exc:
        flash(exc.message, "error")
        for problem in exc.problems[:20]:
            flash(problem, "error")
        return _back(import_id)
    except ServiceError as exc:
        flash(exc.message, "error")
        return _back(import_id)
    if created:
        flash(f"Published {qn.key} as version {qn.version}.", "success")
    else:
        flash(f"{qn.key}: unchanged — already version {qn.version}.", "info")
    return redirect(url_for("admin.questionnaire_coverage", key=qn.key, version=qn.version))


@bp.post("/imports/<int:import_id>/discard")
@roles_required("admin")
def import_discard(import_id: int):
    """Set an import aside without publishing it."""
    _import(import_id)
    if ImportDiscardForm().validate_on_submit():
        try:
            draft = imports.discard_import(current_user, import_id)
        except ServiceError as exc:
            flash(exc.message, "error")
            return _back(import_id)
        flash(f"Import of {draft.key} discarded; nothing was published.", "info")
    return redirect(url_for("admin.library_index"))


def _version(key: str, version: int):
    try:
        return library.latest_questionnaire(key, version)
    except NotFound as exc:
        abort(404, exc.message)


@bp.get("/questionnaires/<key>/v/<int:version>/preview")
@roles_required("admin")
def questionnaire_preview(key: str, version: int):
    """Show one version exactly as a vendor sees it, read-only."""
    qn = _version(key, version)
    questions = library.questions_with_controls(qn)
    return render_template(
        "admin/questionnaire_preview.html",
        qn=qn,
        sections=library.sections_of(qn, questions),
        question_count=len(questions),
        # What templates/portal/_question.html needs, in its read-only form.
        numbers=display_numbers(questions),
        answers={},
        visible={q.key for q in questions},
        errors={},
        conflicts={},
        threads={},
        posted=None,
        editable=False,
        kind_labels=KIND_LABELS,
        titles={q.key: q.text for q in questions},
        option_labels={
            q.key: {str(o.get("value")): o.get("label", o.get("value")) for o in q.options or []}
            for q in questions
        },
    )


@bp.get("/questionnaires/<key>/v/<int:version>/coverage")
@roles_required("admin")
def questionnaire_coverage(key: str, version: int):
    """Show which questions evidence each Annex A control; make uncovered controls obvious."""
    qn = _version(key, version)
    return render_template(
        "admin/questionnaire_coverage.html",
        qn=qn,
        matrix=library.coverage_matrix(qn),
        unmapped_scored=library.unmapped_scored_questions(qn),
        section_titles={s["key"]: s.get("title", s["key"]) for s in qn.sections or []},
    )


@bp.get("/questionnaires/<key>/v/<int:version>/export.xlsx", defaults={"fmt": "xlsx"})
@bp.get("/questionnaires/<key>/v/<int:version>/export.csv", defaults={"fmt": "csv"})
@roles_required("admin")
def questionnaire_export(key: str, version: int, fmt: str):
    """Download one version as .xlsx or .csv in the documented layout."""
    _version(key, version)
    data, filename = library.export_questionnaire(key, version, fmt)
    return send_file(
        io.BytesIO(data),
        mimetype=library.EXPORT_FORMATS[fmt],
        as_attachment=True,
        download_name=filename,
    )


@bp.get("/controls")
@roles_required("admin", "procurement", "risk")
@page_cache
def control_list():
    """List the Annex A controls by objective with their NIST AI RMF and EU AI Act refs."""
    return render_template("admin/controls.html", **library.control_catalog())

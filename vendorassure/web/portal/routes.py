"""Views for vendors: their assessments, the questionnaire form, evidence and submission."""

from __future__ import annotations

import json
import math

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...models import Assessment, Evidence
from ...services import access, assessments, evidence
from ...services.errors import MissingAnswers, ServiceError, StaleAnswer
from ..helpers import opts, roles_required
from . import bp
from .forms import KIND_LABELS, DeleteForm, EvidenceForm, SubmitForm


@bp.get("/")
@roles_required("vendor")
def index():
    """List the signed-in vendor's assessments."""
    rows = db.session.scalars(
        select(Assessment)
        .where(
            Assessment.vendor_id == current_user.vendor_id,
            Assessment.status.not_in(("draft", "cancelled")),
        )
        .order_by(Assessment.due_date)
    ).all()
    return render_template(
        "portal/index.html",
        assessments=rows,
        progress={a.id: assessments.progress(a) for a in rows},
    )


def _form_value(question, form):
    """Read one question's value from a posted form; raise ValueError with a message."""
    name = f"q__{question.key}"
    if question.type == "multi_choice":
        return form.getlist(name)
    raw = form.get(name)
    if raw is None:
        return None
    raw = raw.strip() if question.type != "long_text" else raw
    if question.type == "number" and raw != "":
        try:
            number = float(raw)
        except ValueError:
            raise ValueError("Enter a number, e.g. 12 or 3.5.") from None
        if not math.isfinite(number):
            raise ValueError("Enter a finite number.")
        return int(number) if number.is_integer() else number
    return raw


def _sections(assessment):
    sections = assessment.questionnaire.sections or []
    by_key: dict[str, list] = {}
    for q in assessment.questionnaire.questions:
        by_key.setdefault(q.section, []).append(q)
    ordered = [(s, by_key.get(s["key"], [])) for s in sections]
    known = {s["key"] for s in sections}
    ordered += [
        ({"key": k, "title": k.replace("_", " ").capitalize()}, qs)
        for k, qs in by_key.items()
        if k not in known
    ]
    return ordered


def _render_form(assessment, errors=None, conflicts=None, posted=None, missing=None, status=200):
    answers = assessments.answer_map(assessment)
    visible = assessments.visible_keys(assessment, answers)
    docs = db.session.scalars(
        select(Evidence).filter_by(assessment_id=assessment.id).order_by(Evidence.id)
    ).all()
    ev_form = EvidenceForm(prefix="ev")
    ev_form.question_key.choices = opts(
        [("", "The assessment as a whole")]
        + [
            (q.key, f"{q.order}. {q.text[:80]}")
            for q in assessment.questionnaire.questions
            if q.evidence_kinds
        ]
    )
    editable = assessment.status in ("sent", "in_progress", "changes_requested")
    return render_template(
        "portal/assessment_answer.html",
        assessment=assessment,
        sections=_sections(assessment),
        answers=answers,
        visible=visible,
        progress=assessments.progress(assessment, answers),
        missing=missing
        if missing is not None
        else assessments.missing_required(assessment, answers),
        errors=errors or {},
        conflicts=conflicts or {},
        posted=posted,
        evidence=docs,
        ev_form=ev_form,
        submit_form=SubmitForm(prefix="sub"),
        delete_form=DeleteForm(prefix="del"),
        editable=editable,
        kind_labels=KIND_LABELS,
        show_if_json={q.key: q.show_if for q in assessment.questionnaire.questions if q.show_if},
        json=json,
    ), status


@bp.route("/assessments/<int:assessment_id>", methods=["GET", "POST"])
@roles_required("vendor")
def assessment_answer(assessment_id: int):
    """Show the questionnaire; a POST saves every changed answer (works without JavaScript)."""
    assessment = access.get_assessment(current_user, assessment_id)
    if request.method == "GET":
        return _render_form(assessment)
    stored = assessments.answer_map(assessment)
    errors, conflicts, saved = {}, {}, 0
    for q in assessment.questionnaire.questions:
        if f"present__{q.key}" not in request.form:
            continue
        current = stored.get(q.key)
        na = request.form.get(f"na__{q.key}") == "1"
        na_reason = request.form.get(f"na_reason__{q.key}", "")
        comment = request.form.get(f"comment__{q.key}", "")
        try:
            value = _form_value(q, request.form)
        except ValueError as exc:
            errors[q.key] = str(exc)
            continue
        if value in ("", []):
            value = None
        unchanged = (current is None and value is None and not na and not comment.strip()) or (
            current is not None
            and current.value == value
            and current.na == na
            and (current.na_reason or "") == (na_reason.strip() if na else "")
            and (current.comment or "") == comment.strip()
        )
        if unchanged:
            continue
        lock = request.form.get(f"lock__{q.key}", type=int)
        try:
            assessments.save_answer(
                current_user,
                assessment,
                q.key,
                value,
                comment=comment,
                na=na,
                na_reason=na_reason,
                lock_version=lock,
            )
            saved += 1
        except StaleAnswer as exc:
            conflicts[q.key] = {"mine": value, "theirs": exc.extra.get("current")}
        except ServiceError as exc:
            errors[q.key] = exc.message
        db.session.refresh(assessment)
    if errors or conflicts:
        flash(
            f"Saved {saved} answer(s). {len(errors) + len(conflicts)} need your attention below.",
            "error",
        )
        return _render_form(assessment, errors, conflicts, posted=request.form, status=422)
    flash(
        f"Saved {saved} answer(s)." if saved else "Nothing changed since the last save.", "success"
    )
    return redirect(url_for("portal.assessment_answer", assessment_id=assessment.id))


@bp.post("/assessments/<int:assessment_id>/answers/<question_key>")
@roles_required("vendor")
def answer_autosave(assessment_id: int, question_key: str):
    """Save one answer from the form's autosave (JSON in, JSON out; CSRF header required)."""
    assessment = access.get_assessment(current_user, assessment_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(
            {"error": {"code": "bad_request", "message": "Send a JSON object.", "fields": {}}}
        ), 400
    try:
        answer = assessments.save_answer(
            current_user,
            assessment,
            question_key,
            data.get("value"),
            comment=data.get("comment"),
            na=bool(data.get("na")),
            na_reason=data.get("na_reason") or "",
            lock_version=data.get("lock_version"),
        )
    except ServiceError as exc:
        body = {
            "error": {"code": exc.code, "message": exc.message, "fields": exc.fields, **exc.extra}
        }
        return jsonify(body), exc.status
    db.session.refresh(assessment)
    answers = assessments.answer_map(assessment)
    return jsonify(
        {
            "answer": assessments.answer_dict(answer, question_key),
            "visible": sorted(assessments.visible_keys(assessment, answers)),
            "progress": assessments.progress(assessment, answers),
            "missing": assessments.missing_required(assessment, answers),
        }
    )


@bp.post("/assessments/<int:assessment_id>/evidence")
@roles_required("vendor")
def evidence_upload(assessment_id: int):
    """Upload a certificate or another document with its details."""
    assessment = access.get_assessment(current_user, assessment_id)
    form = EvidenceForm(prefix="ev")
    form.question_key.choices = opts(
        [("", "")] + [(q.key, q.key) for q in assessment.questionnaire.questions]
    )
    if not form.validate_on_submit():
        for name, errs in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {' '.join(errs)}", "error")
        return redirect(
            url_for("portal.assessment_answer", assessment_id=assessment.id) + "#evidence"
        )
    upload = form.file.data
    try:
        ev = evidence.upload_evidence(
            current_user,
            assessment,
            upload.filename or "",
            upload.read(),
            form.kind.data,
            form.question_key.data or None,
            certification_body=form.certification_body.data,
            certificate_number=form.certificate_number.data,
            scope=form.scope.data,
            issued_on=form.issued_on.data,
            expires_on=form.expires_on.data,
        )
    except ServiceError as exc:
        flash(f"Upload refused: {exc.message}", "error")
    else:
        flash(f"Uploaded {ev.original_name}.", "success")
    return redirect(url_for("portal.assessment_answer", assessment_id=assessment.id) + "#evidence")


@bp.post("/evidence/<int:evidence_id>/delete")
@roles_required("vendor")
def evidence_delete(evidence_id: int):
    """Remove an uploaded file while the assessment is open."""
    ev = access.get_evidence(current_user, evidence_id)
    assessment_id = ev.assessment_id
    if DeleteForm(prefix="del").validate_on_submit():
        try:
            evidence.delete_evidence(current_user, ev)
            flash("File removed.", "success")
        except ServiceError as exc:
            flash(exc.message, "error")
    return redirect(url_for("portal.assessment_answer", assessment_id=assessment_id) + "#evidence")


@bp.get("/evidence/<int:evidence_id>/download")
@roles_required("vendor")
def evidence_download(evidence_id: int):
    """Download one of the vendor's own files."""
    from ...api.routes import send_evidence

    return send_evidence(access.get_evidence(current_user, evidence_id))


@bp.post("/assessments/<int:assessment_id>/submit")
@roles_required("vendor")
def assessment_submit(assessment_id: int):
    """Submit the answers; refuse with the list of what is missing."""
    assessment = access.get_assessment(current_user, assessment_id)
    if not SubmitForm(prefix="sub").validate_on_submit():
        flash("The form expired; reload and try again.", "error")
        return redirect(url_for("portal.assessment_answer", assessment_id=assessment.id))
    try:
        assessments.submit_assessment(current_user, assessment)
    except MissingAnswers as exc:
        db.session.refresh(assessment)
        flash(exc.message, "error")
        return _render_form(assessment, missing=exc.fields["missing"], status=422)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("portal.assessment_answer", assessment_id=assessment.id))
    flash("Thank you — your answers were submitted to the risk team.", "success")
    return redirect(url_for("portal.index"))

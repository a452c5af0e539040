"""Views for vendors: their assessments, the questionnaire form, evidence and submission."""

from __future__ import annotations

import io
import json

from flask import flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from ...catalog.numbering import display_numbers, required_range
from ...catalog.qtypes import AnswerRejected, question_type
from ...downloads import send_evidence
from ...extensions import db
from ...i18n import localized
from ...models import CERTIFICATE_KINDS, VENDOR_OPEN, Assessment
from ...queries.evidence import assessment_evidence
from ...services import access, answer_import, assessments, comments, evidence
from ...services.errors import BadInput, MissingAnswers, ServiceError, StaleAnswer
from ..helpers import opts, roles_required
from . import bp
from .forms import (
    KIND_LABELS,
    ConfirmForm,
    DeleteForm,
    EvidenceForm,
    LibraryAttachForm,
    LibraryUploadForm,
    ReplaceForm,
    SubmitForm,
    WorkbookConfirmForm,
    WorkbookUploadForm,
)


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
        .order_by(Assessment.due_date, Assessment.id.desc())
    ).all()
    return render_template(
        "portal/index.html",
        assessments=rows,
        progress={a.id: assessments.progress(a) for a in rows},
    )


def _form_value(question, form):
    """Read one question's value from a posted form; raise ValueError with a message."""
    name = f"q__{question.key}"
    qt = question_type(question.type)
    if not qt.multiple and name not in form:
        return None
    try:
        return qt.parse_form(form.getlist(name))
    except AnswerRejected as exc:
        raise ValueError(exc.message) from None


REVIEW = "review"  # the last page: evidence, what is missing, submit


def _sections(assessment):
    """The questionnaire's sections in order, each with its questions (empty ones left out)."""
    sections = assessment.questionnaire.sections or []
    by_key: dict[str, list] = {}
    for q in assessment.questionnaire.questions:
        by_key.setdefault(q.section, []).append(q)
    ordered = [(s, by_key[s["key"]]) for s in sections if by_key.get(s["key"])]
    known = {s["key"] for s in sections}
    ordered += [
        ({"key": k, "title": k.replace("_", " ").capitalize()}, qs)
        for k, qs in by_key.items()
        if k not in known
    ]
    return ordered


def _numbers(assessment) -> dict[str, str]:
    return display_numbers(assessment.questionnaire.questions)


def _question_choices(assessment, first_label=None):
    numbers = _numbers(assessment)
    return opts(
        [("", first_label or _("The assessment as a whole"))]
        + [
            (q.key, f"{numbers[q.key]}. {q.text[:80]}")
            for q in assessment.questionnaire.questions
            if q.evidence_kinds
        ]
    )


def _library_choices(vendor_id):
    return opts(
        [
            (
                str(e.id),
                f"{e.original_name} — {KIND_LABELS.get(e.kind, e.kind)}"
                + (f", expires {e.expires_on.isoformat()}" if e.expires_on else ""),
            )
            for e in evidence.library(vendor_id)
        ]
    )


def _section_counts(assessment, visible, missing) -> dict[str, list[int]]:
    """Per section: [required answered, required shown]."""
    counts: dict[str, list[int]] = {}
    blocking = set(missing)
    for q in assessment.questionnaire.questions:
        if q.required and q.key in visible:
            c = counts.setdefault(q.section, [0, 0])
            c[1] += 1
            c[0] += q.key not in blocking
    return counts


def _missing_items(assessment, missing, answers) -> list[dict]:
    """What still blocks submitting, as the vendor reads it: number, text, its section's page."""
    numbers = _numbers(assessment)
    questions = {q.key: q for q in assessment.questionnaire.questions}
    return [
        {
            "key": k,
            "number": numbers[k],
            "text": localized(questions[k], "text"),
            "section": questions[k].section,
            "url": _answer_url(assessment, f"#q-{k}", questions[k].section),
            "carried_forward": bool(answers.get(k) and answers[k].carried_forward),
        }
        for k in missing
    ]


def _current_section(assessment, sections, missing) -> str:
    """The page asked for (?s=KEY), or the first section with something missing."""
    wanted = request.args.get("s")
    keys = [s["key"] for s, _ in sections]
    if wanted:
        if wanted != REVIEW and wanted not in keys:
            raise NotFound("There is no such section in this questionnaire.")
        return wanted
    if assessment.status in VENDOR_OPEN and missing:
        first = next(q.section for q in assessment.questionnaire.questions if q.key == missing[0])
        return first
    return keys[0] if keys else REVIEW


def _render_form(
    assessment,
    errors=None,
    conflicts=None,
    posted=None,
    missing=None,
    status=200,
    ev_form=None,
    section=None,
):
    answers = assessments.answer_map(assessment)
    visible = assessments.visible_keys(assessment, answers)
    editable = assessment.status in VENDOR_OPEN
    missing = missing if missing is not None else assessments.missing_required(assessment, answers)
    sections = _sections(assessment)
    current = section or _current_section(assessment, sections, missing)
    keys = [s["key"] for s, _ in sections] + [REVIEW]
    index = keys.index(current)
    questions = {q.key: q for q in assessment.questionnaire.questions}
    context = {}
    if current == REVIEW:
        used = assessment_evidence(assessment, include_library=False)
        docs = [e for e, _qid in used]
        question_keys = {q.id: q.key for q in assessment.questionnaire.questions}
        if ev_form is None:
            ev_form = EvidenceForm(prefix="ev", formdata=None)
        ev_form.question_key.choices = _question_choices(assessment)
        attach_form = LibraryAttachForm(prefix="lib", formdata=None)
        attach_form.evidence_id.choices = _library_choices(assessment.vendor_id)
        attach_form.question_key.choices = _question_choices(assessment)
        context = {
            "evidence": docs,
            "ev_questions": {e.id: question_keys.get(qid) for e, qid in used if qid},
            "warnings": [w for e in docs for w in evidence.certificate_warnings(e)],
            "ev_form": ev_form,
            "attach_form": attach_form,
            "replace_form": ReplaceForm(prefix="rep", formdata=None),
            "submit_form": SubmitForm(prefix="sub", formdata=None),
            "delete_form": DeleteForm(prefix="del", formdata=None),
        }
    at_least, up_to = required_range(assessment.questionnaire.questions)
    return render_template(
        "portal/assessment_answer.html",
        assessment=assessment,
        sections=sections,
        section_key=current,
        section=next(((s, qs) for s, qs in sections if s["key"] == current), None),
        previous_key=keys[index - 1] if index > 0 else None,
        next_key=keys[index + 1] if index + 1 < len(keys) else None,
        section_titles={s["key"]: localized(s, "title") for s, _ in sections},
        page_number=index + 1,
        page_count=len(keys),
        answers=answers,
        visible=visible,
        progress=assessments.progress(assessment, answers),
        required_range=(at_least, up_to),
        counts=_section_counts(assessment, visible, missing),
        missing=_missing_items(assessment, missing, answers),
        numbers=_numbers(assessment),
        questions=questions,
        unconfirmed=assessments.unconfirmed_keys(assessment, answers),
        threads=comments.threads(current_user, assessment),
        errors=errors or {},
        conflicts=conflicts or {},
        posted=posted,
        confirm_form=ConfirmForm(prefix="conf", formdata=None),
        editable=editable,
        kind_labels=KIND_LABELS,
        certificate_kinds=CERTIFICATE_KINDS,
        show_if_json={q.key: q.show_if for q in assessment.questionnaire.questions if q.show_if},
        json=json,
        **context,
    ), status


def _answer_url(assessment, anchor="", section=None):
    args = {"s": section} if section else {}
    return url_for("portal.assessment_answer", assessment_id=assessment.id, **args) + anchor


@bp.route("/assessments/<int:assessment_id>", methods=["GET", "POST"])
@roles_required("vendor")
def assessment_answer(assessment_id: int):
    """Show the questionnaire; a POST saves every changed answer (works without JavaScript)."""
    assessment = access.get_assessment(current_user, assessment_id)
    if request.method == "GET":
        return _render_form(assessment)
    section = request.args.get("s")
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
    notes = []
    # Buttons inside the one big form: confirm a carried-forward answer, post to a thread.
    confirm_key = request.form.get("confirm_key")
    if confirm_key and confirm_key not in errors and confirm_key not in conflicts:
        try:
            if assessments.confirm_carried_forward(current_user, assessment, [confirm_key]):
                notes.append(_("Answer confirmed."))
        except ServiceError as exc:
            errors[confirm_key] = exc.message
    # Every message typed in a thread is sent, whichever button was pressed.
    thread_key = request.form.get("post_comment")
    typed = [
        (name.removeprefix("thread__"), body)
        for name, body in request.form.items()
        if name.startswith("thread__") and (body.strip() or name == f"thread__{thread_key}")
    ]
    for key, body in typed:
        try:
            comments.add_comment(current_user, assessment, key or None, body)
            notes.append(_("Message sent to the risk team."))
        except ServiceError as exc:
            errors[key or "thread"] = exc.message
    if errors or conflicts:
        flash(
            _(
                "Saved %(saved)s answer(s). %(n)s need your attention below.",
                saved=saved,
                n=len(errors) + len(conflicts),
            ),
            "error",
        )
        return _render_form(assessment, errors, conflicts, posted=request.form, status=422)
    # "Previous" and "Next" post the page too, so nothing typed without the script is lost.
    goto = request.form.get("goto")
    if saved or (not notes and not goto):
        notes.insert(
            0,
            _("Saved %(num)s answer(s).", num=saved)
            if saved
            else _("Nothing changed since the last save."),
        )
    if notes:
        flash(" ".join(notes), "success")
    if goto and goto in {s["key"] for s, _ in _sections(assessment)} | {REVIEW}:
        return redirect(_answer_url(assessment, "", goto))
    anchor = f"#q-{confirm_key or thread_key}" if (confirm_key or thread_key) else ""
    return redirect(_answer_url(assessment, anchor, section))


@bp.post("/assessments/<int:assessment_id>/confirm")
@roles_required("vendor")
def answers_confirm(assessment_id: int):
    """Confirm carried-forward answers: all of them (form) or the keys sent as JSON."""
    assessment = access.get_assessment(current_user, assessment_id)
    if request.is_json:
        data = request.get_json(silent=True)
        keys = data.get("keys") if isinstance(data, dict) else None
        try:
            done = assessments.confirm_carried_forward(current_user, assessment, keys)
        except ServiceError as exc:
            return _json_error(exc)
        db.session.refresh(assessment)
        return jsonify({"confirmed": done, **_state(assessment)})
    if not ConfirmForm(prefix="conf").validate_on_submit():
        flash(_("The form expired; reload and try again."), "error")
        return redirect(_answer_url(assessment))
    try:
        done = assessments.confirm_carried_forward(current_user, assessment)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Confirmed %(num)s carried-forward answer(s).", num=len(done)), "success")
    return redirect(_answer_url(assessment))


@bp.post("/assessments/<int:assessment_id>/comments")
@roles_required("vendor")
def comment_create(assessment_id: int):
    """Post a clarification message from the form's script (JSON in, JSON out)."""
    assessment = access.get_assessment(current_user, assessment_id)
    try:
        data = _json_object()
        c = comments.add_comment(
            current_user, assessment, data.get("question_key") or None, data.get("body")
        )
    except ServiceError as exc:
        return _json_error(exc)
    keys = {q.id: q.key for q in assessment.questionnaire.questions}
    return jsonify({"comment": comments.comment_dict(c, keys)}), 201


def _json_object() -> dict:
    """The JSON object a form script sent, or a 400 the script shows as is."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput("Send a JSON object.")
    return data


def _json_error(exc: ServiceError):
    body = {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields, **exc.extra}}
    return jsonify(body), exc.status


def _state(assessment) -> dict:
    """What the form's script redraws after a save: visibility, progress, counts, missing list."""
    answers = assessments.answer_map(assessment)
    visible = assessments.visible_keys(assessment, answers)
    missing = assessments.missing_required(assessment, answers)
    return {
        "visible": sorted(visible),
        "progress": assessments.progress(assessment, answers),
        "missing": missing,
        "missing_items": _missing_items(assessment, missing, answers),
        "sections": _section_counts(assessment, visible, missing),
    }


@bp.post("/assessments/<int:assessment_id>/answers/<question_key>")
@roles_required("vendor")
def answer_autosave(assessment_id: int, question_key: str):
    """Save one answer from the form's autosave (JSON in, JSON out; CSRF header required)."""
    assessment = access.get_assessment(current_user, assessment_id)
    try:
        data = _json_object()
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
        return _json_error(exc)
    db.session.refresh(assessment)
    return jsonify({"answer": assessments.answer_dict(answer, question_key), **_state(assessment)})


def _flash_form_errors(form):
    for name, errs in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        flash(f"{label}: {' '.join(errs)}", "error")


def _place_field_errors(form, exc: ServiceError) -> None:
    """Put a refused upload's field messages beside the fields they are about."""
    for name, message in (exc.fields or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            # File refusals carry their full sentence in the message ("The file is empty.").
            field.errors = [*list(field.errors), exc.message if name == "file" else str(message)]
    if not form.errors:
        form.file.errors = [exc.message]


def _ask_for_file_again(form) -> None:
    """A browser never keeps a chosen file across a page load: say so beside the file field."""
    if "file" not in form.errors:
        form.file.errors = [_("Choose the file again (browsers forget it when the page reloads).")]


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _form_errors_json(form, status: int):
    fields = {name: " ".join(errs) for name, errs in form.errors.items()}
    message = _("The file was not uploaded: check the fields marked below.")
    return jsonify({"error": {"code": "invalid", "message": message, "fields": fields}}), status


def _upload_refused(assessment, form, status: int):
    """Answer a refused upload: field errors as JSON for the form's script (which keeps the
    chosen file), or the page again with every other field kept and the errors beside them."""
    if _wants_json():
        return _form_errors_json(form, status)
    _ask_for_file_again(form)
    return _render_form(assessment, ev_form=form, status=status, section=REVIEW)


@bp.post("/assessments/<int:assessment_id>/evidence")
@roles_required("vendor")
def evidence_upload(assessment_id: int):
    """Upload a certificate or another document with its details."""
    assessment = access.get_assessment(current_user, assessment_id)
    form = EvidenceForm(prefix="ev")
    form.question_key.choices = _question_choices(assessment)
    if not form.validate_on_submit():
        return _upload_refused(assessment, form, 422)
    upload = form.file.data
    try:
        ev = evidence.upload_evidence(
            current_user,
            assessment,
            upload.filename or "",
            upload.read(),
            form.kind.data,
            form.question_key.data or None,
            to_library=form.to_library.data,
            **form.metadata(),
        )
    except ServiceError as exc:
        _place_field_errors(form, exc)
        return _upload_refused(assessment, form, exc.status)
    flash(_("Uploaded %(name)s.", name=ev.original_name), "success")
    for warning in evidence.certificate_warnings(ev):
        flash(warning, "warning")
    target = _answer_url(assessment, "#evidence", REVIEW)
    if _wants_json():
        return jsonify({"redirect": target}), 201
    return redirect(target)


@bp.post("/assessments/<int:assessment_id>/evidence/from-library")
@roles_required("vendor")
def evidence_attach(assessment_id: int):
    """Attach a document from the vendor's certificate library."""
    assessment = access.get_assessment(current_user, assessment_id)
    form = LibraryAttachForm(prefix="lib")
    form.evidence_id.choices = _library_choices(assessment.vendor_id)
    form.question_key.choices = _question_choices(assessment)
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(_answer_url(assessment, "#evidence", REVIEW))
    try:
        source = access.get_evidence(current_user, int(form.evidence_id.data))
        ev = evidence.attach_from_library(
            current_user, assessment, source, form.question_key.data or None
        )
    except (ServiceError, ValueError) as exc:
        flash(getattr(exc, "message", _("Choose a document.")), "error")
    else:
        flash(_("Attached %(name)s from your library.", name=ev.original_name), "success")
        for warning in evidence.certificate_warnings(ev):
            flash(warning, "warning")
    return redirect(_answer_url(assessment, "#evidence", REVIEW))


def _back_to(ev):
    if ev.assessment_id:
        return redirect(
            url_for("portal.assessment_answer", assessment_id=ev.assessment_id, s=REVIEW)
            + "#evidence"
        )
    return redirect(url_for("portal.library"))


@bp.post("/evidence/<int:evidence_id>/replace")
@roles_required("vendor")
def evidence_replace(evidence_id: int):
    """Swap the file of an uploaded document before submitting (its details stay)."""
    ev = access.get_evidence(current_user, evidence_id)
    form = ReplaceForm(prefix="rep")
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back_to(ev)
    upload = form.file.data
    old = ev.original_name
    try:
        evidence.replace_evidence(current_user, ev, upload.filename or "", upload.read())
    except ServiceError as exc:
        flash(_("Replacement refused: %(reason)s", reason=exc.message), "error")
    else:
        flash(_("Replaced %(old)s with %(new)s.", old=old, new=ev.original_name), "success")
    return _back_to(ev)


@bp.post("/evidence/<int:evidence_id>/delete")
@roles_required("vendor")
def evidence_delete(evidence_id: int):
    """Remove an uploaded file while the assessment is open (library files at any time)."""
    ev = access.get_evidence(current_user, evidence_id)
    target = _back_to(ev)
    if DeleteForm(prefix="del").validate_on_submit():
        try:
            evidence.delete_evidence(current_user, ev)
            flash(_("File removed."), "success")
        except ServiceError as exc:
            flash(exc.message, "error")
    return target


@bp.post("/assessments/<int:assessment_id>/evidence/<int:evidence_id>/detach")
@roles_required("vendor")
def evidence_detach(assessment_id: int, evidence_id: int):
    """Stop using a library document in this assessment (it stays in the library)."""
    assessment = access.get_assessment(current_user, assessment_id)
    ev = access.get_evidence(current_user, evidence_id)
    if DeleteForm(prefix="del").validate_on_submit():
        try:
            evidence.detach_evidence(current_user, assessment, ev)
            flash(
                _(
                    "%(name)s is no longer attached; it stays in your library.",
                    name=ev.original_name,
                ),
                "success",
            )
        except ServiceError as exc:
            flash(exc.message, "error")
    return redirect(_answer_url(assessment, "#evidence"))


@bp.route("/library", methods=["GET", "POST"])
@roles_required("vendor")
def library():
    """The vendor's certificate library: documents kept for reuse across assessments."""
    vendor = access.get_vendor(current_user, current_user.vendor_id)
    form = LibraryUploadForm(prefix="libup")
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            upload = form.file.data
            try:
                ev = evidence.upload_library_evidence(
                    current_user,
                    vendor,
                    upload.filename or "",
                    upload.read(),
                    form.kind.data,
                    **form.metadata(),
                )
            except ServiceError as exc:
                _place_field_errors(form, exc)
                status = exc.status
            else:
                flash(_("Added %(name)s to your library.", name=ev.original_name), "success")
                for warning in evidence.certificate_warnings(ev):
                    flash(warning, "warning")
                if _wants_json():
                    return jsonify({"redirect": url_for("portal.library")}), 201
                return redirect(url_for("portal.library"))
        if _wants_json():
            return _form_errors_json(form, status)
        _ask_for_file_again(form)
    docs = evidence.library(vendor.id)
    return render_template(
        "portal/library.html",
        vendor=vendor,
        docs=docs,
        form=form,
        warnings={e.id: evidence.certificate_warnings(e) for e in docs},
        replace_form=ReplaceForm(prefix="rep", formdata=None),
        delete_form=DeleteForm(prefix="del", formdata=None),
        kind_labels=KIND_LABELS,
        certificate_kinds=CERTIFICATE_KINDS,
    ), status


@bp.get("/evidence/<int:evidence_id>/download")
@roles_required("vendor")
def evidence_download(evidence_id: int):
    """Download one of the vendor's own files."""
    return send_evidence(access.get_evidence(current_user, evidence_id))


@bp.post("/assessments/<int:assessment_id>/submit")
@roles_required("vendor")
def assessment_submit(assessment_id: int):
    """Submit the answers; refuse with the list of what is missing."""
    assessment = access.get_assessment(current_user, assessment_id)
    if not SubmitForm(prefix="sub").validate_on_submit():
        flash(_("The form expired; reload and try again."), "error")
        return redirect(url_for("portal.assessment_answer", assessment_id=assessment.id))
    try:
        assessments.submit_assessment(current_user, assessment)
    except MissingAnswers as exc:
        db.session.refresh(assessment)
        count = len(exc.fields["missing"])
        flash(
            ngettext(
                "Not submitted yet: %(num)s question still needs your answer or confirmation. "
                "The list below links to each one.",
                "Not submitted yet: %(num)s questions still need your answer or confirmation. "
                "The list below links to each one.",
                count,
            ),
            "error",
        )
        return _render_form(assessment, missing=exc.fields["missing"], status=422, section=REVIEW)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("portal.assessment_answer", assessment_id=assessment.id))
    flash(_("Thank you — your answers were submitted to the risk team."), "success")
    return redirect(url_for("portal.index"))


# --- offline answers in Excel (the vendor, or procurement on the vendor's behalf) ------------


def _after_import(assessment):
    if current_user.role == "vendor":
        return redirect(_answer_url(assessment))
    return redirect(url_for("procurement.vendor_detail", vendor_id=assessment.vendor_id))


@bp.get("/assessments/<int:assessment_id>/workbook.xlsx")
@roles_required("vendor", "procurement", "admin")
def workbook_download(assessment_id: int):
    """Download the assessment as a workbook to answer offline."""
    assessment = access.get_assessment(current_user, assessment_id)
    name, data = answer_import.answer_workbook(current_user, assessment)
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=name,
    )


@bp.route("/assessments/<int:assessment_id>/workbook", methods=["GET", "POST"])
@roles_required("vendor", "procurement", "admin")
def workbook_upload(assessment_id: int):
    """Upload a filled workbook and see what it would change, before anything is saved."""
    assessment = access.get_assessment(current_user, assessment_id)
    form = WorkbookUploadForm(prefix="wb")
    preview, status = None, 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            upload = form.file.data
            try:
                preview = answer_import.preview_import(
                    current_user, assessment, upload.filename or "", upload.read()
                )
                status = 200 if preview.token or not preview.count("invalid") else 422
            except ServiceError as exc:
                _place_field_errors(form, exc)
                status = exc.status
    return render_template(
        "portal/workbook_upload.html",
        assessment=assessment,
        form=form,
        preview=preview,
        confirm_form=WorkbookConfirmForm(
            prefix="wbc", formdata=None, token=preview.token if preview else None
        ),
        on_behalf=current_user.role != "vendor",
    ), status


@bp.post("/assessments/<int:assessment_id>/workbook/confirm")
@roles_required("vendor", "procurement", "admin")
def workbook_confirm(assessment_id: int):
    """Save the answers of a previewed workbook."""
    assessment = access.get_assessment(current_user, assessment_id)
    form = WorkbookConfirmForm(prefix="wbc")
    if not form.validate_on_submit():
        flash(_("The form expired; upload the workbook again."), "error")
        return redirect(url_for("portal.workbook_upload", assessment_id=assessment.id))
    try:
        count = answer_import.apply_import(current_user, assessment, form.token.data)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("portal.workbook_upload", assessment_id=assessment.id))
    flash(_("Saved %(num)s answer(s) from the workbook.", num=count), "success")
    return _after_import(assessment)

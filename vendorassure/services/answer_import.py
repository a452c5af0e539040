"""Offline answers: the assessment as an Excel workbook, and a filled workbook read back as a
diff (new, changed, unchanged, invalid with the reason per row) that is saved only once the
person confirms it, and only when no row is invalid. Procurement may do this on the vendor's
behalf; the audit event says so."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from ..catalog.numbering import display_numbers
from ..catalog.qtypes import AnswerRejected, question_type
from ..extensions import db
from ..i18n import LANGUAGES, localized, option_label
from ..models import Answer, Assessment, Question
from ..reports.answer_workbook import SheetRow, build_answer_workbook, parse_answer_workbook
from . import audit
from .access import lock_assessment, require_role
from .assessments import answer_map, require_open, validate_value, write_answer
from .errors import Conflict, InvalidValues, PayloadTooLarge, ServiceError, UnsupportedMedia
from .filetypes import sniff

WHO = ("vendor", "procurement", "admin")
TOKEN_HOURS = 2
SALT = "vendorassure-answer-import"


@dataclass
class DiffRow:
    row: int
    number: str
    key: str
    text: str
    status: str  # new, changed, unchanged, invalid
    before: str
    after: str
    reason: str = ""


@dataclass
class Preview:
    rows: list[DiffRow]
    token: str | None  # None when nothing can be saved (an invalid row, or no change)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


def _labels(question) -> dict[str, str]:
    return {o["value"]: option_label(question, o) for o in question.options or []}


def shown(question, value, na=False, na_reason="") -> str:
    """An answer as people read it: option labels, "Not applicable: why", or the text."""
    if na:
        return _("Not applicable: %(reason)s", reason=na_reason)
    if value is None or value in ("", []):
        return ""
    labels = _labels(question)
    if isinstance(value, list):
        return "; ".join(labels.get(v, str(v)) for v in value)
    return labels.get(value, str(value))


def _condition(question, numbers, by_key) -> str:
    parts = []
    for cond in question.show_if or []:
        parent = by_key.get(cond.get("question"))
        if parent is None:
            continue
        labels = _labels(parent)
        wanted = " / ".join(labels.get(v, v) for v in cond.get("in", []))
        parts.append(
            _("only if %(number)s is %(answer)s", number=numbers[parent.key], answer=wanted)
        )
    return "; ".join(parts)


def _how(question) -> str:
    qt = question_type(question.type)
    if qt.has_options and qt.multiple:
        return _("One or more of these, separated by “;”: %(options)s",
                 options="; ".join(option_label(question, o) for o in question.options or []))  # fmt: skip
    if qt.has_options:
        return _("Choose from the drop-down list")
    return {"number": _("A number"), "date": _("A date (YYYY-MM-DD)")}.get(qt.widget, _("Text"))


def answer_workbook(actor, assessment: Assessment) -> tuple[str, bytes]:
    """The assessment as a workbook to answer offline: (file name, bytes)."""
    require_role(actor, *WHO)
    questions = assessment.questionnaire.questions
    numbers = display_numbers(questions)
    by_key = {q.key: q for q in questions}
    titles = {s["key"]: localized(s, "title") for s in assessment.questionnaire.sections or []}
    answers = answer_map(assessment)
    rows = []
    for q in questions:
        a = answers.get(q.key)
        qt = question_type(q.type)
        value = a.value if a else None
        rows.append(
            SheetRow(
                key=q.key,
                number=numbers[q.key],
                section=titles.get(q.section, q.section),
                text=localized(q, "text"),
                how=_how(q),
                condition=_condition(q, numbers, by_key),
                required=bool(q.required),
                labels=[option_label(q, o) for o in q.options or []] if qt.has_options else [],
                multiple=qt.multiple,
                allows_na=bool(q.allows_na),
                answer=value if isinstance(value, (int, float)) else shown(q, value),
                na=bool(a and a.na),
                na_reason=(a.na_reason or "") if a else "",
                comment=(a.comment or "") if a else "",
            )
        )
    meta = {
        "assessment_id": assessment.id,
        "lines": [
            assessment.questionnaire.title,
            _(
                "For %(vendor)s, due %(date)s.",
                vendor=assessment.vendor.name,
                date=assessment.due_date.isoformat(),
            ),  # fmt: skip
            _(
                "Answer in the yellow cells of the “Answers” sheet: choose option answers from the "
                "drop-down list, write “Yes” under “Not applicable” and say why where a question "
                "does not apply to you."
            ),  # fmt: skip
            _(
                "Questions marked “only if …” apply only when that answer is given; leave them "
                "empty otherwise."
            ),  # fmt: skip
            _(
                "Then upload the file on the portal (“Answer in Excel”). You will see every change "
                "before anything is saved."
            ),  # fmt: skip
        ],
    }
    labels = {
        "number": _("No."), "section": _("Section"), "question": _("Question"),
        "how": _("How to answer"), "applies": _("When it applies"), "required": _("Required"),
        "answer": _("Your answer"), "na": _("Not applicable"),
        "na_reason": _("Why not applicable"), "comment": _("Comment"), "key": "key",
        "yes": _("Yes"), "readme_sheet": _("Read me"), "invalid_title": _("Not an option"),
        "invalid_choice": _("Choose one of the options in the list."),
    }  # fmt: skip
    data = build_answer_workbook(rows, meta, labels)
    return f"assessment-{assessment.id}-answers.xlsx", data


def _value_from_cell(question, cell):
    """The stored-shape value of a cell; raise AnswerRejected with a sentence."""
    qt = question_type(question.type)
    if cell is None or cell == "":
        return None
    if qt.has_options:
        by_text = {}
        for o in question.options or []:
            for lang in LANGUAGES:  # its label in any language, or the value itself
                by_text[str(option_label(question, o, lang)).strip().lower()] = o["value"]
            by_text[str(o["value"]).strip().lower()] = o["value"]
        parts = (
            [p.strip() for p in str(cell).replace("\n", ";").split(";")]
            if qt.multiple
            else [str(cell).strip()]
        )
        values = []
        for part in filter(None, parts):
            if part.lower() not in by_text:
                raise AnswerRejected(
                    _(
                        "“%(text)s” is not one of the options: %(options)s",
                        text=part[:80],
                        options="; ".join(
                            option_label(question, o) for o in question.options or []
                        ),
                    ),  # fmt: skip
                    "Not an option.",
                )
            values.append(by_text[part.lower()])
        return values if qt.multiple else values[0]
    if qt.widget == "number" and isinstance(cell, str):
        return qt.parse_form([cell])
    if qt.widget == "number" and isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if qt.widget in ("text", "textarea") and not isinstance(cell, str):
        return str(cell)
    return cell


def _check_file(data: bytes) -> None:
    limit = current_app.config["MAX_UPLOAD_MB"]
    if len(data) > limit * 1024 * 1024:
        raise PayloadTooLarge(
            _("The file is larger than %(mb)s MB.", mb=limit), {"file": "Too large."}
        )
    if not data:
        raise InvalidValues(_("The file is empty."), {"file": "Empty file."})
    if sniff(data) != "xlsx":
        raise UnsupportedMedia(
            _(
                "This is not an Excel workbook (.xlsx): download the workbook from the portal, "
                "fill it in and upload it as .xlsx."
            ),  # fmt: skip
            {"file": "Not an .xlsx file."},
        )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def preview_import(actor, assessment: Assessment, filename: str, data: bytes) -> Preview:
    """Read a filled workbook and compare it with the stored answers; store nothing."""
    require_role(actor, *WHO)
    require_open(assessment)
    _check_file(data)
    try:
        parsed = parse_answer_workbook(data, {"yes", _("Yes").lower(), "y", "x", "1", "true"})
    except ValueError as exc:
        raise InvalidValues(str(exc), {"file": str(exc)}) from None
    if parsed.assessment != str(assessment.id):
        raise InvalidValues(
            _("This workbook belongs to another assessment: download the one for this assessment."),
            {"file": "Another assessment."},
        )
    questions = {q.key: q for q in assessment.questionnaire.questions}
    numbers = display_numbers(assessment.questionnaire.questions)
    stored = answer_map(assessment)
    rows, changes, seen = [], [], set()
    for p in parsed.rows:
        q = questions.get(p.key)
        if q is None or p.key in seen:
            rows.append(DiffRow(p.row, "", p.key, "", "invalid", "", "",
                                _("This row is not a question of this assessment (or appears twice); "
                                  "do not edit the hidden key column.")))  # fmt: skip
            continue
        seen.add(p.key)
        a = stored.get(p.key)
        before = shown(q, a.value, a.na, a.na_reason) if a else ""
        try:
            value = None if p.na else _value_from_cell(q, p.answer)
            value = validate_value(q, value, p.na, p.na_reason)
        except AnswerRejected as exc:
            rows.append(DiffRow(p.row, numbers[q.key], q.key, localized(q, "text"), "invalid", before,
                                str(p.answer or ""), exc.message))  # fmt: skip
            continue
        except ServiceError as exc:
            reason = _("Say why it does not apply.") if p.na else exc.message
            rows.append(DiffRow(p.row, numbers[q.key], q.key, localized(q, "text"), "invalid", before,
                                str(p.answer or ""), reason))  # fmt: skip
            continue
        if len(p.comment) > 5000:
            rows.append(DiffRow(p.row, numbers[q.key], q.key, localized(q, "text"), "invalid", before, "",
                                _("The comment is longer than 5000 characters.")))  # fmt: skip
            continue
        after = shown(q, value, p.na, p.na_reason)
        same = (
            (a is None and value is None and not p.na and not p.comment)
            or (a is not None and a.value == value and a.na == p.na
                and (a.na_reason or "") == (p.na_reason if p.na else "")
                and (a.comment or "") == p.comment)
        )  # fmt: skip
        if same:
            rows.append(
                DiffRow(
                    p.row, numbers[q.key], q.key, localized(q, "text"), "unchanged", before, after
                )
            )
            continue
        status = "new" if a is None or (a.value in (None, "", []) and not a.na) else "changed"
        rows.append(
            DiffRow(p.row, numbers[q.key], q.key, localized(q, "text"), status, before, after)
        )
        changes.append([q.key, value, p.na, p.na_reason, p.comment, a.lock_version if a else 0])
    token = None
    if changes and not any(r.status == "invalid" for r in rows):
        token = _serializer().dumps({
            "a": assessment.id, "u": actor.id, "file": filename[:200],
            "sha256": hashlib.sha256(data).hexdigest(), "changes": changes,
        })  # fmt: skip
    return Preview(rows=rows, token=token)


def apply_import(actor, assessment: Assessment, token: str) -> int:
    """Save the confirmed changes of a previewed workbook in one transaction; return how many."""
    require_role(actor, *WHO)
    try:
        data = _serializer().loads(token, max_age=TOKEN_HOURS * 3600)
    except SignatureExpired:
        raise Conflict(_("This upload is too old: upload the workbook again."), {}) from None
    except BadSignature:
        raise InvalidValues(_("The confirmation is not valid: upload the workbook again."),
                            {"token": "Invalid."}) from None  # fmt: skip
    if data.get("a") != assessment.id or data.get("u") != actor.id:
        raise InvalidValues(_("The confirmation is for another upload: upload the workbook again."),
                            {"token": "Another upload."})  # fmt: skip
    lock_assessment(assessment)
    require_open(assessment)
    questions = {
        q.key: q
        for q in db.session.scalars(
            select(Question).filter_by(questionnaire_id=assessment.questionnaire_id)
        )
    }
    current = {
        a.question_id: a
        for a in db.session.scalars(
            select(Answer).filter_by(assessment_id=assessment.id)
            .execution_options(populate_existing=True)
        )
    }  # fmt: skip
    keys = []
    for key, value, na, na_reason, comment, lock in data["changes"]:
        q = questions[key]
        answer = current.get(q.id)
        if (answer.lock_version if answer else 0) != lock:
            db.session.rollback()
            raise Conflict(
                _(
                    "Answer %(key)s changed after you uploaded the workbook: nothing was saved. "
                    "Upload it again to see the changes.",
                    key=key,
                ),  # fmt: skip
                {"question": key},
            )
        stored = validate_value(q, value, na, na_reason)
        write_answer(actor, assessment, q, answer, stored, comment, na, na_reason)
        keys.append(key)
    audit.record(
        actor,
        "answers.imported",
        assessment,
        assessment_id=assessment.id,
        vendor_id=assessment.vendor_id,
        details={
            "count": len(keys),
            "questions": keys,
            "file": data.get("file"),
            "sha256": data.get("sha256"),
            "on_behalf_of_vendor": actor.role != "vendor",
        },
    )
    db.session.commit()
    return len(keys)

"""Assessment use cases and the state machine they all go through."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext, ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.exc import StaleDataError

from ..catalog.qtypes import AnswerRejected, question_type
from ..catalog.reuse import suggest_reuse
from ..extensions import db
from ..i18n import lower_label
from ..labels import ASSESSMENT_STATUS_LABELS
from ..models import (
    OPEN_STATES,
    VENDOR_OPEN,
    Answer,
    Assessment,
    Question,
    Questionnaire,
    User,
    Vendor,
)
from ..models._base import utcnow
from ..scoring import AnswerIn, visible_questions
from . import audit, findings, links, notifications
from .access import lock_assessment, require_role
from .errors import (
    Conflict,
    IllegalTransition,
    InvalidValues,
    MissingAnswers,
    NotFound,
    StaleAnswer,
)
from .library import latest_questionnaire, unmapped_scored_questions
from .notify import mail_vendor_contacts
from .scoring import question_defs, refresh_latest_scored, score_assessment_now
from .values import parse_date

# (from, to) -> the action that names the transition in the audit log.
TRANSITIONS = {
    ("draft", "sent"): "sent",
    ("sent", "in_progress"): "started",
    ("in_progress", "submitted"): "submitted",
    ("submitted", "under_review"): "review_started",
    ("under_review", "completed"): "completed",
    ("under_review", "changes_requested"): "changes_requested",
    ("changes_requested", "in_progress"): "reopened",
}
for _state in ("draft", "sent", "in_progress", "submitted", "under_review", "changes_requested"):
    TRANSITIONS[(_state, "cancelled")] = "cancelled"

STATUS_LABELS = ASSESSMENT_STATUS_LABELS


def transition(actor, assessment: Assessment, to: str, details: dict | None = None) -> None:
    """Move an assessment to another state if the table allows it; audit it. The caller commits."""
    key = (assessment.status, to)
    if key not in TRANSITIONS:
        raise IllegalTransition(
            f"An assessment that is {STATUS_LABELS[assessment.status].lower()} cannot become "
            f"{STATUS_LABELS.get(to, to).lower()}.",
            {"status": assessment.status},
        )
    before = assessment.status
    assessment.status = to
    if to == "cancelled" and assessment.scored_at is not None:
        db.session.flush()
        refresh_latest_scored([assessment.vendor_id])
    audit.record(
        actor,
        f"assessment.{TRANSITIONS[key]}",
        assessment,
        assessment_id=assessment.id,
        vendor_id=assessment.vendor_id,
        details={"from": before, "to": to, **(details or {})},
    )


def _parse_due(due) -> date:
    parsed = parse_date(due, "due_date")
    if parsed is None:
        raise InvalidValues("due_date is required.", {"due_date": "Required."})
    return parsed


def require_open(assessment: Assessment, doing: str | None = None) -> None:
    """Refuse (409) a vendor change once the assessment is no longer open for the vendor."""
    doing = doing or gettext("Answers can no longer be changed")
    if assessment.status not in VENDOR_OPEN:
        raise IllegalTransition(
            gettext(
                "%(doing)s: the assessment is %(status)s.",
                doing=doing,
                status=_status_word(assessment.status),
            ),
            {"status": assessment.status},
        )


def _status_word(status: str) -> str:
    """An assessment status inside a sentence, in the reader's language."""
    return lower_label(gettext(STATUS_LABELS.get(status, status)))


def issue_assessment(
    actor,
    vendor: Vendor,
    questionnaire_key: str,
    due_date,
    version: int | None = None,
    force: bool = False,
    allow_duplicate: bool = False,
    campaign_id: int | None = None,
) -> Assessment:
    """Issue a questionnaire to a vendor with a due date; it starts in the sent state.

    A version with scored questions mapped to no control is refused unless ``force``: their
    answers could never move the rating. A second open assessment of the same questionnaire
    for the vendor is refused (409) unless ``allow_duplicate`` confirms it."""
    require_role(actor, "procurement", "admin")
    due = _parse_due(due_date)
    if due < date.today():
        raise InvalidValues("The due date is in the past.", {"due_date": "Must be today or later."})
    if vendor.status != "active":
        raise InvalidValues(
            "The vendor is inactive; reactivate it first.", {"vendor_id": "Inactive."}
        )
    try:
        qn = latest_questionnaire(questionnaire_key, version)
    except NotFound as exc:
        raise InvalidValues(exc.message, {"questionnaire": "Unknown questionnaire."}) from None
    if not allow_duplicate:
        refuse_duplicate(vendor, qn.key)
    unmapped = unmapped_scored_questions(qn)
    if unmapped and not force:
        raise InvalidValues(
            f"{len(unmapped)} scored question(s) of {qn.title} (version {qn.version}) are not "
            "mapped to any Annex A control, so their answers would not change the rating (first: "
            f"{', '.join(unmapped[:5])}). Map them in the questionnaire library, or issue anyway.",
            {"questionnaire": "Scored questions without a control.", "unmapped": unmapped},
        )
    assessment = Assessment(
        vendor_id=vendor.id,
        questionnaire_id=qn.id,
        due_date=due,
        issued_by_id=actor.id,
        status="draft",
        campaign_id=campaign_id,
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record(
        actor,
        "assessment.created",
        assessment,
        assessment_id=assessment.id,
        vendor_id=vendor.id,
        details={
            "questionnaire": qn.key,
            "version": qn.version,
            "due_date": due.isoformat(),
            **({"issued_with_unmapped": len(unmapped)} if unmapped else {}),
        },
    )
    transition(actor, assessment, "sent")
    carried = carry_forward(actor, assessment)
    db.session.commit()
    mail_vendor_contacts(
        vendor,
        f"New assessment for {vendor.name}",
        f"A new questionnaire ({qn.title}) is waiting for you, due {due}.\n"
        + (
            f"{carried} answers from your last assessment are filled in already; "
            "please check and confirm them.\n"
            if carried
            else ""
        )
        + f"Sign in at {links.url('portal.index')}",
    )
    return assessment


def open_of_questionnaire(vendor_ids, questionnaire_key: str) -> dict[int, Assessment]:
    """{vendor id: its open assessment of this questionnaire key} (one query)."""
    rows = db.session.scalars(
        select(Assessment)
        .join(Questionnaire, Questionnaire.id == Assessment.questionnaire_id)
        .where(
            Assessment.vendor_id.in_(list(vendor_ids)),
            Questionnaire.key == questionnaire_key,
            Assessment.status.in_(OPEN_STATES),
        )
        .order_by(Assessment.id)
    )
    return {a.vendor_id: a for a in rows}


def refuse_duplicate(vendor: Vendor, questionnaire_key: str) -> None:
    """Refuse (409) a second open assessment of the same questionnaire for a vendor."""
    existing = open_of_questionnaire([vendor.id], questionnaire_key).get(vendor.id)
    if existing is not None:
        raise Conflict(
            f"{vendor.name} already has an open assessment of this questionnaire (#{existing.id}, "
            f"{STATUS_LABELS[existing.status].lower()}, due {existing.due_date:%d %b %Y}). "
            "Confirm to issue another one anyway.",
            {"questionnaire": "Already open for this vendor.", "existing_id": existing.id},
            existing_id=existing.id,
        )


def carry_forward(actor, assessment: Assessment) -> int:
    """Prefill answers from the vendor's last completed assessment with the same questionnaire key.

    Copied answers are marked carried_forward and stay unconfirmed until the vendor touches or
    confirms them; answers no longer valid for this questionnaire version are left out. The caller
    commits. Returns how many answers were copied.
    """
    key = assessment.questionnaire.key
    source = db.session.scalar(
        select(Assessment)
        .join(Assessment.questionnaire)
        .where(
            Assessment.vendor_id == assessment.vendor_id,
            Assessment.status == "completed",
            Assessment.id != assessment.id,
            Questionnaire.key == key,
        )
        .order_by(Assessment.completed_at.desc(), Assessment.id.desc())
        .limit(1)
    )
    if source is None:
        return reuse_answers(actor, assessment)
    questions = {q.key: q for q in assessment.questionnaire.questions}
    copied = []
    for qkey, old in answer_map(source).items():
        question = questions.get(qkey)
        if question is None or not (old.na or old.value not in (None, "", [])):
            continue
        try:
            value = validate_value(question, old.value, old.na, old.na_reason)
        except InvalidValues:
            continue  # the question changed in a way the old answer no longer fits
        db.session.add(
            Answer(
                assessment_id=assessment.id,
                question_id=question.id,
                value=value,
                na=old.na,
                na_reason=old.na_reason if old.na else "",
                comment=old.comment or "",
                answered_by_id=old.answered_by_id,
                carried_forward=True,
            )
        )
        copied.append(qkey)
    if copied:
        audit.record(
            actor,
            "assessment.carried_forward",
            assessment,
            assessment_id=assessment.id,
            vendor_id=assessment.vendor_id,
            details={"from_assessment": source.id, "questions": copied},
        )
    return len(copied)


REUSE_FROM = ("submitted", "under_review", "completed")


def reuse_answers(actor, assessment: Assessment) -> int:
    """Suggest answers from the vendor's latest answered assessment of another questionnaire,
    matched by meaning (catalog/reuse.py). They are marked as suggestions and count only once
    the vendor confirms each, as carried-forward answers do. The caller commits."""
    source = db.session.scalar(
        select(Assessment)
        .join(Assessment.questionnaire)
        .where(
            Assessment.vendor_id == assessment.vendor_id,
            Assessment.status.in_(REUSE_FROM),
            Assessment.id != assessment.id,
            Questionnaire.key != assessment.questionnaire.key,
        )
        .order_by(Assessment.submitted_at.desc(), Assessment.id.desc())
        .limit(1)
    )
    if source is None:
        return 0
    old = answer_map(source)
    src_questions = [q.to_dict() for q in source.questionnaire.questions]
    texts = {q["key"]: q["text"] for q in src_questions}
    targets = {q.key: q for q in assessment.questionnaire.questions}
    suggestions = suggest_reuse(
        [q.to_dict() for q in targets.values()],
        src_questions,
        {k: {"value": a.value, "na": a.na, "na_reason": a.na_reason} for k, a in old.items()
         if a.na or a.value not in (None, "", [])},
    )  # fmt: skip
    for s in suggestions:
        db.session.add(
            Answer(
                assessment_id=assessment.id,
                question_id=targets[s.target].id,
                value=s.value,
                na=s.na,
                na_reason=s.na_reason,
                answered_by_id=old[s.source].answered_by_id,
                carried_forward=True,
                reused_from={
                    "assessment": source.id,
                    "questionnaire": source.questionnaire.title,
                    "question": s.source,
                    "text": texts.get(s.source, ""),
                    "similarity": s.similarity,
                },
            )
        )
    if suggestions:
        audit.record(
            actor,
            "assessment.answers_reused",
            assessment,
            assessment_id=assessment.id,
            vendor_id=assessment.vendor_id,
            details={
                "from_assessment": source.id,
                "questions": {s.target: s.source for s in suggestions},
            },
        )
    return len(suggestions)


def unconfirmed_keys(assessment: Assessment, answers: dict[str, Answer] | None = None) -> list:
    """Keys of visible carried-forward answers the vendor has not confirmed yet, in order."""
    answers = answer_map(assessment) if answers is None else answers
    visible = visible_keys(assessment, answers)
    return [
        q.key
        for q in question_defs(assessment.questionnaire)
        if q.key in visible and answers.get(q.key) is not None and answers[q.key].carried_forward
    ]


def confirm_carried_forward(actor: User, assessment: Assessment, keys=None) -> list[str]:
    """Confirm carried-forward answers as they are (all of them, or only the given keys)."""
    require_role(actor, "vendor")
    lock_assessment(assessment)
    require_open(assessment)
    answers = answer_map(assessment)
    if keys is not None:
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise InvalidValues(
                gettext("keys must be a list of question keys."), {"keys": gettext("A list.")}
            )
        unknown = [k for k in keys if k not in answers or not answers[k].carried_forward]
        if unknown:
            raise InvalidValues(
                gettext(
                    "No carried-forward answer to confirm for: %(keys)s.", keys=", ".join(unknown)
                ),
                {"keys": gettext("Not carried forward.")},
            )
    chosen = [k for k, a in answers.items() if a.carried_forward and (keys is None or k in keys)]
    if not chosen:
        return []
    if assessment.status != "in_progress":
        transition(actor, assessment, "in_progress")
    now = utcnow()
    for k in chosen:
        answers[k].carried_forward = False
        answers[k].answered_by_id = actor.id
        answers[k].updated_at = now
    audit.record(
        actor,
        "answers.confirmed",
        assessment,
        assessment_id=assessment.id,
        vendor_id=assessment.vendor_id,
        details={"questions": sorted(chosen)},
    )
    db.session.commit()
    return sorted(chosen)


# --- answers -------------------------------------------------------------------------------


def answer_map(assessment: Assessment) -> dict[str, Answer]:
    rows = db.session.scalars(
        select(Answer)
        .filter_by(assessment_id=assessment.id)
        .join(Answer.question)
        .options(contains_eager(Answer.question))  # the key comes with the row, not a query each
    )
    return {a.question.key: a for a in rows}


def answers_in(answers: dict[str, Answer]) -> dict[str, AnswerIn]:
    return {k: AnswerIn(question=k, value=a.value, na=a.na) for k, a in answers.items()}


def _is_answered(answer: Answer | None) -> bool:
    if answer is None:
        return False
    # A carried-forward answer counts once the vendor has confirmed it (or changed it).
    if answer.carried_forward:
        return False
    if answer.na:
        return True
    return answer.value not in (None, "", [])


def validate_value(question: Question, value, na: bool = False, na_reason: str = ""):
    """Check one answer against its question type; return the value to store or raise."""
    if na:
        if not question.allows_na:
            raise InvalidValues(
                gettext("Question %(key)s does not allow N/A.", key=question.key),
                {"na": gettext("Not allowed.")},
            )
        if not (na_reason or "").strip():
            raise InvalidValues(
                gettext("N/A needs a reason."), {"na_reason": gettext("Say why it does not apply.")}
            )
        return None
    if value is None or value == "" or value == []:
        return None  # clears a draft answer
    try:
        return question_type(question.type).validate(value, question.options or [])
    except KeyError:
        raise InvalidValues(
            gettext("Question type %(type)s cannot be answered.", type=question.type),
            {"value": gettext("Unsupported.")},
        ) from None
    except AnswerRejected as exc:
        raise InvalidValues(exc.message, {"value": exc.field}) from None


def answer_dict(answer: Answer | None, key: str) -> dict:
    """Return an answer in the API shape."""
    if answer is None:
        return {
            "question_key": key,
            "value": None,
            "comment": "",
            "na": False,
            "na_reason": "",
            "lock_version": 0,
            "updated_at": None,
            "answered_by": None,
            "carried_forward": False,
            "reused_from": None,
        }
    return {
        "question_key": key,
        "value": answer.value,
        "comment": answer.comment,
        "na": answer.na,
        "na_reason": answer.na_reason,
        "lock_version": answer.lock_version,
        "updated_at": answer.updated_at.isoformat() + "Z" if answer.updated_at else None,
        "answered_by": answer.answered_by.email if answer.answered_by else None,
        "carried_forward": answer.carried_forward,
        "reused_from": answer.reused_from,
    }


def write_answer(actor, assessment, question, answer, stored, comment, na, na_reason) -> Answer:
    """Put a checked value on the answer row (created if need be); the caller audits, commits."""
    if assessment.status != "in_progress":
        transition(actor, assessment, "in_progress")
    if answer is None:
        answer = Answer(assessment_id=assessment.id, question_id=question.id)
        db.session.add(answer)
    if answer.reused_from and (stored != answer.value or bool(na) != answer.na):
        answer.reused_from = None  # the vendor's own answer now, not the suggestion
    answer.value = stored
    answer.na = bool(na)
    answer.na_reason = (na_reason or "").strip() if na else ""
    if comment is not None:
        answer.comment = comment.strip()
    answer.answered_by_id = actor.id
    answer.carried_forward = False
    answer.updated_at = utcnow()
    return answer


def save_answer(
    actor: User,
    assessment: Assessment,
    question_key: str,
    value=None,
    *,
    comment: str | None = None,
    na: bool = False,
    na_reason: str = "",
    lock_version: int | None = None,
) -> Answer:
    """Save one draft answer of the vendor (optimistic locking on lock_version)."""
    require_role(actor, "vendor")
    lock_assessment(assessment)
    require_open(assessment)
    question = db.session.scalar(
        select(Question).filter_by(questionnaire_id=assessment.questionnaire_id, key=question_key)
    )
    if question is None:
        raise NotFound(
            gettext("Question %(key)s is not part of this questionnaire.", key=question_key)
        )
    stored = validate_value(question, value, na, na_reason)
    if comment is not None and len(comment) > 5000:
        raise InvalidValues(
            gettext("Comment is longer than 5000 characters."), {"comment": gettext("Too long.")}
        )
    answer = db.session.scalar(
        select(Answer)
        .filter_by(assessment_id=assessment.id, question_id=question.id)
        .execution_options(populate_existing=True)  # the committed version, not a cached one
    )
    current = answer.lock_version if answer else 0
    if lock_version is not None and lock_version != current:
        raise StaleAnswer(
            gettext(
                "Someone else saved this answer after you loaded it. "
                "Compare both versions and save again."
            ),
            {"lock_version": gettext("Stored version is %(num)s.", num=current)},
            current=answer_dict(answer, question_key),
        )
    answer = write_answer(actor, assessment, question, answer, stored, comment, na, na_reason)
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        fresh = db.session.scalar(
            select(Answer).filter_by(assessment_id=assessment.id, question_id=question.id)
        )
        raise StaleAnswer(
            gettext("Someone else saved this answer at the same moment. Compare and save again."),
            {"lock_version": gettext("Stale.")},
            current=answer_dict(fresh, question_key),
        ) from None
    audit.record(
        actor,
        "answer.saved",
        answer,
        assessment_id=assessment.id,
        vendor_id=assessment.vendor_id,
        details={"question": question_key, "na": answer.na},
    )
    db.session.commit()
    return answer


def visible_keys(assessment: Assessment, answers: dict[str, Answer] | None = None) -> set[str]:
    answers = answer_map(assessment) if answers is None else answers
    return visible_questions(question_defs(assessment.questionnaire), answers_in(answers))


def missing_required(assessment: Assessment, answers: dict[str, Answer] | None = None) -> list[str]:
    """Keys of visible questions that block submitting, in questionnaire order.

    That is every required question without an answer, and every carried-forward answer (required
    or not) that the vendor has not confirmed yet: nothing is submitted unseen.
    """
    answers = answer_map(assessment) if answers is None else answers
    visible = visible_keys(assessment, answers)
    out = []
    for q in question_defs(assessment.questionnaire):
        if q.key not in visible:
            continue
        a = answers.get(q.key)
        if (q.required and not _is_answered(a)) or (a is not None and a.carried_forward):
            out.append(q.key)
    return out


def progress(assessment: Assessment, answers: dict[str, Answer] | None = None) -> dict:
    """Count answered visible required questions."""
    answers = answer_map(assessment) if answers is None else answers
    visible = visible_keys(assessment, answers)
    required = [
        q.key for q in question_defs(assessment.questionnaire) if q.required and q.key in visible
    ]
    answered = sum(1 for k in required if _is_answered(answers.get(k)))
    total_answered = sum(1 for k in visible if _is_answered(answers.get(k)))
    percent = round(100 * answered / len(required)) if required else 100
    return {
        "answered_required": answered,
        "required": len(required),
        "answered": total_answered,
        "visible": len(visible),
        "percent": percent,
        "unconfirmed": sum(
            1 for k in visible if answers.get(k) is not None and answers[k].carried_forward
        ),
    }


def submit_assessment(actor: User, assessment: Assessment) -> Assessment:
    """Submit the vendor's answers; refuse with the list of missing required answers; score it."""
    require_role(actor, "vendor")
    lock_assessment(assessment)
    if assessment.status not in VENDOR_OPEN:
        raise IllegalTransition(
            gettext(
                "Only an open assessment can be submitted; this one is %(status)s.",
                status=_status_word(assessment.status),
            ),
            {"status": assessment.status},
        )
    answers = answer_map(assessment)
    missing = missing_required(assessment, answers)
    if missing:
        unconfirmed = [
            k for k in missing if answers.get(k) is not None and answers[k].carried_forward
        ]
        empty = [k for k in missing if k not in unconfirmed]
        parts = []
        if empty:
            parts.append(
                ngettext(
                    "%(num)s required question(s) still need an answer: %(keys)s",
                    "%(num)s required question(s) still need an answer: %(keys)s",
                    len(empty),
                    keys=", ".join(empty),
                )
            )
        if unconfirmed:
            parts.append(
                ngettext(
                    "%(num)s carried-forward answer(s) need your confirmation: %(keys)s",
                    "%(num)s carried-forward answer(s) need your confirmation: %(keys)s",
                    len(unconfirmed),
                    keys=", ".join(unconfirmed),
                )
            )
        raise MissingAnswers("; ".join(parts) + ".", {"missing": missing})
    if assessment.status != "in_progress":
        transition(actor, assessment, "in_progress")
    transition(actor, assessment, "submitted")
    assessment.submitted_at = utcnow()
    score_assessment_now(assessment)
    # A resubmission after changes were requested: the earlier proposals follow the new score.
    findings.reconcile_if_reviewed(actor, assessment)
    db.session.commit()
    notifications.after_commit(notifications.assessment_submitted, assessment)
    return assessment


def assign_reviewer(actor, assessment: Assessment, reviewer: User | None) -> Assessment:
    """Assign (or clear) the risk reviewer of an assessment."""
    require_role(actor, "risk", "admin")
    lock_assessment(assessment)
    if reviewer is not None and reviewer.role not in ("risk", "admin"):
        raise InvalidValues(
            "The reviewer must be a risk user.", {"reviewer_id": "Not a risk user."}
        )
    assessment.reviewer_id = reviewer.id if reviewer else None
    audit.record(
        actor,
        "assessment.assigned",
        assessment,
        assessment_id=assessment.id,
        vendor_id=assessment.vendor_id,
        details={"reviewer": reviewer.email if reviewer else None},
    )
    db.session.commit()
    return assessment


def review_assessment(*args, **kwargs):
    """Start, complete or send back a review (the use cases live in services/review.py)."""
    from .review import review_assessment as decide

    return decide(*args, **kwargs)


def cancel_assessment(actor, assessment: Assessment, reason: str = "") -> Assessment:
    """Cancel an open assessment with a reason; the vendor's contacts are told."""
    require_role(actor, "procurement", "admin")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidValues("Say why the assessment is cancelled.", {"reason": "Required."})
    if len(reason) > 500:
        raise InvalidValues("The reason is longer than 500 characters.", {"reason": "Too long."})
    lock_assessment(assessment)
    was_open_for_vendor = assessment.status in VENDOR_OPEN or assessment.status in (
        "submitted",
        "under_review",
    )
    transition(actor, assessment, "cancelled", {"reason": reason})
    assessment.cancel_reason = reason
    db.session.commit()
    if was_open_for_vendor and assessment.status == "cancelled":
        mail_vendor_contacts(
            assessment.vendor,
            f"Assessment cancelled: {assessment.questionnaire.title}",
            f"The assessment {assessment.questionnaire.title} for {assessment.vendor.name} "
            f"(due {assessment.due_date:%d %B %Y}) was cancelled. You do not need to answer it.\n\n"
            f"Reason: {reason}",
        )
    return assessment

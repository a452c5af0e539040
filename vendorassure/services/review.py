"""Review use cases: start a review (with the findings its score proposes), flag answers, ask the
vendor to clarify, send the assessment back for changes, complete it (optionally overriding the
rating). Each is one transaction with its audit events."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import RATINGS, Answer, Assessment, Finding, Question
from ..models._base import utcnow
from . import audit, comments, findings, links
from .access import lock_assessment, require_role
from .assessments import answer_map, transition
from .errors import IllegalTransition, InvalidValues, NotFound
from .notify import mail_vendor_contacts

REVIEW_STATES = ("none", "flagged", "accepted")
DECISIONS = ("start", "complete", "request_changes")


def _question(assessment: Assessment, key: str) -> Question:
    question = db.session.scalar(
        select(Question).filter_by(questionnaire_id=assessment.questionnaire_id, key=key)
    )
    if question is None:
        raise NotFound(f"Question {key} is not part of this questionnaire.")
    return question


def _open_review(actor, assessment: Assessment) -> None:
    """Move a submitted assessment to under review (the row is locked); the caller commits."""
    if assessment.status == "submitted":
        transition(actor, assessment, "under_review")
        if assessment.reviewer_id is None:
            assessment.reviewer_id = actor.id


def start_review(actor, assessment: Assessment) -> list:
    """Open a submitted assessment for review and propose findings from its score, in one
    transaction; return the findings proposed now (none twice: starting again proposes nothing
    already proposed)."""
    require_role(actor, "risk", "admin")
    lock_assessment(assessment)
    _open_review(actor, assessment)
    if assessment.status != "under_review":
        transition(actor, assessment, "under_review")  # refused with a clear message
    created = findings.propose(actor, assessment)
    db.session.commit()
    return created


def flagged_points(assessment: Assessment) -> list[str]:
    """One line per flagged answer (its question, in words), with the reviewer's note, for a
    request for changes."""
    answers = answer_map(assessment)
    flagged = sorted(
        (a for a in answers.values() if a.review_state == "flagged"), key=lambda a: a.question.order
    )
    return [
        f"- Question {a.question.order} ({a.question.text[:80]}): "
        f"{a.review_note or 'please review this answer'}"
        for a in flagged
    ]


def request_changes(actor, assessment: Assessment, note: str, include_flagged: bool = False):
    """Send the assessment back to the vendor with what to change; tell its contacts."""
    require_role(actor, "risk", "admin")
    note = (note or "").strip()
    if include_flagged:
        note = "\n".join([note, *flagged_points(assessment)]).strip()
    if not note:
        raise InvalidValues(
            "Say what the vendor must change.", {"note": "Required when requesting changes."}
        )
    lock_assessment(assessment)
    _open_review(actor, assessment)
    transition(actor, assessment, "changes_requested", {"note": note})
    assessment.review_note = note
    db.session.commit()
    mail_vendor_contacts(
        assessment.vendor,
        f"Changes requested: {assessment.vendor.name}",
        f"The risk team asked for changes to your answers:\n\n{note}\n\n"
        f"Sign in at {links.url('portal.assessment_answer', assessment_id=assessment.id)}",
    )
    return assessment


def _check_override(override_rating: str | None, override_reason: str | None) -> None:
    if override_rating not in RATINGS:
        raise InvalidValues(
            f"override_rating must be one of {', '.join(RATINGS)}.",
            {"override_rating": "low, medium, high or critical."},
        )
    if not (override_reason or "").strip():
        raise InvalidValues("An override needs a reason.", {"override_reason": "Required."})


PROPOSED_DECISIONS = ("open", "dismiss")


def _decide_proposed(actor, assessment: Assessment, proposed: str | None, reason: str | None):
    """Every proposed finding needs a decision before completing: refuse (409) while some
    remain undecided, or open / dismiss (with a reason) all that remain, as asked."""
    pending = db.session.scalars(
        select(Finding.id)
        .where(Finding.assessment_id == assessment.id, Finding.status == "proposed")
        .order_by(Finding.id)
    ).all()
    if not pending:
        return
    if proposed is None:
        raise IllegalTransition(
            f"{len(pending)} proposed finding(s) still need a decision: open or dismiss each, "
            "or decide all of them with the review.",
            {"status": assessment.status, "proposed": list(pending)},
        )
    if proposed not in PROPOSED_DECISIONS:
        raise InvalidValues("proposed must be open or dismiss.", {"proposed": "open or dismiss."})
    findings.apply_bulk(actor, assessment, list(pending), proposed, reason)


def complete_review(
    actor,
    assessment: Assessment,
    note: str = "",
    override_rating: str | None = None,
    override_reason: str | None = None,
    proposed: str | None = None,
    dismiss_reason: str | None = None,
):
    """Complete the review, optionally overriding the computed rating with a reason. Proposed
    findings still undecided are refused, unless ``proposed`` opens or dismisses them all."""
    require_role(actor, "risk", "admin")
    note = (note or "").strip()
    if override_rating is not None or override_reason:
        _check_override(override_rating, override_reason)
    lock_assessment(assessment)
    _open_review(actor, assessment)
    if assessment.status == "under_review":
        _decide_proposed(actor, assessment, proposed, dismiss_reason)
    transition(actor, assessment, "completed", {"note": note})
    assessment.completed_at = utcnow()
    assessment.review_note = note
    if override_rating is not None:
        assessment.override_rating = override_rating
        assessment.override_reason = override_reason.strip()
        assessment.overridden_by_id = actor.id
        audit.record(
            actor,
            "assessment.rating_overridden",
            assessment,
            assessment_id=assessment.id,
            vendor_id=assessment.vendor_id,
            details={
                "computed": assessment.rating,
                "override": override_rating,
                "reason": assessment.override_reason,
            },
        )
    db.session.commit()
    return assessment


def review_assessment(
    actor,
    assessment: Assessment,
    decision: str,
    note: str = "",
    override_rating: str | None = None,
    override_reason: str | None = None,
    proposed: str | None = None,
    dismiss_reason: str | None = None,
):
    """Take one review decision (start, complete or request_changes), as the API sends it."""
    require_role(actor, "risk", "admin")
    check_decision(decision, override_rating, override_reason)
    if decision == "start":
        start_review(actor, assessment)
        return assessment
    if decision == "request_changes":
        return request_changes(actor, assessment, note)
    return complete_review(
        actor, assessment, note, override_rating, override_reason, proposed, dismiss_reason
    )


def check_decision(decision: str, override_rating=None, override_reason=None) -> None:
    """Refuse an unknown decision, or an override with anything but completing."""
    if decision not in DECISIONS:
        raise InvalidValues(
            "decision must be start, complete or request_changes.",
            {"decision": "start, complete or request_changes."},
        )
    if (override_rating is not None or override_reason) and decision != "complete":
        raise InvalidValues(
            "A rating can only be overridden when completing the review.",
            {"override_rating": "Only with decision complete."},
        )


def flag_answer(actor, assessment: Assessment, question_key: str, state: str, note: str = ""):
    """Set the reviewer's flag and internal note on one answer (never shown to the vendor)."""
    require_role(actor, "risk", "admin")
    if state not in REVIEW_STATES:
        raise InvalidValues(
            f"state must be one of {', '.join(REVIEW_STATES)}.", {"state": "Unknown state."}
        )
    if len(note or "") > 5000:
        raise InvalidValues("The note is longer than 5000 characters.", {"note": "Too long."})
    question = _question(assessment, question_key)
    lock_assessment(assessment)  # answers are versioned rows: no stale write beside a vendor save
    answer = db.session.scalar(
        select(Answer).filter_by(assessment_id=assessment.id, question_id=question.id)
    )
    if answer is None:
        raise InvalidValues(
            f"Question {question_key} has no answer to flag.", {"question": "Not answered."}
        )
    answer.review_state = state
    answer.review_note = (note or "").strip()
    audit.record(
        actor,
        "answer.reviewed",
        answer,
        assessment_id=assessment.id,
        vendor_id=assessment.vendor_id,
        details={"question": question_key, "state": state},
    )
    db.session.commit()
    return answer


def request_clarification(actor, assessment: Assessment, body: str, question_key: str | None):
    """Ask the vendor a question about its answers: a message in its thread, and an email."""
    require_role(actor, "risk", "admin")
    body = (body or "").strip()
    if not body:
        raise InvalidValues("Write what the vendor should clarify.", {"body": "Required."})
    if len(body) > 5000:
        raise InvalidValues("The request is longer than 5000 characters.", {"body": "Too long."})
    if assessment.status in ("draft", "cancelled", "completed"):
        raise IllegalTransition(
            f"The assessment is {assessment.status}; there is nobody to ask.",
            {"status": assessment.status},
        )
    # The vendor-side thread lives in services/comments.py; a clarification is a message in it.
    comment = comments.add_comment(actor, assessment, question_key, body, internal=False)
    about = _question(assessment, question_key) if question_key else None
    mail_vendor_contacts(
        assessment.vendor,
        f"Question from the risk team: {assessment.vendor.name}",
        "The risk team asks"
        + (f" about question {about.order} (“{about.text}”)" if about else "")
        + f":\n\n{body}\n\n"
        f"Sign in at {links.url('portal.assessment_answer', assessment_id=assessment.id)}",
    )
    return comment

"""Reviewer use cases on single answers: flag with an internal note, ask the vendor to clarify."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Answer, Assessment, Question
from . import audit, comments
from .access import lock_assessment, require_role
from .errors import IllegalTransition, InvalidValues, NotFound
from .notify import send_status_mail

REVIEW_STATES = ("none", "flagged", "accepted")


def _question(assessment: Assessment, key: str) -> Question:
    question = db.session.scalar(
        select(Question).filter_by(questionnaire_id=assessment.questionnaire_id, key=key)
    )
    if question is None:
        raise NotFound(f"Question {key} is not part of this questionnaire.")
    return question


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
    for contact in assessment.vendor.contacts:
        if contact.active and contact.password_hash:
            send_status_mail(
                contact.email,
                f"Question from the risk team: {assessment.vendor.name}",
                "The risk team asks"
                + (f" about question {question_key}" if question_key else "")
                + f":\n\n{body}\n\nSign in at {current_app.config['BASE_URL']}/portal/",
            )
    return comment

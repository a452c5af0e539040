"""Clarification threads per question between the vendor and the risk team; staff-only notes."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Assessment, Comment, Question, User
from . import audit
from .access import require_role
from .errors import Forbidden, IllegalTransition, InvalidValues, NotFound

MAX_BODY = 5000
COMMENT_ROLES = ("vendor", "risk", "admin")


def _question_id(assessment: Assessment, question_key: str | None) -> int | None:
    if not question_key:
        return None
    qid = db.session.scalar(
        select(Question.id).filter_by(
            questionnaire_id=assessment.questionnaire_id, key=question_key
        )
    )
    if qid is None:
        raise NotFound(f"Question {question_key} is not part of this questionnaire.")
    return qid


def add_comment(
    actor: User,
    assessment: Assessment,
    question_key: str | None,
    body: str,
    internal: bool = False,
) -> Comment:
    """Post a message in a question's thread (or on the whole assessment); audited."""
    require_role(actor, *COMMENT_ROLES)
    if internal and actor.role == "vendor":
        raise Forbidden("Vendors cannot write internal notes.")
    if not isinstance(body, str) or not body.strip():
        raise InvalidValues("Write a message first.", {"body": "Required."})
    if len(body) > MAX_BODY:
        raise InvalidValues(
            f"The message is longer than {MAX_BODY} characters.", {"body": "Too long."}
        )
    if actor.role == "vendor" and assessment.status == "cancelled":
        raise IllegalTransition("This assessment was cancelled.", {"status": assessment.status})
    comment = Comment(
        assessment_id=assessment.id,
        question_id=_question_id(assessment, question_key),
        author_id=actor.id,
        body=body.strip(),
        internal=bool(internal),
    )
    db.session.add(comment)
    db.session.flush()
    audit.record(
        actor,
        "comment.internal_note" if internal else "comment.posted",
        comment,
        assessment_id=assessment.id,
        vendor_id=assessment.vendor_id,
        details={"question": question_key, "internal": bool(internal)},
    )
    db.session.commit()
    if actor.role == "vendor" and _staff_asked(assessment, comment):
        from .notifications import after_commit, clarification_answered

        after_commit(clarification_answered, assessment, actor, comment.body)
    return comment


def _staff_asked(assessment: Assessment, comment: Comment) -> bool:
    """Whether the risk team asked in this thread before (a vendor's message then answers it)."""
    return (
        db.session.scalar(
            select(Comment.id)
            .join(User, User.id == Comment.author_id)
            .where(
                Comment.assessment_id == assessment.id,
                Comment.question_id.is_(None)
                if comment.question_id is None
                else Comment.question_id == comment.question_id,
                Comment.internal.is_(False),
                Comment.id < comment.id,
                User.role != "vendor",
            )
            .limit(1)
        )
        is not None
    )


def list_comments(user: User, assessment: Assessment, question_key: str | None = None) -> list:
    """The messages the user may read, oldest first; internal staff notes never reach a vendor."""
    stmt = select(Comment).filter_by(assessment_id=assessment.id).order_by(Comment.id)
    if user.role == "vendor":
        stmt = stmt.where(Comment.internal.is_(False))
    if question_key is not None:
        stmt = stmt.where(Comment.question_id == _question_id(assessment, question_key))
    return list(db.session.scalars(stmt))


def threads(user: User, assessment: Assessment) -> dict[str | None, list]:
    """Messages the user may read grouped by question key (None: the whole assessment)."""
    keys = {q.id: q.key for q in assessment.questionnaire.questions}
    out: dict[str | None, list] = {}
    for c in list_comments(user, assessment):
        out.setdefault(keys.get(c.question_id), []).append(c)
    return out


def comment_dict(comment: Comment, keys: dict[int, str]) -> dict:
    """Return a message in the API shape."""
    return {
        "id": comment.id,
        "question_key": keys.get(comment.question_id),
        "author": comment.author.display_name if comment.author else None,
        "author_role": comment.author.role if comment.author else None,
        "body": comment.body,
        "internal": comment.internal,
        "created_at": comment.created_at.isoformat() + "Z",
    }

"""Feed an assessment from the database to the pure scoring engine and store the result."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..models import CERTIFICATE_KINDS, Answer, Assessment, Control, ControlScore, Evidence
from ..models._base import utcnow
from ..scoring import (
    AnswerIn,
    CertificateIn,
    ControlDef,
    QuestionDef,
    ScoringInput,
    score_assessment,
)
from .library import scoring_model


def _cache() -> dict:
    return current_app.extensions.setdefault("vendorassure_cache", {})


def question_defs(questionnaire) -> tuple[QuestionDef, ...]:
    """Return the scoring view of a questionnaire version (cached: versions never change)."""
    key = ("questions", questionnaire.id)
    cache = _cache()
    if key not in cache:
        cache[key] = tuple(QuestionDef.from_dict(q.to_dict()) for q in questionnaire.questions)
    return cache[key]


def control_defs() -> tuple[ControlDef, ...]:
    cache = _cache()
    if "controls" not in cache:
        cache["controls"] = tuple(
            ControlDef(ref=c.ref, objective=c.objective, title=c.title)
            for c in db.session.scalars(select(Control).order_by(Control.position))
        )
    return cache["controls"]


def _evidence_state(states: set[str]) -> str:
    if "accepted" in states:
        return "verified"
    if "pending" in states:
        return "provided"
    if "rejected" in states:
        return "rejected"
    return "none"


def build_input(assessment: Assessment, as_of: date | None = None) -> ScoringInput:
    """Collect answers, evidence states and certificates of one assessment (three queries)."""
    answers = db.session.scalars(
        select(Answer).filter_by(assessment_id=assessment.id).join(Answer.question)
    ).all()
    evidence = db.session.scalars(
        select(Evidence).where(
            Evidence.vendor_id == assessment.vendor_id,
            (Evidence.assessment_id == assessment.id) | Evidence.assessment_id.is_(None),
        )
    ).all()
    by_question: dict[int, set[str]] = {}
    for ev in evidence:
        if ev.assessment_id == assessment.id and ev.question_id is not None:
            by_question.setdefault(ev.question_id, set()).add(ev.verification)
    answers_in = {
        a.question.key: AnswerIn(
            question=a.question.key,
            value=a.value,
            na=a.na,
            evidence=_evidence_state(by_question.get(a.question_id, set())),
        )
        for a in answers
    }
    certificates = [
        CertificateIn(
            id=ev.id,
            kind=ev.kind,
            verification=ev.verification,
            issued_on=ev.issued_on,
            expires_on=ev.expires_on,
            scope_covers_service=ev.scope_covers_service,
            accredited=ev.accredited,
        )
        for ev in evidence
        if ev.kind in CERTIFICATE_KINDS
    ]
    return ScoringInput(
        questions=question_defs(assessment.questionnaire),
        controls=control_defs(),
        answers=answers_in,
        certificates=tuple(certificates),
        inherent_tier=assessment.vendor.inherent_tier,
        as_of=as_of or date.today(),
    )


def score_assessment_now(assessment: Assessment, as_of: date | None = None):
    """Score an assessment and store rating, explanation and control scores; the caller commits."""
    result = score_assessment(build_input(assessment, as_of), scoring_model())
    store_result(assessment, result)
    return result


def store_result(assessment: Assessment, result) -> None:
    assessment.inherent_tier = result.inherent_tier
    assessment.risk_score = result.risk_score
    assessment.rating = result.rating
    assessment.effectiveness = result.effectiveness
    assessment.score_details = result.to_dict()
    assessment.scoring_model_version = result.model_version
    assessment.scored_at = utcnow()
    ids = {c.ref: c.id for c in db.session.scalars(select(Control))}
    db.session.execute(delete(ControlScore).where(ControlScore.assessment_id == assessment.id))
    db.session.add_all(
        ControlScore(
            assessment_id=assessment.id, control_id=ids[c.ref], score=c.score, coverage=c.coverage
        )
        for c in result.controls
        if c.ref in ids
    )


def current_details(assessment: Assessment) -> dict | None:
    """Return the score explanation, rebuilding it when a batch rescore made it stale.

    A batch rescore stores figures only. If the model in force produced them, the explanation is
    recomputed (about a millisecond); if another model file did (`rescore --model`), the stored
    explanation is returned with the new figures and says which model explained it.
    """
    details = assessment.score_details
    if assessment.scored_at is None or details is None:
        return None
    if details.get("model_version") == assessment.scoring_model_version:
        return details
    if scoring_model().version == assessment.scoring_model_version:
        score_assessment_now(assessment)
        db.session.commit()
        return assessment.score_details
    return {
        **details,
        "risk_score": assessment.risk_score,
        "rating": assessment.rating,
        "effectiveness": assessment.effectiveness,
        "model_version": assessment.scoring_model_version,
        "explanation_model_version": details.get("model_version"),
    }

"""Feed assessments to the pure scoring engine, store the score record, and read it back.

The score record of an assessment is its rating columns, its control_scores and
objective_scores rows and its explanation (score_details), all from one model version.
``store_scores`` is their only writer (used one at a time on submit and on evidence review, and
in batch by ``rescore``); ``score_view`` reads them and never writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    select,
)

from ..extensions import db
from ..models import (
    CERTIFICATE_KINDS,
    Answer,
    Assessment,
    Control,
    ControlScore,
    Evidence,
    Objective,
    ObjectiveScore,
    Question,
    Vendor,
)
from ..models._base import utcnow
from ..queries.evidence import assessment_evidence
from ..scoring import (
    AnswerIn,
    CertificateIn,
    ControlDef,
    QuestionDef,
    ScoreResult,
    ScoringInput,
    score_assessment,
)
from ..scoring.describe import Words, describe
from ..scoring.types import third_party_view
from ..scoring.vocabulary import load_vocabulary
from .library import intake_definition, scoring_model


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
    """Return the control catalog in catalog order (cached)."""
    cache = _cache()
    if "controls" not in cache:
        cache["controls"] = tuple(
            ControlDef(ref=c.ref, objective=c.objective, title=c.title)
            for c in db.session.scalars(select(Control).order_by(Control.position))
        )
    return cache["controls"]


def _ids(kind: str) -> dict[str, int]:
    """ref -> id of controls or objectives (cached: the catalog is loaded once)."""
    cache = _cache()
    key = ("ids", kind)
    if key not in cache:
        model = Control if kind == "controls" else Objective
        cache[key] = dict(db.session.execute(select(model.ref, model.id)).all())
    return cache[key]


def evidence_state(states: set[str]) -> str:
    """The evidence state of an answer from the verifications of the files attached to it."""
    if "accepted" in states:
        return "verified"
    if "pending" in states:
        return "provided"
    if "rejected" in states:
        return "rejected"
    return "none"


def certificate_in(ev: Evidence, as_of: date) -> CertificateIn:
    """The engine's view of a certificate on file."""
    return CertificateIn(
        id=ev.id,
        kind=ev.kind,
        verification=ev.verification,
        issued_on=ev.issued_on,
        expires_on=ev.expires_on,
        scope_covers_service=ev.scope_covers_service,
        accredited=ev.accredited,
        suspended=ev.suspended_on is not None and ev.suspended_on <= as_of,
    )


def build_input(assessment: Assessment, as_of: date | None = None) -> ScoringInput:
    """Collect answers, evidence states, certificates and the intake of one assessment."""
    as_of = as_of or date.today()
    answers = db.session.execute(
        select(Answer.question_id, Question.key, Answer.value, Answer.na)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.assessment_id == assessment.id)
    ).all()
    used = assessment_evidence(assessment)
    evidence = [ev for ev, _ in used]
    by_question: dict[int, set[str]] = {}
    for ev, question_id in used:
        if question_id is not None:
            by_question.setdefault(question_id, set()).add(ev.verification)
    answers_in = {
        key: AnswerIn(key, value, na, evidence_state(by_question.get(qid, set())))
        for qid, key, value, na in answers
    }
    return ScoringInput(
        questions=question_defs(assessment.questionnaire),
        controls=control_defs(),
        answers=answers_in,
        certificates=tuple(
            certificate_in(e, as_of) for e in evidence if e.kind in CERTIFICATE_KINDS
        ),  # fmt: skip
        inherent_tier=assessment.vendor.inherent_tier,
        as_of=as_of,
        intake=dict(assessment.vendor.intake or {}),
    )


# ---- the one writer -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRecord:
    """Everything stored for one scored assessment, from one model version."""

    assessment_id: int
    risk_score: float
    rating: str
    effectiveness: float
    band: str
    inherent_tier: str
    model_version: str
    controls: Sequence[tuple[str, float, float]]  # (ref, score, coverage)
    objectives: Sequence[tuple[str, float, float, str | None]]  # (ref, score, coverage, band)
    explanation: dict[str, Any]

    @classmethod
    def of(cls, assessment_id: int, r: ScoreResult) -> ScoreRecord:
        """The record of one engine result."""
        return cls(
            assessment_id=assessment_id,
            risk_score=r.risk_score,
            rating=r.rating,
            effectiveness=r.effectiveness,
            band=r.band,
            inherent_tier=r.inherent_tier,
            model_version=r.model_version,
            controls=[(c.ref, c.score, c.coverage) for c in r.controls],
            objectives=[(o.ref, o.score, o.coverage, o.band) for o in r.objectives],
            explanation=r.explanation.to_dict(),
        )


def store_scores(records: Iterable[ScoreRecord], model=None) -> int:
    """Write score records: rating columns, control and objective scores and explanation.

    All or nothing: the rows are written in the caller's transaction and committed (or rolled
    back) with it. Returns the number of assessments written.
    """
    from .score_hooks import before_store

    records = before_store(list(records), model)  # upstream providers, rating-changed webhooks
    if not records:
        return 0
    db.session.flush()
    now = utcnow()
    controls, objectives = _ids("controls"), _ids("objectives")
    ids = [r.assessment_id for r in records]
    values = [
        {
            "_id": r.assessment_id, "_risk": r.risk_score, "_rating": r.rating,
            "_eff": r.effectiveness, "_band": r.band, "_tier": r.inherent_tier,
            "_details": r.explanation, "_model": r.model_version, "_at": now,
        }
        for r in records
    ]  # fmt: skip
    if db.session.get_bind().dialect.name == "postgresql" and len(values) > 50:
        _update_through_temp_table(values)
    else:
        table = Assessment.__table__
        db.session.execute(
            table.update()
            .where(table.c.id == bindparam("_id"))
            .values(
                risk_score=bindparam("_risk"),
                rating=bindparam("_rating"),
                effectiveness=bindparam("_eff"),
                band=bindparam("_band"),
                inherent_tier=bindparam("_tier"),
                score_details=bindparam("_details"),
                scoring_model_version=bindparam("_model"),
                scored_at=bindparam("_at"),
            ),
            values,
        )
    for chunk in _chunks(ids, 5000):
        db.session.execute(delete(ControlScore).where(ControlScore.assessment_id.in_(chunk)))
        db.session.execute(delete(ObjectiveScore).where(ObjectiveScore.assessment_id.in_(chunk)))
    db.session.execute(
        ControlScore.__table__.insert(),
        [
            {"assessment_id": r.assessment_id, "control_id": controls[ref], "score": s,
             "coverage": c}
            for r in records
            for ref, s, c in r.controls
            if ref in controls
        ],
    )  # fmt: skip
    db.session.execute(
        ObjectiveScore.__table__.insert(),
        [
            {"assessment_id": r.assessment_id, "objective_id": objectives[ref], "score": s,
             "coverage": c, "band": b}
            for r in records
            for ref, s, c, b in r.objectives
            if ref in objectives
        ],
    )  # fmt: skip
    refresh_latest_scored(
        db.session.scalars(select(Assessment.vendor_id).where(Assessment.id.in_(ids))).all()
        if len(ids) <= 5000
        else None
    )
    # instances already in the session must not keep the old figures
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Assessment) and obj.id in set(ids):
            db.session.expire(
                obj,
                ["risk_score", "rating", "effectiveness", "band", "inherent_tier",
                 "score_details", "scoring_model_version", "scored_at"],
            )  # fmt: skip
    return len(records)


# Many score rows on PostgreSQL: one multi-row INSERT into a temporary table and one
# UPDATE ... FROM, instead of one UPDATE statement per assessment (rescore, seeding).
_SCORE_ROWS = Table(
    "score_rows",
    MetaData(),
    Column("_id", Integer, primary_key=True),
    Column("_risk", Float),
    Column("_rating", String(10)),
    Column("_eff", Float),
    Column("_band", String(20)),
    Column("_tier", String(10)),
    Column("_details", JSON),
    Column("_model", String(50)),
    Column("_at", DateTime),
)


def _update_through_temp_table(values: list[dict]) -> None:
    conn = db.session.connection()
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE IF NOT EXISTS score_rows (_id integer PRIMARY KEY, "
        "_risk double precision, _rating varchar(10), _eff double precision, _band varchar(20), "
        "_tier varchar(10), _details json, _model varchar(50), _at timestamp) "
        "ON COMMIT DELETE ROWS"
    )
    conn.exec_driver_sql("TRUNCATE score_rows")
    conn.execute(_SCORE_ROWS.insert(), values)
    conn.exec_driver_sql(
        "UPDATE assessments AS a SET risk_score = s._risk, rating = s._rating, "
        "effectiveness = s._eff, band = s._band, inherent_tier = s._tier, "
        "score_details = s._details, scoring_model_version = s._model, scored_at = s._at "
        "FROM score_rows AS s WHERE a.id = s._id"
    )


def refresh_latest_scored(vendor_ids: Iterable[int] | None) -> None:
    """Point vendors (all with None) at their latest scored, non-cancelled assessment.

    Called by ``store_scores`` and when a scored assessment is cancelled: the two moves that
    change which assessment carries a vendor's current rating. The caller commits.
    """
    latest = (
        select(func.max(Assessment.id))
        .where(
            Assessment.vendor_id == Vendor.id,
            Assessment.scored_at.is_not(None),
            Assessment.status != "cancelled",
        )
        .scalar_subquery()
    )
    stmt = Vendor.__table__.update().values(latest_scored_assessment_id=latest)
    if vendor_ids is None:
        db.session.execute(stmt)
        return
    for chunk in _chunks(sorted(set(vendor_ids)), 5000):
        db.session.execute(stmt.where(Vendor.__table__.c.id.in_(chunk)))


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def score_assessment_now(assessment: Assessment, as_of: date | None = None) -> ScoreResult:
    """Score an assessment and store its score record; the caller commits."""
    result = score_assessment(build_input(assessment, as_of), scoring_model())
    store_scores([ScoreRecord.of(assessment.id, result)])
    return result


# ---- the reader ---------------------------------------------------------------------------------


def score_view(assessment: Assessment) -> dict[str, Any] | None:
    """Return the stored score record in the API shape (None when not scored). Never writes."""
    if assessment.scored_at is None:
        return None
    controls = db.session.execute(
        select(
            Control.ref, Control.objective, Control.title, ControlScore.score, ControlScore.coverage
        )  # fmt: skip
        .join(ControlScore, ControlScore.control_id == Control.id)
        .where(ControlScore.assessment_id == assessment.id)
        .order_by(Control.position)
    ).all()
    objectives = db.session.execute(
        select(
            Objective.ref,
            Objective.title,
            ObjectiveScore.score,
            ObjectiveScore.coverage,
            ObjectiveScore.band,
        )  # fmt: skip
        .join(ObjectiveScore, ObjectiveScore.objective_id == Objective.id)
        .where(ObjectiveScore.assessment_id == assessment.id)
        .order_by(Objective.position)
    ).all()
    ex = dict(assessment.score_details or {})
    tp_ref = scoring_model().third_party_objective
    return {
        "risk_score": assessment.risk_score,
        "rating": assessment.rating,
        "inherent_tier": assessment.inherent_tier,
        "effectiveness": assessment.effectiveness,
        "band": assessment.band or ex.get("band"),
        "matrix_band": ex.get("matrix_band"),
        "matrix_rating": ex.get("matrix_rating"),
        "held_by": ex.get("held_by", []),
        "controls": [
            {
                "ref": c.ref,
                "objective": c.objective,
                "title": c.title,
                "score": c.score,
                "coverage": c.coverage,
            }
            for c in controls
        ],  # fmt: skip
        "objectives": [
            {
                "ref": o.ref,
                "title": o.title,
                "score": o.score,
                "coverage": o.coverage,
                "band": o.band,
            }
            for o in objectives
        ],  # fmt: skip
        "third_party": third_party_view(tp_ref, objectives, controls),
        "drivers": ex.get("drivers", []),
        "knockouts": ex.get("knockouts", []),
        "red_flags": ex.get("red_flags", []),
        "caps": ex.get("caps", []),
        "contradictions": ex.get("contradictions", []),
        "certificates": ex.get("certificates", []),
        "what_it_would_take": ex.get("what_it_would_take") or {},
        "upstream": ex.get("upstream", []),
        "model_version": assessment.scoring_model_version,
    }


def words_for(questionnaire) -> Words:
    """Question texts, option labels, intake wording and objective titles (cached)."""
    key = ("words", questionnaire.id)
    cache = _cache()
    if key not in cache:
        titles = dict(db.session.execute(select(Objective.ref, Objective.title)).all())
        cache[key] = Words(
            question_defs(questionnaire),
            load_vocabulary(),
            intake_definition().get("questions", []),
            titles,
        )
    return cache[key]


def explained_score(
    assessment: Assessment, view: dict | None = None, answers: dict | None = None
) -> dict[str, Any] | None:
    """The score record with every part put into words (``scoring.describe``). Never writes.

    A caller that has read the score view and the answer values already passes them in."""
    view = score_view(assessment) if view is None else view
    if view is None:
        return None
    if answers is None:
        answers = dict(
            db.session.execute(
                select(Question.key, Answer.value)
                .join(Answer, Answer.question_id == Question.id)
                .where(Answer.assessment_id == assessment.id, Answer.na.is_(False))
            ).all()
        )
    return describe(view, words_for(assessment.questionnaire), answers)

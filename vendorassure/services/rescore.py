"""Rescore every scored assessment in one vectorised batch (after a scoring-model change)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import bindparam, delete, select

from ..extensions import db
from ..models import (
    CERTIFICATE_KINDS,
    Answer,
    Assessment,
    Control,
    ControlScore,
    Evidence,
    Question,
    Vendor,
)
from ..models._base import utcnow
from ..scoring import score_frame
from ..scoring.batch import CERTIFICATE_COLUMNS
from . import audit
from .scoring import _evidence_state, control_defs, question_defs


@dataclass
class RescoreReport:
    assessments: int
    ratings_changed: int
    model_version: str
    changes: list[tuple[int, str | None, str]]


def _frames(ids: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Answers (with evidence state) and certificates of the assessments, one query each."""
    answers = pd.DataFrame(
        db.session.execute(
            select(Answer.assessment_id, Answer.question_id, Question.key, Answer.value, Answer.na)
            .join(Question, Question.id == Answer.question_id)
            .where(Answer.assessment_id.in_(ids))
        ).all(),
        columns=["assessment_id", "question_id", "question", "value", "na"],
    )
    ev_rows = db.session.execute(
        select(Evidence.assessment_id, Evidence.question_id, Evidence.verification).where(
            Evidence.assessment_id.in_(ids), Evidence.question_id.is_not(None)
        )
    ).all()
    states = {}
    for aid, qid, verification in ev_rows:
        states.setdefault((aid, qid), set()).add(verification)
    answers["evidence"] = [
        _evidence_state(states.get((a, q), set()))
        for a, q in zip(answers["assessment_id"], answers["question_id"], strict=True)
    ]
    certs = pd.DataFrame(
        db.session.execute(
            select(
                Assessment.id,
                Evidence.id,
                Evidence.kind,
                Evidence.verification,
                Evidence.issued_on,
                Evidence.expires_on,
                Evidence.scope_covers_service,
                Evidence.accredited,
            )
            .join(Evidence, Evidence.vendor_id == Assessment.vendor_id)
            .where(
                Assessment.id.in_(ids),
                Evidence.kind.in_(CERTIFICATE_KINDS),
                (Evidence.assessment_id == Assessment.id) | Evidence.assessment_id.is_(None),
            )
        ).all(),
        columns=CERTIFICATE_COLUMNS,
    )
    return answers.drop(columns=["question_id"]), certs


def rescore_all(model, as_of: date | None = None, actor=None) -> RescoreReport:
    """Rescore all scored, non-cancelled assessments with `model`; one batch per questionnaire version."""
    as_of = as_of or date.today()
    rows = db.session.execute(
        select(Assessment.id, Assessment.questionnaire_id, Vendor.inherent_tier, Assessment.rating)
        .join(Vendor, Vendor.id == Assessment.vendor_id)
        .where(Assessment.scored_at.is_not(None), Assessment.status != "cancelled")
    ).all()
    if not rows:
        return RescoreReport(0, 0, model.version, [])
    meta = pd.DataFrame(rows, columns=["id", "questionnaire_id", "tier", "rating"]).set_index("id")
    answers, certs = _frames(meta.index.tolist())
    control_ids = {c.ref: c.id for c in db.session.scalars(select(Control))}
    results, control_frames = [], []
    from ..models import Questionnaire

    for qn_id, group in meta.groupby("questionnaire_id"):
        qn = db.session.get(Questionnaire, int(qn_id))
        ids = set(group.index)
        summary, ctrl = score_frame(
            question_defs(qn),
            control_defs(),
            answers[answers["assessment_id"].isin(ids)],
            certs[certs["assessment_id"].isin(ids)],
            group["tier"].to_dict(),
            as_of,
            model,
        )
        results.append(summary)
        control_frames.append(ctrl)
    summary = pd.concat(results)
    ctrl = pd.concat(control_frames)
    now = utcnow()
    table = Assessment.__table__
    # Core executemany: the explanation (score_details) is rebuilt on demand when next viewed,
    # because its model_version no longer matches (see services.scoring.current_details).
    db.session.execute(
        table.update()
        .where(table.c.id == bindparam("_id"))
        .values(
            risk_score=bindparam("_risk"),
            rating=bindparam("_rating"),
            effectiveness=bindparam("_eff"),
            inherent_tier=bindparam("_tier"),
            scoring_model_version=bindparam("_model"),
            scored_at=bindparam("_at"),
        ),
        [
            {
                "_id": int(aid),
                "_risk": float(r.risk_score),
                "_rating": r.rating,
                "_eff": float(r.effectiveness),
                "_tier": meta.at[aid, "tier"],
                "_model": model.version,
                "_at": now,
            }
            for aid, r in summary.iterrows()
        ],
    )
    db.session.execute(
        delete(ControlScore).where(ControlScore.assessment_id.in_(summary.index.tolist()))
    )
    ctrl = ctrl[ctrl["ref"].isin(control_ids)]
    db.session.execute(
        ControlScore.__table__.insert(),
        [
            {
                "assessment_id": int(a),
                "control_id": control_ids[ref],
                "score": float(s),
                "coverage": float(c),
            }
            for a, ref, s, c in zip(
                ctrl["assessment_id"], ctrl["ref"], ctrl["score"], ctrl["coverage"], strict=True
            )
        ],
    )
    changed = [
        (int(aid), meta.at[aid, "rating"], r.rating)
        for aid, r in summary.iterrows()
        if meta.at[aid, "rating"] != r.rating
    ]
    audit.record(
        actor,
        "scoring.rescored",
        None,
        object_type="portfolio",
        details={
            "model_version": model.version,
            "assessments": len(summary),
            "ratings_changed": len(changed),
        },
    )
    db.session.commit()
    return RescoreReport(len(summary), len(changed), model.version, changed)

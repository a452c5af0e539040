"""Rescore every scored assessment in one vectorised batch (after a scoring-model change)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import select, true

from ..extensions import db
from ..models import (
    CERTIFICATE_KINDS,
    Answer,
    Assessment,
    Evidence,
    EvidenceLink,
    Finding,
    Question,
    Questionnaire,
    Vendor,
)
from ..scoring import score_frame
from ..scoring.batch import CERTIFICATE_COLUMNS, gc_paused
from . import audit, findings
from .scoring import ScoreRecord, control_defs, evidence_state, question_defs, store_scores
from .supply_chain import with_upstream


@dataclass
class RescoreReport:
    assessments: int
    ratings_changed: int
    model_version: str
    changes: list[tuple[int, str | None, str]]


def _frames(ids, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Answers (with evidence state) and certificates of the assessments, one query each.

    `ids` is a select of assessment ids (or a list). The answers, the bulk of it, are read as
    plain Core rows straight into pandas (no ORM rows, no Row objects): the bare read's cost.
    """
    answers = pd.read_sql(
        select(Answer.assessment_id, Answer.question_id, Question.key, Answer.value, Answer.na)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.assessment_id.in_(ids)),
        db.session.connection(),
    )
    answers.columns = ["assessment_id", "question_id", "question", "value", "na"]
    answers["na"] = answers["na"].astype(bool)
    own = select(Evidence.assessment_id, Evidence.question_id, Evidence.verification).where(
        Evidence.assessment_id.in_(ids), Evidence.question_id.is_not(None)
    )
    linked = (
        select(EvidenceLink.assessment_id, EvidenceLink.question_id, Evidence.verification)
        .join(Evidence, Evidence.id == EvidenceLink.evidence_id)
        .where(EvidenceLink.assessment_id.in_(ids), EvidenceLink.question_id.is_not(None))
    )
    ev_rows = db.session.execute(own.union_all(linked)).all()
    states: dict[tuple[int, int], set[str]] = {}
    for aid, qid, verification in ev_rows:
        states.setdefault((aid, qid), set()).add(verification)
    answers["evidence"] = (
        [
            evidence_state(states.get((a, q), set()))
            for a, q in zip(answers["assessment_id"], answers["question_id"], strict=True)
        ]
        if states
        else "none"
    )
    rows = db.session.execute(
        select(
            Assessment.id,
            Evidence.id,
            Evidence.kind,
            Evidence.verification,
            Evidence.issued_on,
            Evidence.expires_on,
            Evidence.scope_covers_service,
            Evidence.accredited,
            Evidence.suspended_on,
        )
        .join(Evidence, Evidence.vendor_id == Assessment.vendor_id)
        .outerjoin(
            EvidenceLink,
            (EvidenceLink.evidence_id == Evidence.id)
            & (EvidenceLink.assessment_id == Assessment.id),
        )
        .where(
            Assessment.id.in_(ids),
            Evidence.kind.in_(CERTIFICATE_KINDS),
            (Evidence.assessment_id == Assessment.id)
            | Evidence.assessment_id.is_(None)
            | EvidenceLink.id.is_not(None),
        )
    ).all()
    certs = pd.DataFrame(
        [(*r[:8], r[8] is not None and r[8] <= as_of) for r in rows], columns=CERTIFICATE_COLUMNS
    )
    return answers.drop(columns=["question_id"]), certs


def rescore_all(
    model, as_of: date | None = None, actor=None, stale_only: bool = False
) -> RescoreReport:
    """Rescore all scored, non-cancelled assessments with `model`; one batch per questionnaire
    version, stored through the one writer (``scoring.store_scores``) in one transaction.

    ``stale_only`` limits it to assessments scored with another model version.
    """
    as_of = as_of or date.today()
    stale = Assessment.scoring_model_version != model.version if stale_only else true()
    rows = db.session.execute(
        select(
            Assessment.id,
            Assessment.questionnaire_id,
            Vendor.inherent_tier,
            Assessment.rating,
            Vendor.intake,
        )  # fmt: skip
        .join(Vendor, Vendor.id == Assessment.vendor_id)
        .where(Assessment.scored_at.is_not(None), Assessment.status != "cancelled", stale)
    ).all()
    if not rows:
        return RescoreReport(0, 0, model.version, [])
    meta = pd.DataFrame(
        rows, columns=["id", "questionnaire_id", "tier", "rating", "intake"]
    ).set_index("id")
    scored = select(Assessment.id).where(
        Assessment.scored_at.is_not(None), Assessment.status != "cancelled", stale
    )
    answers, certs = _frames(scored, as_of)
    records: list[ScoreRecord] = []
    for qn_id, group in meta.groupby("questionnaire_id"):
        qn = db.session.get(Questionnaire, int(qn_id))
        ids = set(group.index)
        fs = score_frame(
            question_defs(qn),
            control_defs(),
            answers[answers["assessment_id"].isin(ids)],
            certs[certs["assessment_id"].isin(ids)],
            group["tier"].to_dict(),
            as_of,
            model,
            group["intake"].to_dict(),
        )
        records.extend(_records(fs, model.version))
    old = meta["rating"].to_dict()
    records = with_upstream(records, model)  # the ratings as stored, weak upstream included
    changed = [(r.assessment_id, old[r.assessment_id], r.rating) for r in records
               if old[r.assessment_id] != r.rating]  # fmt: skip
    store_scores(records, model)
    _reconcile_in_review([r.assessment_id for r in records], actor)
    audit.record(
        actor,
        "scoring.rescored",
        None,
        object_type="portfolio",
        details={
            "model_version": model.version,
            "assessments": len(records),
            "ratings_changed": len(changed),
        },
    )
    db.session.commit()
    return RescoreReport(len(records), len(changed), model.version, sorted(changed))


def _reconcile_in_review(ids: list[int], actor) -> None:
    """Bring the proposed findings of assessments in review in line with their new scores."""
    in_review = db.session.scalars(
        select(Assessment)
        .where(
            Assessment.id.in_(
                select(Finding.assessment_id).where(
                    Finding.assessment_id.in_(ids), Finding.origin != "manual"
                )
            ),
            Assessment.status.in_(("submitted", "under_review")),
        )
        .order_by(Assessment.id)
        .execution_options(populate_existing=True)
    ).all()
    for a in in_review:
        findings.reconcile(actor, a)


def _records(fs, model_version: str) -> list[ScoreRecord]:
    """The score records of a scored frame (tables from arrays, explanations row by row)."""
    a = fs.assessments
    n_c = len(fs.control_scores) // max(1, len(fs.ids))
    n_o = len(fs.objective_scores) // max(1, len(fs.ids))
    c_ref = fs.control_scores["ref"].tolist()[:n_c]
    o_ref = fs.objective_scores["ref"].tolist()[:n_o]
    c_score = fs.control_scores["score"].to_numpy().reshape(-1, n_c).tolist() if n_c else []
    c_cov = fs.control_scores["coverage"].to_numpy().reshape(-1, n_c).tolist() if n_c else []
    o_score = fs.objective_scores["score"].to_numpy().reshape(-1, n_o).tolist() if n_o else []
    o_cov = fs.objective_scores["coverage"].to_numpy().reshape(-1, n_o).tolist() if n_o else []
    o_band = fs.objective_scores["band"].to_numpy().reshape(-1, n_o).tolist() if n_o else []
    out = []
    with gc_paused():
        explained = [(aid, e.to_dict()) for aid, e in fs.explanations()]
    cols = {k: dict(zip(a.index, a[k].tolist(), strict=True)) for k in
            ("risk_score", "rating", "effectiveness", "band", "inherent_tier")}  # fmt: skip
    for i, (aid, explanation) in enumerate(explained):
        out.append(
            ScoreRecord(
                assessment_id=int(aid),
                risk_score=float(cols["risk_score"][aid]),
                rating=str(cols["rating"][aid]),
                effectiveness=float(cols["effectiveness"][aid]),
                band=str(cols["band"][aid]),
                inherent_tier=str(cols["inherent_tier"][aid]),
                model_version=model_version,
                controls=list(zip(c_ref, c_score[i], c_cov[i], strict=True)) if n_c else [],
                objectives=(
                    list(zip(o_ref, o_score[i], o_cov[i], o_band[i], strict=True)) if n_o else []
                ),
                explanation=explanation,
            )
        )
    return out

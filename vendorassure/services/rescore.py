"""Rescore every scored assessment in one vectorised batch (after a scoring-model change)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Text, cast, select, true, type_coerce

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
from ..scoring.batch import ANSWER_COLUMNS, CERTIFICATE_COLUMNS, decode_json_values, gc_paused
from . import audit, findings
from .scoring import (
    ScoreRecord,
    ScoreTable,
    control_defs,
    copy_csv,
    driver_rows,
    evidence_state,
    question_defs,
    row_columns,
    store_scores,
)


@dataclass
class RescoreReport:
    assessments: int
    ratings_changed: int
    model_version: str
    changes: list[tuple[int, str | None, str]]


def _frames(ids, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Answers (with evidence state) and certificates of the assessments, one query each.

    `ids` is a select of assessment ids (or a list). The answers, the bulk of it, are read raw
    through the driver (``_answer_rows``); their question keys and evidence states are looked
    up per distinct question and per answer with evidence, not per answer.
    """
    answers = _answer_rows(ids)
    qid = answers["question_id"].to_numpy()
    q_codes, q_uniq = pd.factorize(qid)
    keys = dict(
        db.session.execute(
            select(Question.id, Question.key).where(Question.id.in_([int(q) for q in q_uniq]))
        ).all()
    )
    answers["question"] = np.array([keys[int(q)] for q in q_uniq] + [None], dtype=object)[q_codes]
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
    for aid, q, verification in ev_rows:
        states.setdefault((aid, q), set()).add(verification)
    evidence = np.full(len(answers), "none", dtype=object)
    if states and len(answers):
        # one integer per (assessment, question): where an answer has files attached
        span = int(max(qid.max(), max(q for _, q in states))) + 1
        at = pd.Index([a * span + q for a, q in states]).get_indexer(
            answers["assessment_id"].to_numpy(dtype=np.int64) * span + qid.astype(np.int64)
        )
        hit = np.flatnonzero(at >= 0)
        state_of = np.array([evidence_state(v) for v in states.values()], dtype=object)
        evidence[hit] = state_of[at[hit]]
    answers["evidence"] = evidence
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
    return answers[ANSWER_COLUMNS], certs


def _answer_rows(ids) -> pd.DataFrame:
    """assessment_id, question_id, value, na of the answers of the assessments.

    Read raw through the driver, without a type processor per row: on PostgreSQL as CSV from
    ``COPY ... TO STDOUT`` parsed by pandas, on SQLite as the cursor's plain tuples. The values,
    JSON text, are decoded once per distinct text (``decode_json_values``): the same values as
    the JSON column type gives row by row.
    """
    columns = ["assessment_id", "question_id", "value", "na"]
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = select(
            Answer.assessment_id, Answer.question_id, cast(Answer.value, Text), Answer.na
        ).where(Answer.assessment_id.in_(ids))
        frame = pd.read_csv(
            copy_csv(stmt),
            header=None,
            names=columns,
            dtype={"assessment_id": np.int64, "question_id": np.int64, "value": object},
            keep_default_na=False,
            na_values={"value": [""]},  # NULL; JSON text is never empty
            true_values=["t"],
            false_values=["f"],
        )
    else:
        stmt = select(
            Answer.assessment_id, Answer.question_id, type_coerce(Answer.value, Text), Answer.na
        ).where(Answer.assessment_id.in_(ids))
        kinds = [np.int64, np.int64, object, np.int64]
        frame = pd.DataFrame(
            dict(zip(columns, row_columns(driver_rows(stmt), kinds), strict=True)), copy=False
        )
    frame["value"] = decode_json_values(frame["value"].to_numpy(dtype=object))
    frame["na"] = frame["na"].astype(bool)
    return frame


def rescore_all(
    model, as_of: date | None = None, actor=None, stale_only: bool = False
) -> RescoreReport:
    """Rescore all scored, non-cancelled assessments with `model`; one batch per questionnaire
    version, stored through the one writer (``scoring.store_scores``) in one transaction.

    ``stale_only`` limits it to assessments scored with another model version.
    """
    # Millions of answers and tens of thousands of explanations live meanwhile: automatic full
    # collections, set off again and again by the small objects made, would scan them all.
    with gc_paused():
        return _rescore_all(model, as_of, actor, stale_only)


def _rescore_all(model, as_of: date | None, actor, stale_only: bool) -> RescoreReport:
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
    records = store_scores(records, model)  # as stored: weak upstream providers included
    changed = [(r.assessment_id, old[r.assessment_id], r.rating) for r in records
               if old[r.assessment_id] != r.rating]  # fmt: skip
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
    rescored = set(ids)  # in review are few; the rescored are all (no list of 70,000 ids)
    in_review = db.session.scalars(
        select(Assessment)
        .where(
            Assessment.id.in_(select(Finding.assessment_id).where(Finding.origin != "manual")),
            Assessment.status.in_(("submitted", "under_review")),
        )
        .order_by(Assessment.id)
        .execution_options(populate_existing=True)
    ).all()
    lookups = findings.ReconcileLookups()
    for a in in_review:
        if a.id in rescored:
            findings.reconcile(actor, a, lookups)


def _records(fs, model_version: str) -> list[ScoreRecord]:
    """The score records of a scored frame: control and objective figures as rows of two
    ``ScoreTable``s (arrays, no tuple per figure), explanations row by row."""
    a = fs.assessments
    n_c = len(fs.control_scores) // max(1, len(fs.ids))
    n_o = len(fs.objective_scores) // max(1, len(fs.ids))
    cs, os_ = fs.control_scores, fs.objective_scores
    controls = ScoreTable(
        cs["ref"].tolist()[:n_c], cs["score"].to_numpy(), cs["coverage"].to_numpy()
    )
    objectives = ScoreTable(
        os_["ref"].tolist()[:n_o],
        os_["score"].to_numpy(),
        os_["coverage"].to_numpy(),
        os_["band"].to_numpy(dtype=object),
    )
    with gc_paused():
        explained = [(aid, e.to_dict()) for aid, e in fs.explanations()]
    cols = {k: dict(zip(a.index, a[k].tolist(), strict=True)) for k in
            ("risk_score", "rating", "effectiveness", "band", "inherent_tier")}  # fmt: skip
    return [
        ScoreRecord(
            assessment_id=int(aid),
            risk_score=float(cols["risk_score"][aid]),
            rating=str(cols["rating"][aid]),
            effectiveness=float(cols["effectiveness"][aid]),
            band=str(cols["band"][aid]),
            inherent_tier=str(cols["inherent_tier"][aid]),
            model_version=model_version,
            controls=controls.rows(i) if n_c else [],
            objectives=objectives.rows(i) if n_o else [],
            explanation=explanation,
        )
        for i, (aid, explanation) in enumerate(explained)
    ]

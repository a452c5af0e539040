"""Score a whole portfolio at once from DataFrames (used by ``rescore``).

Answers are exploded and turned into the (assessment x option) matrix that ``evaluate``
works on, without a loop over assessments; the evaluation is the very code that scores a single
assessment, so the two paths agree by construction.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .compiled import compiled
from .engine import certificate_inputs
from .evaluate import Evaluation, Inputs, evaluate
from .explain import RowView, explanation
from .model import ScoringModel
from .types import (
    EVIDENCE_STATES,
    RATINGS,
    CertificateIn,
    ControlDef,
    Explanation,
    QuestionDef,
    norm_value,
)

ANSWER_COLUMNS = ["assessment_id", "question", "value", "na", "evidence"]
CERTIFICATE_COLUMNS = [
    "assessment_id",
    "id",
    "kind",
    "verification",
    "issued_on",
    "expires_on",
    "scope_covers_service",
    "accredited",
    "suspended",
]


def _truthy(s: pd.Series) -> np.ndarray:
    """True where the cell is True; missing, False or anything else is False."""
    return s.eq(True).to_numpy(dtype=bool, na_value=False)


@dataclass
class FrameScores:
    """The scores of many assessments: tables for storage, explanations on demand."""

    ids: list[Any]
    evaluation: Evaluation
    rows: RowView
    assessments: pd.DataFrame
    control_scores: pd.DataFrame
    objective_scores: pd.DataFrame

    def explanation(self, i: int) -> Explanation:
        """The explanation of the i-th assessment (in ``ids`` order)."""
        return explanation(self.evaluation, self.rows, i)

    def explanations(self) -> list[tuple[Any, Explanation]]:
        """(assessment id, explanation) for every assessment.

        The garbage collector is paused meanwhile: building many small objects next to the
        large evaluation otherwise triggers full collections that cost more than the work.
        """
        with gc_paused():
            return [(aid, explanation(self.evaluation, self.rows, i))
                    for i, aid in enumerate(self.ids)]  # fmt: skip


@contextmanager
def gc_paused():
    """Pause automatic garbage collection inside the block (restored on exit)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def decode_json_values(raw: np.ndarray) -> np.ndarray:
    """JSON texts as values, each distinct text decoded once (an answer column has a few hundred
    distinct values among millions of rows). None/NaN (SQL NULL) is None; a number a database
    handed back as a number (SQLite's numeric affinity) is kept as it is, as SQLAlchemy's JSON
    type does."""
    raw = np.asarray(raw, dtype=object)
    codes, uniques = pd.factorize(raw)  # missing: -1
    table = np.empty(len(uniques) + 1, dtype=object)  # the last entry: missing
    is_text = np.zeros(len(uniques) + 1, dtype=bool)
    for i, u in enumerate(uniques):
        if isinstance(u, str | bytes):
            table[i], is_text[i] = json.loads(u), True
    out = table[codes]
    # anything but text (numbers; factorize would merge 1 and 1.0) keeps its own object
    kept = np.flatnonzero(~is_text[codes] & (codes >= 0))
    out[kept] = raw[kept]
    return out


def _day(v: Any) -> Any:
    """A date cell as a date (pandas may hand back a Timestamp)."""
    return v.date() if isinstance(v, pd.Timestamp) else v


def frame_inputs(
    c,
    ids: pd.Index,
    answers_df: pd.DataFrame,
    certificates_df: pd.DataFrame | None,
    tiers: Mapping[object, str],
    as_of: date,
    intakes: Mapping[object, Mapping[str, Any]] | None,
) -> Inputs:
    """Build the evaluation arrays from long-format answers and certificate rows."""
    n_a, n_q = len(ids), c.n_q
    ridx = {r: i for i, r in enumerate(RATINGS)}
    tier = np.array([ridx.get(tiers[a], -1) for a in ids], dtype=np.int64)
    if (tier < 0).any():
        bad = sorted({str(tiers[a]) for a, t in zip(ids, tier, strict=True) if t < 0})
        raise ValueError(f"unknown inherent tier(s) {bad}; expected one of {list(RATINGS)}")

    df = answers_df.reindex(columns=ANSWER_COLUMNS)
    a_pos = ids.get_indexer(df["assessment_id"].to_numpy())
    if (a_pos < 0).any():
        bad = pd.unique(df["assessment_id"].to_numpy()[a_pos < 0])[:5].tolist()
        raise ValueError(f"answers for assessments without a tier: {bad}")
    q_codes, q_uniq = pd.factorize(df["question"].to_numpy(dtype=object))
    qindex = pd.Index([q.key for q in c.questions])
    q_of = np.append(qindex.get_indexer(pd.Index(q_uniq).astype(str)), -1)
    q_pos = q_of[q_codes]  # -1: a question outside the questionnaire, ignored
    # One answer per (assessment, question): the last row wins, as in a dict of answers.
    flat = np.where(q_pos >= 0, a_pos.astype(np.int64) * n_q + q_pos, -1)
    last = np.full(n_a * n_q, -1, dtype=np.int64)
    valid = np.flatnonzero(flat >= 0)
    last[flat[valid]] = valid  # fancy assignment keeps the last of repeated targets
    keep = valid[last[flat[valid]] == valid]
    a_pos, q_pos = a_pos[keep], q_pos[keep]
    na = _truthy(df["na"])[keep]

    ev_codes, ev_uniq = pd.factorize(df["evidence"].to_numpy(dtype=object)[keep])
    states = {s: i for i, s in enumerate(EVIDENCE_STATES)}
    unknown = [str(u) for u in ev_uniq if u != "" and str(u) not in states]
    if unknown:
        raise ValueError(
            f"unknown evidence state(s) {sorted(unknown)}; expected one of {list(EVIDENCE_STATES)}"
        )
    ev_tab = np.array(
        [states["none" if u == "" else str(u)] for u in ev_uniq] + [states["none"]], dtype=np.int64
    )
    EV = np.full((n_a, n_q), states["none"], dtype=np.int64)
    EV[a_pos, q_pos] = ev_tab[ev_codes]
    NA = np.zeros((n_a, n_q), dtype=bool)
    NA[a_pos, q_pos] = na & c.allows_na[q_pos]

    # chosen options: scalar values factorised, multi-choice lists exploded
    values = df["value"].to_numpy(dtype=object)[keep]
    live = np.flatnonzero(~na)
    is_multi = c.is_multi[q_pos[live]]
    scalar_rows, multi_rows = live[~is_multi], live[is_multi]
    try:
        s_codes, s_uniq = pd.factorize(values[scalar_rows])
    except TypeError:  # a list value on a single-choice question: explode every row
        scalar_rows, multi_rows = np.arange(0), live
        s_codes, s_uniq = np.arange(0), np.array([], dtype=object)
    exploded = pd.Series(values[multi_rows], index=multi_rows, dtype=object).explode()
    m_codes, m_uniq = pd.factorize(exploded.to_numpy(dtype=object))
    vocab: dict[str, int] = {}

    def vocab_codes(uniques: np.ndarray) -> np.ndarray:
        out = [vocab.setdefault(norm_value(u), len(vocab)) if u != "" else -1 for u in uniques]
        return np.array(out + [-1], dtype=np.int64)  # trailing -1: factorize's "missing"

    row = np.concatenate([scalar_rows, exploded.index.to_numpy(dtype=np.int64)])
    vcode = np.concatenate([vocab_codes(s_uniq)[s_codes], vocab_codes(m_uniq)[m_codes]])
    lut = np.full((n_q, len(vocab) + 1), -1, dtype=np.int64)  # last column: no value
    for qi in range(n_q):
        for v, o in c.opt_index[qi].items():
            if v in vocab:
                lut[qi, vocab[v]] = o
    opt = lut[q_pos[row], np.where(vcode >= 0, vcode, len(vocab))]
    ok = opt >= 0
    CH = np.zeros((n_a, c.n_opt), dtype=bool)
    CH[a_pos[row[ok]], opt[ok]] = True

    # certificates: decided one by one with the engine's own function
    cert_state = np.zeros((n_a, len(c.cert_kinds)), dtype=np.int64)
    cert_applied = np.zeros((n_a, len(c.cert_kinds)), dtype=bool)
    by_assessment: dict[int, list[CertificateIn]] = {}
    if certificates_df is not None and len(certificates_df):
        cdf = certificates_df.reindex(columns=CERTIFICATE_COLUMNS)
        c_pos = ids.get_indexer(cdf["assessment_id"])
        if (c_pos < 0).any():
            bad = cdf.loc[c_pos < 0, "assessment_id"].unique()[:5].tolist()
            raise ValueError(f"certificates for assessments without a tier: {bad}")
        cols = {
            name: cdf[name].astype(object).where(cdf[name].notna(), None).tolist()
            for name in CERTIFICATE_COLUMNS[1:]
        }
        for i, p in enumerate(c_pos.tolist()):
            by_assessment.setdefault(p, []).append(
                CertificateIn(
                    id=cols["id"][i],
                    kind=str(cols["kind"][i]),
                    verification=str(cols["verification"][i]),
                    issued_on=_day(cols["issued_on"][i]),
                    expires_on=_day(cols["expires_on"][i]),
                    scope_covers_service=cols["scope_covers_service"][i],
                    accredited=cols["accredited"][i],
                    suspended=cols["suspended"][i] is True,
                )
            )
    empty_state, _, _ = certificate_inputs(c, (), as_of)
    cert_state[:] = empty_state
    decisions: list[tuple] = [()] * n_a
    if by_assessment:
        rows = list(by_assessment)
        states, applied = [], []
        for p in rows:
            st, ap, decisions[p] = certificate_inputs(c, by_assessment[p], as_of)
            states.append(st)
            applied.append(ap)
        cert_state[rows] = states
        cert_applied[rows] = applied
    intakes = intakes or {}
    intake_list = [intakes.get(a) or {} for a in ids]
    return Inputs(CH, NA, EV, tier, intake_list, cert_state, cert_applied, decisions)


def score_frame(
    questions: Sequence[QuestionDef],
    controls: Sequence[ControlDef],
    answers_df: pd.DataFrame,
    certificates_df: pd.DataFrame | None,
    tiers: Mapping[object, str],
    as_of: date,
    model: ScoringModel,
    intakes: Mapping[object, Mapping[str, Any]] | None = None,
) -> FrameScores:
    """Score many assessments of one questionnaire version; agrees with ``score_assessment``."""
    c = compiled(questions, controls, model)
    ids = pd.Index(list(tiers), name="assessment_id")
    # Millions of answer values live in the frames: an automatic full collection, set off by
    # the many small objects built here, would scan them all again and again.
    with gc_paused():
        ev = evaluate(c, frame_inputs(c, ids, answers_df, certificates_df, tiers, as_of, intakes))
        rv = RowView(ev)
    f = ev.f
    n_a, n_c, n_o = len(ids), c.n_c, c.n_o
    ratings = np.array(RATINGS, dtype=object)
    assessments = pd.DataFrame(
        {
            "risk_score": f.risk,
            "rating": ratings[f.rating],
            "effectiveness": rv.eff,
            "band": c.band_names[f.band],
            "matrix_band": c.band_names[f.matrix_band],
            "matrix_rating": ratings[f.matrix_rating],
            "inherent_tier": ratings[ev.x.tier],
            "model_version": model.version,
        },
        index=ids,
    )
    id_arr = ids.to_numpy()
    control_scores = pd.DataFrame(
        {
            "assessment_id": np.repeat(id_arr, n_c),
            "ref": np.tile(np.array([x.ref for x in c.controls], dtype=object), n_a),
            "score": rv.score.ravel(),
            "coverage": rv.coverage.ravel(),
        }
    )
    bands = np.where(f.o_assessed, c.band_names[f.o_band], None)
    objective_scores = pd.DataFrame(
        {
            "assessment_id": np.repeat(id_arr, n_o),
            "ref": np.tile(np.array(c.objectives, dtype=object), n_a),
            "score": rv.o_score.ravel(),
            "coverage": rv.o_coverage.ravel(),
            "band": bands.ravel(),
        }
    )
    return FrameScores(list(ids), ev, rv, assessments, control_scores, objective_scores)

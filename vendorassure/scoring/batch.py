"""Score a whole portfolio at once with pandas/numpy (used by ``rescore``).

Nothing here loops over assessments: answers are exploded and pivoted into dense
assessment x question matrices, controls and objectives are matrix products, certificates and
knockouts are boolean masks. Loops run only over questions, certificate kinds or bands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from .engine import ref_key
from .model import ScoringModel
from .types import RATINGS, ControlDef, QuestionDef, norm_value

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
]


def _round(x: np.ndarray, digits: int) -> np.ndarray:
    f = 10.0**digits
    return np.floor(x * f + 0.5) / f


def _structurally_visible(questions: Sequence[QuestionDef]) -> list[bool]:
    """Questions whose show_if chain reaches only known, acyclic parents."""
    by_key = {q.key: q for q in questions}
    memo: dict[str, bool] = {}

    def ok(key: str, path: frozenset[str]) -> bool:
        if key in memo:
            return memo[key]
        q = by_key.get(key)
        if q is None or key in path:
            return False
        res = all(ok(c.question, path | {key}) for c in q.show_if)
        memo[key] = res
        return res

    return [ok(q.key, frozenset()) for q in questions]


def _truthy(s: pd.Series) -> np.ndarray:
    """True where the cell is True; missing, False or anything else is False."""
    return s.eq(True).to_numpy(dtype=bool, na_value=False)


def score_frame(
    questions: Sequence[QuestionDef],
    controls: Sequence[ControlDef],
    answers_df: pd.DataFrame,
    certificates_df: pd.DataFrame | None,
    tiers: Mapping[object, str],
    as_of: date,
    model: ScoringModel,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score many assessments at once; agrees with ``score_assessment`` on each of them.

    Returns (assessments indexed by assessment_id with risk_score, rating, effectiveness, band,
    matrix_rating, inherent_tier, model_version; control scores with assessment_id, ref, score,
    coverage).
    """
    qs = list(questions)
    ctrls = list(controls)
    tier_s = pd.Series(dict(tiers), dtype=object)
    ids = pd.Index(tier_s.index, name="assessment_id")
    ridx = {r: i for i, r in enumerate(RATINGS)}
    tier_idx = tier_s.map(ridx)
    if tier_idx.isna().any():
        bad = sorted({str(t) for t in tier_s[tier_idx.isna()]})
        raise ValueError(f"unknown inherent tier(s) {bad}; expected one of {list(RATINGS)}")
    tier_idx = tier_idx.to_numpy(dtype=np.int64)
    n_a, n_q, n_c = len(ids), len(qs), len(ctrls)
    qindex = pd.Index([q.key for q in qs])
    cindex = pd.Index([c.ref for c in ctrls])

    # ---- answers: one row per (assessment, question), then one row per chosen value --------
    # Plain numpy arrays throughout: no DataFrame copies of the (large) long format.
    df = answers_df.reindex(columns=ANSWER_COLUMNS)
    n_in = len(df)
    a_pos = ids.get_indexer(df["assessment_id"].to_numpy())
    if (a_pos < 0).any():
        bad = pd.unique(df["assessment_id"].to_numpy()[a_pos < 0])[:5].tolist()
        raise ValueError(f"answers for assessments without a tier: {bad}")
    q_codes, q_uniq = pd.factorize(df["question"].to_numpy(dtype=object))
    q_of = np.append(qindex.get_indexer(pd.Index(q_uniq).astype(str)), -1)
    q_pos = q_of[q_codes]  # -1: a question outside the questionnaire, ignored
    # One answer per (assessment, question): the last row wins, as in a dict of answers.
    flat = a_pos.astype(np.int64) * n_q + q_pos
    last = np.full(n_a * n_q + 1, -1, dtype=np.int64)
    rowid = np.arange(n_in, dtype=np.int64)
    valid = q_pos >= 0
    np.maximum.at(last, np.where(valid, flat, n_a * n_q), rowid)
    keep = np.flatnonzero(valid & (last[np.where(valid, flat, n_a * n_q)] == rowid))
    a_pos, q_pos = a_pos[keep], q_pos[keep]
    na = _truthy(df["na"])[keep]

    ev_codes, ev_uniq = pd.factorize(df["evidence"].to_numpy(dtype=object)[keep])
    factors = model.evidence_factors
    unknown = [str(u) for u in ev_uniq if u != "" and str(u) not in factors]
    if unknown:
        raise ValueError(
            f"unknown evidence state(s) {sorted(unknown)}; expected one of {list(factors)}"
        )
    ev_tab = np.array([factors["none" if u == "" else str(u)] for u in ev_uniq] + [factors["none"]])
    ev_factor = ev_tab[ev_codes]  # -1 (missing) picks the trailing "none"

    values = df["value"].to_numpy(dtype=object)[keep]
    is_multi = np.array([q.type == "multi_choice" for q in qs], dtype=bool)
    scalar_rows = np.flatnonzero(~is_multi[q_pos]) if n_q else np.arange(0)
    try:
        s_codes, s_uniq = pd.factorize(values[scalar_rows])
        multi_rows = np.flatnonzero(is_multi[q_pos]) if n_q else np.arange(0)
    except TypeError:  # a list value on a single-choice question: explode every row
        scalar_rows = np.arange(0)
        s_codes, s_uniq = np.arange(0), np.array([], dtype=object)
        multi_rows = np.arange(len(values))
    exploded = pd.Series(values[multi_rows], index=multi_rows, dtype=object).explode()
    m_codes, m_uniq = pd.factorize(exploded.to_numpy(dtype=object))
    vocab: dict[str, int] = {}

    def vocab_codes(uniques: np.ndarray) -> np.ndarray:
        out = [vocab.setdefault(norm_value(u), len(vocab)) if u != "" else -1 for u in uniques]
        return np.array(out + [-1], dtype=np.int64)  # trailing -1: factorize's "missing"

    row = np.concatenate([scalar_rows, exploded.index.to_numpy(dtype=np.int64)])
    vcode = np.concatenate([vocab_codes(s_uniq)[s_codes], vocab_codes(m_uniq)[m_codes]])
    for q in qs:
        for o in q.options:
            vocab.setdefault(o.value, len(vocab))
        for c in q.show_if:
            for v in c.values:
                vocab.setdefault(v, len(vocab))
    n_v = len(vocab)
    score_tab = np.full((n_q, n_v + 1), np.nan)  # last column: no value
    for qi, q in enumerate(qs):
        for o in q.options:
            score_tab[qi, vocab[o.value]] = o.score
    e_q = q_pos[row]
    e_na = na[row]
    opt_score = score_tab[e_q, np.where(vcode >= 0, vcode, n_v)]
    known = ~np.isnan(opt_score) & ~e_na
    n_rows = len(keep)
    k_cnt = np.bincount(row, weights=known.astype(float), minlength=n_rows)
    k_sum = np.bincount(row, weights=np.where(known, opt_score, 0.0), minlength=n_rows)
    has_ev = np.array([bool(q.evidence_kinds) for q in qs], dtype=bool)
    row_answered = k_cnt > 0
    row_score = np.where(row_answered, k_sum / np.where(row_answered, k_cnt, 1.0), 0.0)
    if n_rows:
        row_score = np.where(has_ev[q_pos], row_score * ev_factor, row_score)
    allows_na = np.array([q.allows_na for q in qs], dtype=bool)

    S = np.zeros((n_a, n_q))
    ANS = np.zeros((n_a, n_q), dtype=bool)
    NA = np.zeros((n_a, n_q), dtype=bool)
    S[a_pos, q_pos] = row_score
    ANS[a_pos, q_pos] = row_answered
    if n_rows:
        NA[a_pos, q_pos] = na & allows_na[q_pos]

    by_question: dict[int, np.ndarray] = {}

    def chosen_mask(qi: int, values: Sequence[str], options_only: bool) -> np.ndarray:
        """Assessments whose answer to question qi chose one of ``values``."""
        if qi not in by_question:
            by_question[qi] = np.flatnonzero(e_q == qi)
        sel = by_question[qi]
        wanted = [vocab[v] for v in values if v in vocab]
        hit = sel[~e_na[sel] & np.isin(vcode[sel], wanted)]
        if options_only:
            hit = hit[known[hit]]
        out = np.zeros(n_a, dtype=bool)
        out[a_pos[row[hit]]] = True
        return out

    # ---- visibility, in dependency order ---------------------------------------------------
    struct_ok = _structurally_visible(qs)
    VIS = np.zeros((n_a, n_q), dtype=bool)
    done = [False] * n_q

    def resolve(qi: int) -> None:
        if done[qi]:
            return
        done[qi] = True
        if not struct_ok[qi]:
            return
        col = np.ones(n_a, dtype=bool)
        for c in qs[qi].show_if:
            pi = qindex.get_loc(c.question)
            resolve(pi)
            col &= VIS[:, pi] & chosen_mask(pi, c.values, options_only=False)
        VIS[:, qi] = col

    for qi in range(n_q):
        resolve(qi)

    scored = np.array([bool(q.options) for q in qs], dtype=bool)
    incl = VIS & scored[None, :] & ~NA

    # ---- controls ---------------------------------------------------------------------------
    W = np.zeros((n_q, n_c))
    for qi, q in enumerate(qs):
        for cr in q.controls:
            ci = cindex.get_indexer([cr.ref])[0]
            if ci >= 0:
                W[qi, ci] += q.weight * cr.weight
    num = (S * incl) @ W
    den = incl.astype(float) @ W
    answ = (incl & ANS).astype(float) @ W
    assessed = den > 0
    safe_den = np.where(assessed, den, 1.0)
    base = np.where(assessed, num / safe_den, 0.0)
    cov = np.where(assessed, answ / safe_den, 0.0)

    # ---- certificates -----------------------------------------------------------------------
    score = base.copy()
    if certificates_df is not None and len(certificates_df):
        cdf = certificates_df.reindex(columns=CERTIFICATE_COLUMNS).reset_index(drop=True)
        c_pos = ids.get_indexer(cdf["assessment_id"])
        if (c_pos < 0).any():
            bad = cdf.loc[c_pos < 0, "assessment_id"].unique()[:5].tolist()
            raise ValueError(f"certificates for assessments without a tier: {bad}")
        kind = cdf["kind"].astype(str)
        # Compare calendar days, as score_assessment does.
        issued = pd.to_datetime(cdf["issued_on"], errors="coerce").dt.normalize()
        expires = pd.to_datetime(cdf["expires_on"], errors="coerce").dt.normalize()
        credits = model.certificate_credits
        valid_days = kind.map({k: c.valid_days for k, c in credits.items()})
        fill = issued + pd.to_timedelta(valid_days.astype(float), unit="D")
        expires = expires.where(expires.notna() | valid_days.isna(), fill)
        as_of_ts = pd.Timestamp(as_of)
        # (rows of a kind without a credit are refused anyway: their flags do not matter)
        req_scope = _truthy(kind.map({k: c.requires_scope for k, c in credits.items()}))
        req_acc = _truthy(kind.map({k: c.requires_accredited for k, c in credits.items()}))
        applied = (
            kind.isin(list(credits)).to_numpy()
            & (cdf["verification"].astype(str) == "accepted").to_numpy()
            & issued.notna().to_numpy()
            & expires.notna().to_numpy()
            & (expires >= as_of_ts).to_numpy()
            & (issued <= as_of_ts).to_numpy()
            & (~req_scope | _truthy(cdf["scope_covers_service"]))
            & (~req_acc | _truthy(cdf["accredited"]))
        )
        kind_arr = kind.to_numpy()
        for k, credit in credits.items():
            has = np.zeros(n_a, dtype=bool)
            has[c_pos[applied & (kind_arr == k)]] = True
            cover = np.array([credit.covers(c.ref) for c in ctrls], dtype=bool)
            mask = has[:, None] & cover[None, :] & assessed
            lifted = np.minimum(
                1.0, np.maximum(np.maximum(base + credit.bonus, credit.floor), base)
            )
            score = np.where(mask, np.maximum(score, lifted), score)

    # ---- objectives and effectiveness --------------------------------------------------------
    objectives = sorted({c.objective for c in ctrls}, key=ref_key)
    oindex = {o: i for i, o in enumerate(objectives)}
    OM = np.zeros((n_c, len(objectives)))
    for ci, c in enumerate(ctrls):
        OM[ci, oindex[c.objective]] = 1.0
    wc = np.array([model.control_weight(c.ref) for c in ctrls])
    wo = np.array([model.objective_weight(o) for o in objectives])
    o_wsum = (assessed * wc) @ OM
    o_num = (score * assessed * wc) @ OM
    o_assessed = o_wsum > 0
    o_score = np.where(o_assessed, o_num / np.where(o_assessed, o_wsum, 1.0), 0.0)
    w_total = o_assessed.astype(float) @ wo
    eff = np.where(
        w_total > 0, (o_score * o_assessed) @ wo / np.where(w_total > 0, w_total, 1.0), 0.0
    )
    eff6 = _round(eff, 6)

    # ---- band, matrix, knockouts, risk score -------------------------------------------------
    mins = np.array([lo for _, lo in model.bands])
    band_idx = np.argmax(eff6[:, None] >= mins[None, :], axis=1)
    band_names = np.array(model.band_names, dtype=object)
    mat = np.array(
        [[ridx[model.matrix[t][b]] for b in model.band_names] for t in RATINGS], dtype=np.int64
    )
    matrix_r = mat[tier_idx, band_idx]
    floor_r = np.zeros(n_a, dtype=np.int64)
    model_ko: dict[str, list[tuple[list[str], str]]] = {}
    for k in model.knockouts:
        model_ko.setdefault(str(k["question"]), []).append(
            ([norm_value(v) for v in k["values"]], str(k["min_rating"]))
        )
    for qi, q in enumerate(qs):
        rules = ([(list(q.knockout.values), q.knockout.min_rating)] if q.knockout else []) + (
            model_ko.get(q.key, [])
        )
        for values, min_rating in rules:
            hit = (chosen_mask(qi, values, options_only=True) | ~ANS[:, qi]) & incl[:, qi]
            floor_r = np.where(hit, np.maximum(floor_r, ridx[min_rating]), floor_r)
    rating_i = np.maximum(matrix_r, floor_r)
    inh = np.array([model.tier_inherent[t] for t in RATINGS])[tier_idx]
    raw = 100.0 * inh * (1.0 - model.max_mitigation * eff6)
    lo = np.array([model.rating_ranges[r][0] for r in RATINGS])[rating_i]
    hi = np.array([model.rating_ranges[r][1] for r in RATINGS])[rating_i]
    risk = _round(np.minimum(np.maximum(raw, lo), hi), 1)
    ratings = np.array(RATINGS, dtype=object)

    assessments = pd.DataFrame(
        {
            "risk_score": risk,
            "rating": ratings[rating_i],
            "effectiveness": _round(eff6, 4),
            "band": band_names[band_idx],
            "matrix_rating": ratings[matrix_r],
            "inherent_tier": ratings[tier_idx],
            "model_version": model.version,
        },
        index=ids,
    )
    control_scores = pd.DataFrame(
        {
            "assessment_id": np.repeat(ids.to_numpy(), n_c),
            "ref": np.tile(cindex.to_numpy(dtype=object), n_a),
            "score": _round(_round(score, 6), 4).ravel(),
            "coverage": _round(_round(cov, 6), 4).ravel(),
        }
    )
    return assessments, control_scores

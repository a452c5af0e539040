"""Evaluate compiled scoring rules on (assessments x questions) matrices, in named steps.

One code path for one assessment and for a portfolio: ``engine.score_assessment`` builds a
one-row ``Inputs`` from dataclasses, ``batch.score_frame`` a many-row one from DataFrames, and
both call ``evaluate``. The steps, in order:

1. ``reject_claims``      a claim whose evidence a reviewer rejected counts as the worst option
2. ``visibility``         show_if, parents first
3. ``conditions``         every red-flag and check condition at once
4. ``apply_checks``       consistency checks: treat_as (gating answers), then penalties
5. ``answer_scores``      option scores x evidence factor x contradiction penalty
6. ``figures``            controls, certificate credits, objectives, effectiveness, caps,
                          band, residual matrix, red-flag floors, rating, risk score
7. ``what_it_would_take`` the fewest steps (by effect) that lower the rating one step
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .compiled import Compiled
from .types import CertificateDecision

MAX_PLAN_ITERATIONS = 25


def round_half_up_arr(x: np.ndarray, digits: int) -> np.ndarray:
    """Round half up, elementwise (the same bits as ``engine.round_half_up``)."""
    f = 10.0**digits
    return np.floor(x * f + 0.5) / f


def round_half_up(x: float, digits: int) -> float:
    """Round half up; numpy's ``floor(x * 10**d + 0.5) / 10**d`` gives the same bits."""
    f = 10.0**digits
    return math.floor(x * f + 0.5) / f


def round_score(x: float) -> float:
    """Round a reported score to 4 decimals via 6, so float noise never flips a tie."""
    return round_half_up(round_half_up(x, 6), 4)


def round_score_arr(x: np.ndarray) -> np.ndarray:
    """Round a reported score to 4 decimals via 6, so float noise never flips a tie."""
    return round_half_up_arr(round_half_up_arr(x, 6), 4)


@dataclass
class Inputs:
    """Answers and certificates of n assessments, as arrays over the compiled layout.

    ``CH`` chosen options (n x options), ``NA`` N/A where the question allows it (n x questions),
    ``EV`` evidence state code 0 rejected, 1 none, 2 provided, 3 verified (n x questions),
    ``tier`` tier index (n), ``intakes`` the intake answers per assessment, ``cert_state`` the
    best certificate state per kind (n x kinds, index into CERTIFICATE_STATES),
    ``cert_applied`` whether a kind's credit applies (n x kinds), ``decisions`` the certificate
    decisions per assessment (for the explanation).
    """

    CH: np.ndarray
    NA: np.ndarray
    EV: np.ndarray
    tier: np.ndarray
    intakes: Sequence[Mapping[str, Any]]
    cert_state: np.ndarray
    cert_applied: np.ndarray
    decisions: Sequence[tuple[CertificateDecision, ...]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.tier)

    def intake_column(self, key: str) -> np.ndarray | None:
        """One intake answer across the assessments, normalised (None if any is a list)."""
        from .types import norm_value

        cache = self.__dict__.setdefault("_intake_cols", {})
        if key not in cache:
            raw = [i.get(key) for i in self.intakes]
            if any(isinstance(v, list | tuple) for v in raw):
                cache[key] = None
            else:
                cache[key] = np.array(
                    ["\x00" if v is None else norm_value(v) for v in raw], dtype=object
                )
        return cache[key]


@dataclass
class Figures:
    """What ``figures`` computes from answer scores."""

    base: np.ndarray
    score: np.ndarray
    coverage: np.ndarray
    assessed: np.ndarray
    den: np.ndarray
    o_score: np.ndarray
    o_coverage: np.ndarray
    o_assessed: np.ndarray
    o_band: np.ndarray
    share: np.ndarray
    eff6: np.ndarray
    matrix_band: np.ndarray
    cap_hits: np.ndarray
    band: np.ndarray
    matrix_rating: np.ndarray
    floor: np.ndarray
    rating: np.ndarray
    risk: np.ndarray


@dataclass
class Evaluation:
    """Every intermediate array of one evaluation; ``explain`` reads rows of it."""

    c: Compiled
    x: Inputs
    CH: np.ndarray
    known: np.ndarray
    VIS: np.ndarray
    INCL: np.ndarray
    S: np.ndarray
    flag_hits: np.ndarray
    check_hits: np.ndarray
    penalised: np.ndarray
    treated: np.ndarray
    f: Figures
    plan: dict[str, Any]
    conds: np.ndarray | None = None
    CH_checked: np.ndarray | None = None


# ---- steps ------------------------------------------------------------------------------------


def answered(c: Compiled, CH: np.ndarray) -> np.ndarray:
    """Questions with at least one known option chosen (n x questions)."""
    return (CH.astype(float) @ c.OQ) > 0


def reject_claims(c: Compiled, CH: np.ndarray, EV: np.ndarray) -> np.ndarray:
    """Replace a claim whose evidence a reviewer rejected by the question's worst option.

    Then "yes, with evidence the reviewer refused" never scores, opens follow-ups or escapes a
    red flag better than the honest "no".
    """
    # only scored questions: an informational question has no worst answer to fall back to
    rejected = (EV == 0) & (c.has_evidence & c.scored)[None, :] & answered(c, CH)
    if not rejected.any():
        return CH
    CH = CH.copy()
    rows, qs = np.nonzero(rejected)
    for a, q in zip(rows.tolist(), qs.tolist(), strict=True):
        CH[a, c.opt_start[q] : c.opt_end[q]] = False
        CH[a, c.worst_opt[q]] = True
    return CH


def visibility(c: Compiled, CH: np.ndarray) -> np.ndarray:
    """Questions whose show_if conditions all hold, parents first (a hidden parent hides)."""
    n = CH.shape[0]
    VIS = np.ones((n, c.n_q), dtype=bool)
    VIS[:, ~c.struct_ok] = False
    holds = (CH.astype(float) @ c.SHOW) > 0
    for i, parts in c.vis_steps:
        if not c.struct_ok[i]:
            continue
        p, col = parts[0]
        v = VIS[:, p] & holds[:, col]
        for p, col in parts[1:]:
            v &= VIS[:, p] & holds[:, col]
        VIS[:, i] = v
    return VIS


def conditions(
    c: Compiled, CH: np.ndarray, known: np.ndarray, VIS: np.ndarray, x: Inputs
) -> np.ndarray:
    """Evaluate every registered condition (n x conditions)."""
    n = CH.shape[0]
    M = np.zeros((n, len(c.conds)), dtype=bool)
    if len(c.qc_ids):
        chosen = (CH.astype(float) @ c.QC) > 0
        q = c.qc_q
        open_ = VIS[:, q] & ~x.NA[:, q]
        M[:, c.qc_ids] = open_ & (chosen | (c.qc_unanswered[None, :] & ~known[:, q]))
    for cid, key, values in c.intake_conds:
        col = x.intake_column(key)
        if col is None:  # multi-valued intake answers: match any of them
            M[:, cid] = [_intake_matches(intake.get(key), values) for intake in x.intakes]
        else:
            M[:, cid] = np.isin(col, list(values))
    for cid, tiers in c.tier_conds:
        M[:, cid] = tiers[x.tier]
    for cid, kind, states in c.cert_conds:
        M[:, cid] = states[x.cert_state[:, kind]]
    return M


def _intake_matches(value: Any, values: set[str]) -> bool:
    from .types import norm_value

    if isinstance(value, list | tuple):
        return any(norm_value(v) in values for v in value)
    return value is not None and norm_value(value) in values


def rule_hits(M: np.ndarray, R: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Rules (columns of R) all of whose conditions hold."""
    if R.shape[1] == 0:
        return np.zeros((M.shape[0], 0), dtype=bool)
    return (M.astype(float) @ R) >= need[None, :] - 0.5


def apply_checks(
    c: Compiled, CH: np.ndarray, known: np.ndarray, VIS: np.ndarray, x: Inputs
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run the consistency checks; a ``treat_as`` rewrites the gating answer and re-opens
    what it hid. Returns (CH, known, VIS, check hits, treated questions)."""
    hits = rule_hits(conditions(c, CH, known, VIS, x), c.CC, c.check_need)
    treated = np.zeros((CH.shape[0], c.n_q), dtype=bool)
    if hits.any() and any(ch.treat_as for ch in c.checks):
        CH = CH.copy()
        for j, ch in enumerate(c.checks):
            rows = np.flatnonzero(hits[:, j])
            for qi, opt in ch.treat_as:
                if len(rows):
                    CH[rows, c.opt_start[qi] : c.opt_end[qi]] = False
                    CH[rows, opt] = True
                    treated[rows, qi] = True
        known = answered(c, CH)
        VIS = visibility(c, CH)
    return CH, known, VIS, hits, treated


def answer_scores(
    c: Compiled, CH: np.ndarray, known: np.ndarray, EV: np.ndarray, penalised: np.ndarray,
    factor: float,
) -> np.ndarray:  # fmt: skip
    """Score each answer: option scores (mean, or capped sum), evidence, contradictions."""
    chf = CH.astype(float)
    sums = (chf * c.opt_score[None, :]) @ c.OQ
    counts = chf @ c.OQ
    agg = np.where(c.sum_mode[None, :], np.minimum(1.0, sums), sums / np.maximum(counts, 1.0))
    S = np.where(known, agg, 0.0)
    evf = np.where(c.has_evidence[None, :], c.ev_factor[EV], 1.0)
    S = S * evf
    if penalised.any():
        low = np.maximum(S * factor, c.penalty_floor[None, :] * evf)
        S = np.where(penalised, np.minimum(S, low), S)
    return S


def _effectiveness(c: Compiled, S, inc, cert_applied):
    """Controls (with certificate credits) -> objectives -> effectiveness (rounded to 6)."""
    return _effectiveness_num(c, (S * inc) @ c.W, inc @ c.W, cert_applied)


def _effectiveness_num(c: Compiled, num, den, cert_applied):
    """The same, from the controls' weighted sums."""
    assessed = den > 0
    base = np.where(assessed, num / np.where(assessed, den, 1.0), 0.0)
    # Certificates: each applicable credit lifts the controls it covers; the best lift wins
    # (credits never stack, so two copies of one certificate count once).
    score = base
    for k, credit, cover in c.credit_kinds:
        mask = cert_applied[:, k][:, None] & cover[None, :] & assessed
        if mask.any():
            lifted = np.minimum(
                1.0, np.maximum(np.maximum(base + credit.bonus, credit.floor), base)
            )
            score = np.where(mask, np.maximum(score, lifted), score)
    # Objectives: weighted mean of their assessed controls; effectiveness over objectives.
    wa = assessed * c.cw[None, :]
    o_wsum = wa @ c.OM
    o_assessed = o_wsum > 0
    o_score = np.where(o_assessed, ((score * wa) @ c.OM) / np.where(o_assessed, o_wsum, 1.0), 0.0)
    w_total = o_assessed.astype(float) @ c.wo
    safe_total = np.where(w_total > 0, w_total, 1.0)
    eff = np.where(w_total > 0, (o_score * o_assessed) @ c.wo / safe_total, 0.0)
    return (
        base,
        score,
        den,
        assessed,
        o_wsum,
        o_score,
        o_assessed,
        safe_total,
        round_half_up_arr(eff, 6),
    )


def _rating(c: Compiled, eff6, o_score, o_assessed, tier, flag_hits):
    """Band (capped) -> residual matrix -> red-flag floor -> rating."""
    matrix_band = band_of(c, eff6)
    o_band = band_of(c, round_half_up_arr(o_score, 6))
    band = matrix_band
    cap_hits = np.zeros((len(eff6), len(c.caps)), dtype=bool)
    for j, cap in enumerate(c.caps):
        weak = o_assessed & (o_band >= cap.at_or_below) & cap.members[None, :]
        cap_hits[:, j] = weak.sum(axis=1) >= cap.count
        band = np.where(cap_hits[:, j], np.maximum(band, cap.max_band), band)
    matrix_rating = c.matrix[tier, band]
    if flag_hits.shape[1]:
        floor = np.where(flag_hits, c.flag_min[None, :], 0).max(axis=1)
    else:
        floor = np.zeros(len(eff6), dtype=np.int64)
    return (
        matrix_band,
        o_band,
        cap_hits,
        band,
        matrix_rating,
        floor,
        np.maximum(matrix_rating, floor),
    )


def figures(
    c: Compiled,
    S: np.ndarray,
    INCL: np.ndarray,
    known: np.ndarray,
    cert_applied: np.ndarray,
    tier: np.ndarray,
    flag_hits: np.ndarray,
) -> Figures:
    """Controls -> certificate credits -> objectives -> effectiveness -> caps -> rating."""
    inc = INCL.astype(float)
    base, score, den, assessed, o_wsum, o_score, o_assessed, safe_total, eff6 = _effectiveness(
        c, S, inc, cert_applied
    )
    answ = (inc * known) @ c.W
    coverage = np.where(assessed, answ / np.where(assessed, den, 1.0), 0.0)
    wall = c.cw @ c.OM
    o_coverage = np.where(
        wall > 0, (coverage * c.cw[None, :]) @ c.OM / np.where(wall > 0, wall, 1.0), 0.0
    )
    obj_of = c.obj_of
    share = np.where(
        assessed & o_assessed[:, obj_of],
        c.wo[obj_of][None, :] / safe_total[:, None] * c.cw[None, :]
        / np.where(o_assessed, o_wsum, 1.0)[:, obj_of],
        0.0,
    )  # fmt: skip
    matrix_band, o_band, cap_hits, band, matrix_rating, floor, rating = _rating(
        c, eff6, o_score, o_assessed, tier, flag_hits
    )
    raw = 100.0 * c.tier_inherent[tier] * (1.0 - c.model.max_mitigation * eff6)
    risk = round_half_up_arr(np.minimum(np.maximum(raw, c.range_lo[rating]), c.range_hi[rating]), 1)
    return Figures(
        base=base, score=score, coverage=coverage, assessed=assessed, den=den, o_score=o_score,
        o_coverage=o_coverage, o_assessed=o_assessed, o_band=o_band, share=share, eff6=eff6,
        matrix_band=matrix_band, cap_hits=cap_hits, band=band, matrix_rating=matrix_rating,
        floor=floor, rating=rating, risk=risk,
    )  # fmt: skip


def rate(c: Compiled, S, inc, cert_applied, tier, flag_hits) -> tuple[np.ndarray, np.ndarray]:
    """Only the rating and effectiveness (what the plan's simulation needs)."""
    return rate_num(c, (S * inc) @ c.W, inc @ c.W, cert_applied, tier, flag_hits)


def rate_num(c: Compiled, num, den, cert_applied, tier, flag_hits):
    """Rating and effectiveness from the controls' weighted sums."""
    *_, o_score, o_assessed, _, eff6 = _effectiveness_num(c, num, den, cert_applied)
    return _rating(c, eff6, o_score, o_assessed, tier, flag_hits)[-1], eff6


def band_of(c: Compiled, values: np.ndarray) -> np.ndarray:
    """Index of the band (0 = strongest) of rounded effectiveness values."""
    return np.argmax(values[..., None] >= c.band_mins, axis=-1)


def evaluate(c: Compiled, x: Inputs) -> Evaluation:
    """Score n assessments; every figure of the result comes from here."""
    CH = reject_claims(c, x.CH, x.EV)
    known = answered(c, CH)
    VIS = visibility(c, CH) if c.has_show_if else np.ones((x.n, c.n_q), dtype=bool)
    CH_checked = CH  # the answers the checks judged (before treat_as rewrites any)
    CH, known, VIS, check_hits, treated = apply_checks(c, CH, known, VIS, x)
    penalised = (check_hits.astype(float) @ c.CP) > 0 if len(c.checks) else np.zeros_like(VIS)
    S = answer_scores(c, CH, known, x.EV, penalised, c.model.contradiction_factor)
    INCL = VIS & c.scored[None, :] & ~x.NA
    M = conditions(c, CH, known, VIS, x)
    flag_hits = rule_hits(M, c.FC, c.flag_need)
    f = figures(c, S, INCL, known, x.cert_applied, x.tier, flag_hits)
    ev = Evaluation(c, x, CH, known, VIS, INCL, S, flag_hits, check_hits, penalised, treated, f, {})
    ev.conds = M
    ev.CH_checked = CH_checked
    ev.plan = what_it_would_take(ev)
    return ev


# ---- what it would take -------------------------------------------------------------------------


def what_it_would_take(ev: Evaluation) -> dict[str, Any]:
    """Find, per assessment, the steps (by effect) that lower the rating one step.

    Steps are simulated, not estimated: each raises an answer to its best option with its
    evidence verified (a red flag's answer first, then the answers that add most effectiveness),
    and the figures are recomputed after each step until the target rating is reached.
    """
    c, f, x = ev.c, ev.f, ev.x
    n = x.n
    cur = f.rating
    target = cur - 1
    need = cur > 0
    best_possible = c.matrix[x.tier, 0]
    tier_blocked = need & (best_possible > target)
    BEST = np.broadcast_to(c.best_score, ev.S.shape)

    # the estimated gain of raising each answer to its best, ignoring credits and caps
    per_unit = np.where(f.den > 0, f.share / np.where(f.den > 0, f.den, 1.0), 0.0) @ c.W.T
    cand = ev.INCL & (ev.S < BEST - 1e-12) & ~ev.penalised
    gain = np.where(cand, (BEST - ev.S) * per_unit, 0.0)

    # red flags that hold the rating above the target must be cleared first
    blocking = ev.flag_hits & (c.flag_min[None, :] > target[:, None]) & need[:, None]
    raise0 = np.zeros((n, c.n_q), dtype=bool)
    renew0 = np.zeros_like(x.cert_applied)
    flag_steps: list[list[tuple[int, str, int]]] = [[] for _ in range(n)]
    impossible_flag = np.zeros(n, dtype=bool)
    for a, j in zip(*np.nonzero(blocking), strict=True):
        fl = c.flags[j]
        qs = [q for q in fl.questions if ev.VIS[a, q]]
        if qs:
            q = max(qs, key=lambda q: (gain[a, q], -q))
            raise0[a, q] = True
            flag_steps[a].append((j, "question", q))
            continue
        kinds = [c.conds[cid][1] for cid in fl.conds if c.conds[cid][0] == "certificate"]
        if kinds:
            renew0[a, kinds[0]] = True
            flag_steps[a].append((j, "certificate", kinds[0]))
        else:
            impossible_flag[a] = True

    steps: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    active = need & ~tier_blocked & ~impossible_flag
    possible = np.zeros(n, dtype=bool)
    reachable = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(active)
    if not len(rows):
        return _plan_result(locals())
    block = max(1, 4096 // max(1, min(MAX_PLAN_ITERATIONS, c.n_q)))
    for lo in range(0, len(rows), block):
        _greedy(ev, rows[lo : lo + block], target, gain, raise0, renew0, steps, possible, reachable)
    return _plan_result(locals())


def _greedy(ev, rows, target, gain, raise0, renew0, steps, possible, reachable) -> None:
    """Simulate the greedy plan for some rows: every prefix of the candidate list at once."""
    c, x = ev.c, ev.x
    inc = ev.INCL[rows].astype(float)
    tier, hits, tgt = x.tier[rows], ev.flag_hits[rows], target[rows]
    best = np.maximum(_best_here(ev, rows), ev.S[rows])
    S = np.where(raise0[rows], best, ev.S[rows])
    applied = x.cert_applied[rows] | (renew0[rows] & _has_credit(c)[None, :])
    raised, renewed = raise0[rows], renew0[rows]
    gain = np.where(raised, 0.0, gain[rows])
    # two states first: as the red-flag steps leave it, and with every answer at its best
    everything = np.where(gain > 0, best, S)
    pair_S = np.concatenate([S, everything])
    pair_hits = np.concatenate(
        [hits & ~_cleared(c, raised, renewed), hits & ~_cleared(c, raised | (gain > 0), renewed)]
    )
    r2 = len(rows)
    pair_rating, pair_eff = rate(
        c, pair_S, np.concatenate([inc, inc]), np.concatenate([applied, applied]),
        np.concatenate([tier, tier]), pair_hits,
    )  # fmt: skip
    done = pair_rating[:r2] <= tgt
    reach = done | (pair_rating[r2:] <= tgt)
    possible[rows] = done
    reachable[rows] = reach
    todo = np.flatnonzero(~done & reach)
    if not len(todo):
        return
    K = min(MAX_PLAN_ITERATIONS, c.n_q)
    order = np.argsort(-gain[todo], axis=1, kind="stable")[:, :K]
    valid = np.take_along_axis(gain[todo], order, axis=1) > 0
    n_t = len(todo)
    # num after each prefix = num now + the running sum of each step's rank-one change
    delta = np.take_along_axis((best - S)[todo] * inc[todo], order, axis=1) * valid
    num0 = (S[todo] * inc[todo]) @ c.W
    den = inc[todo] @ c.W
    steps_num = np.cumsum(delta[:, :, None] * c.W[order], axis=1) + num0[:, None, :]
    flag_q = np.cumsum(c.FQ[order] * valid[:, :, None], axis=1) > 0 if len(c.flags) else None
    base_clear = _cleared(c, raised[todo], renewed[todo])
    prefix_hits = (
        hits[todo][:, None, :] & ~(base_clear[:, None, :] | flag_q)
        if flag_q is not None
        else np.zeros((n_t, K, 0), dtype=bool)
    )
    # rate the prefixes in widening chunks: most plans are short
    rating = np.full((n_t, K), 99, dtype=np.int64)
    eff = np.zeros((n_t, K))
    pending = np.arange(n_t)
    lo = 0
    for hi in (min(K, 4), min(K, 10), K):
        if hi <= lo or not len(pending):
            continue
        width = hi - lo
        r, e = rate_num(
            c,
            steps_num[pending, lo:hi].reshape(len(pending) * width, c.n_c),
            np.repeat(den[pending], width, axis=0),
            np.repeat(applied[todo][pending], width, axis=0),
            np.repeat(tier[todo][pending], width),
            prefix_hits[pending, lo:hi].reshape(len(pending) * width, -1),
        )
        rating[pending, lo:hi] = r.reshape(len(pending), width)
        eff[pending, lo:hi] = e.reshape(len(pending), width)
        got = (rating[pending, lo:hi] <= tgt[todo][pending][:, None]) & valid[pending, lo:hi]
        pending = pending[~got.any(axis=1)]
        lo = hi
    reached = (rating <= tgt[todo][:, None]) & valid
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), -1)
    eff_prev = np.concatenate([pair_eff[:r2][todo][:, None], eff[:, :-1]], axis=1)
    effects = eff - eff_prev
    for t, r in enumerate(todo.tolist()):
        last = first[t] if first[t] >= 0 else int(valid[t].sum()) - 1
        steps[rows[r]].extend(
            (int(order[t, k]), float(effects[t, k])) for k in range(last + 1) if valid[t, k]
        )
        possible[rows[r]] = first[t] >= 0  # reachable, but not within the listed prefix


def _plan_result(v: dict[str, Any]) -> dict[str, Any]:
    out = {k: v[k] for k in ("target", "need", "tier_blocked", "impossible_flag", "reachable",
                             "possible", "flag_steps", "steps")}  # fmt: skip
    out["flag_gain"] = v["gain"]  # the estimated effect of a red flag's answer step
    return out


def _best_here(ev: Evaluation, rows: np.ndarray) -> np.ndarray:
    """The best score each answer can reach given the others: a best answer that a check
    would contradict (its other conditions hold) earns only the contradicted score."""
    c = ev.c
    best = np.tile(c.best_score, (len(rows), 1))
    if not len(c.checks):
        return best
    M = ev.conds[rows]
    for ch in c.checks:
        for q in ch.penalise:
            claimed = [cid for cid in ch.conds if c.conds[cid][0] == "question"
                       and c.conds[cid][1] == q]  # fmt: skip
            if not any(set(c.best_values[q]) & {c.opt_value[o] for o in c.conds[cid][2]}
                       for cid in claimed):  # fmt: skip
                continue
            others = [cid for cid in ch.conds if cid not in claimed]
            hold = M[:, others].all(axis=1) if others else np.ones(len(rows), dtype=bool)
            low = min(c.best_score[q], max(c.best_score[q] * c.model.contradiction_factor,
                                           c.penalty_floor[q]))  # fmt: skip
            best[hold, q] = np.minimum(best[hold, q], low)
    return best


def _has_credit(c: Compiled) -> np.ndarray:
    out = np.zeros(len(c.cert_kinds), dtype=bool)
    for k, _, _ in c.credit_kinds:
        out[k] = True
    return out


def _cleared(c: Compiled, raised: np.ndarray, renewed: np.ndarray) -> np.ndarray:
    """Flags that no longer hold once these answers are raised / certificates renewed."""
    if not len(c.flags):
        return np.zeros((raised.shape[0], 0), dtype=bool)
    out = (raised.astype(float) @ c.FQ) > 0
    for j, fl in enumerate(c.flags):
        for cid in fl.conds:
            cond = c.conds[cid]
            if cond[0] == "certificate":
                out[:, j] |= renewed[:, cond[1]]
    return out

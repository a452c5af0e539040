"""Turn one row of an evaluation into the typed result and its explanation."""

from __future__ import annotations

from typing import Any

import numpy as np

from .compiled import Compiled
from .evaluate import Evaluation, round_half_up_arr, round_score, round_score_arr
from .types import (
    CERTIFICATE_STATES,
    RATINGS,
    CapHit,
    CertificateDecision,
    ContradictionHit,
    ControlResult,
    Driver,
    Explanation,
    ObjectiveResult,
    Plan,
    PlanStep,
    RedFlagHit,
    ScoreResult,
    Trigger,
)


class RowView:
    """Rounded per-row arrays of an evaluation, and per-row hit lists, computed once."""

    def __init__(self, ev: Evaluation):
        f, c = ev.f, ev.c
        self.score = round_score_arr(f.score)
        self.coverage = round_score_arr(f.coverage)
        self.share = round_half_up_arr(f.share, 6)
        self.o_score = round_score_arr(f.o_score)
        self.o_coverage = round_score_arr(f.o_coverage)
        self.eff = round_half_up_arr(f.eff6, 4)
        impacts = (1.0 - f.score) * f.share
        top = c.model.drivers_top
        keys = (np.broadcast_to(c.ref_pos, impacts.shape), -impacts)
        order = np.lexsort(keys, axis=-1)[:, :top] if c.n_c else np.zeros((ev.x.n, 0), int)
        self.driver_order = order.tolist()
        self.driver_raw_impact = np.take_along_axis(impacts, order, axis=1).tolist()
        self.driver_impact = round_score_arr(np.take_along_axis(impacts, order, axis=1)).tolist()
        self.driver_gap = round_score_arr(np.take_along_axis(1.0 - f.score, order, axis=1)).tolist()
        self.driver_share = round_score_arr(np.take_along_axis(f.share, order, axis=1)).tolist()
        # what each question lost: 1 - its score, visible answers only
        self.lost_q = (1.0 - ev.S) * ev.INCL
        n = ev.x.n
        self.flags = _row_lists(ev.flag_hits, n)
        self.checks = _row_lists(ev.check_hits, n)
        self.caps = _row_lists(f.cap_hits, n)
        self.cap_objectives = [
            _row_lists(f.o_assessed & (f.o_band >= cap.at_or_below) & cap.members[None, :]
                       & f.cap_hits[:, j][:, None], n)
            for j, cap in enumerate(c.caps)
        ]  # fmt: skip
        self.cert_state = ev.x.cert_state.tolist()
        self.tier = ev.x.tier.tolist()
        self.scalars = np.stack([f.rating, f.band, f.matrix_band, f.matrix_rating], axis=1).tolist()


def _row_lists(mask: np.ndarray, n: int) -> list[list[int]]:
    """The column indices set in each row of a boolean matrix."""
    out: list[list[int]] = [[] for _ in range(n)]
    if mask.size:
        rows, cols = np.nonzero(mask)
        for r, col in zip(rows.tolist(), cols.tolist(), strict=True):
            out[r].append(col)
    return out


class Choices:
    """A row's chosen options, looked up per question on demand."""

    __slots__ = ("c", "row", "_list")

    def __init__(self, c: Compiled, row: np.ndarray):
        self.c, self.row, self._list = c, row, None

    def get(self, q: int) -> list[str]:
        if self._list is None:
            self._list = self.row.tolist()
        c, chosen = self.c, self._list
        return [c.opt_value[o] for o in range(c.opt_start[q], c.opt_end[q]) if chosen[o]]


def chosen_values(c: Compiled, CH: np.ndarray, q: int) -> Any:
    """The option value(s) a row chose for question q: a string, a list, or None."""
    opts = np.flatnonzero(CH[c.opt_start[q] : c.opt_end[q]])
    if not len(opts):
        return None
    vals = [c.opt_value[c.opt_start[q] + o] for o in opts]
    return vals if c.is_multi[q] else vals[0]


def _value(c: Compiled, by_q: Choices, q: int) -> Any:
    vals = by_q.get(q)
    if not vals:
        return None
    return vals if c.is_multi[q] else vals[0]


def explanation(ev: Evaluation, rv: RowView, a: int) -> Explanation:
    """Build the explanation of row ``a``."""
    c = ev.c
    by_q = Choices(c, ev.CH[a])
    by_q_in = Choices(c, ev.CH_checked[a]) if ev.CH_checked is not ev.CH else by_q

    drivers = []
    lost_row = None
    for ci, raw, imp, gap, share in zip(rv.driver_order[a], rv.driver_raw_impact[a],
                                        rv.driver_impact[a], rv.driver_gap[a],
                                        rv.driver_share[a], strict=True):  # fmt: skip
        if raw <= 1e-12:
            break
        if lost_row is None:
            lost_row = rv.lost_q[a].tolist()
        qs, ws = c.control_question_lists[ci]
        # most lost first; equal losses in questionnaire order
        lost = [(w * lost_row[q], -q) for q, w in zip(qs, ws, strict=True)]
        lost.sort(reverse=True)
        ctl = c.controls[ci]
        drivers.append(
            Driver(ctl.ref, ctl.title, gap, share, imp,
                   tuple(c.qkeys[-q] for w, q in lost if w > 1e-12))
        )  # fmt: skip

    flags = []
    for j in rv.flags[a]:
        fl = c.flags[j]
        flags.append(
            RedFlagHit(
                key=fl.key,
                strength=fl.strength,
                min_rating=RATINGS[fl.min_rating],
                reason=fl.reason,
                action=fl.action,
                triggers=_triggers(ev, a, fl.conds, by_q, rv),
            )
        )
    flags.sort(key=lambda h: (-RATINGS.index(h.min_rating), h.strength != "knockout", h.key))

    caps = []
    for j in rv.caps[a]:
        cap = c.caps[j]
        objectives = tuple(c.objectives[o] for o in rv.cap_objectives[j][a])
        caps.append(CapHit(cap.key, c.band_list[cap.max_band], objectives, cap.reason))

    contradictions = []
    for j in rv.checks[a]:
        ch = c.checks[j]
        contradictions.append(
            ContradictionHit(
                key=ch.key,
                message=ch.message,
                triggers=_triggers(ev, a, ch.conds, by_q_in, rv),
                penalised=tuple(c.questions[q].key for q in ch.penalise),
                treated_as={c.questions[q].key: c.opt_value[o] for q, o in ch.treat_as},
            )
        )

    rating, band, matrix_band, matrix_rating = rv.scalars[a]
    unheld = c.matrix_list[rv.tier[a]][matrix_band]
    held: list[str] = []
    if rating > unheld:
        held = [fl.key for fl in flags if RATINGS.index(fl.min_rating) == rating]
        if matrix_rating == rating:
            held += [cap.key for cap in caps if c.band_list.index(cap.max_band) == band]

    return Explanation(
        matrix_band=c.band_list[matrix_band],
        band=c.band_list[band],
        matrix_rating=RATINGS[matrix_rating],
        held_by=tuple(held),
        drivers=tuple(drivers),
        red_flags=tuple(flags),
        caps=tuple(caps),
        contradictions=tuple(contradictions),
        certificates=_decisions(ev, a),
        plan=_plan(ev, a, by_q),
    )


def _decisions(ev: Evaluation, a: int) -> tuple:
    """The row's certificate decisions, each listing the assessed controls it covers."""
    if not ev.x.decisions or not ev.x.decisions[a]:
        return ()
    c, assessed = ev.c, ev.f.assessed[a].tolist()
    return tuple(
        CertificateDecision(d.id, d.kind, d.applied, d.reason,
                            tuple(r for r in d.controls if assessed[c.cindex[r]]), d.floor, d.bonus)
        if d.controls
        else d
        for d in ev.x.decisions[a]
    )  # fmt: skip


def _triggers(ev: Evaluation, a: int, conds, by_q: Choices, rv: RowView) -> tuple[Trigger, ...]:
    c = ev.c
    out = []
    for cid in conds:
        cond = c.conds[cid]
        source = cond[0]
        if source == "question":
            q = cond[1]
            out.append(Trigger("question", c.qkeys[q], _value(c, by_q, q)))
        elif source == "intake":
            out.append(Trigger("intake", cond[1], ev.x.intakes[a].get(cond[1])))
        elif source == "tier":
            out.append(Trigger("tier", "inherent_tier", RATINGS[rv.tier[a]]))
        else:
            state = CERTIFICATE_STATES[rv.cert_state[a][cond[1]]]
            out.append(Trigger("certificate", c.cert_kinds[cond[1]], state))
    return tuple(out)


def _plan(ev: Evaluation, a: int, by_q: Choices) -> Plan:
    """Required steps first (red flags, then answers by effect); then, where room is left,
    what else helps: resolving contradictions, renewing lapsed certificates."""
    c, p, model = ev.c, ev.plan, ev.c.model
    if not p["need"][a]:
        return Plan(None, False, "already low")
    target = RATINGS[p["target"][a]]
    if p["tier_blocked"][a]:
        best = RATINGS[c.matrix[ev.x.tier[a], 0]]
        return Plan(
            target,
            False,
            f"the inherent tier rates at least {best} even with every answer at its best",
        )
    limit = model.plan_steps
    flag_steps, answer_steps = p["flag_steps"][a], p["steps"][a]
    n_required = len(flag_steps) + len(answer_steps)
    required: list[PlanStep] = []  # only the steps that are shown are built
    for j, kind, idx in flag_steps[:limit]:
        fl = c.flags[j]
        if kind == "question":
            effect = float(p["flag_gain"][a, idx])
            required.append(
                _question_step(ev, a, idx, by_q, effect=effect, reason=fl.key, action="change")
            )
        else:
            required.append(PlanStep(action="renew", certificate=c.cert_kinds[idx], reason=fl.key))
    for q, effect in answer_steps[: max(0, limit - len(required))]:
        required.append(_question_step(ev, a, q, by_q, effect=effect))
    extra: list[PlanStep] = []
    if len(required) < limit:
        extra = [PlanStep(action="resolve", reason=c.checks[j].key) for j in _checks_of(ev, a)]
        renewing = {c.cert_kinds[idx] for _, kind, idx in flag_steps if kind == "certificate"}
        for k, _, _ in c.credit_kinds:
            if ev.x.cert_state[a, k] in _LAPSED and c.cert_kinds[k] not in renewing:
                extra.append(PlanStep(action="renew", certificate=c.cert_kinds[k]))
    shown = tuple(required + extra[: max(0, limit - len(required))])
    more = max(0, n_required - limit)
    if p["impossible_flag"][a]:
        return Plan(target, False, "a red flag depends only on the intake", shown, more)
    if p["reachable"][a] and not p["possible"][a]:
        return Plan(target, True, "needs many changes; the first ones are listed", shown, more)
    if not p["possible"][a]:
        return Plan(target, False, "not reachable by improving answers alone", shown, more)
    return Plan(target, True, "", shown, more)


_LAPSED = frozenset({CERTIFICATE_STATES.index("expired"), CERTIFICATE_STATES.index("suspended")})


def _checks_of(ev: Evaluation, a: int) -> list[int]:
    return np.flatnonzero(ev.check_hits[a]).tolist() if ev.check_hits.shape[1] else []


def _question_step(ev, a, q, by_q, effect=0.0, reason="", action=None) -> PlanStep:
    c = ev.c
    qd = c.questions[q]
    ci = c.primary_control[q]
    best = c.best_values[q]
    target = best[0] if len(best) == 1 else ",".join(best)
    if action is None:
        if not ev.known[a, q]:
            action = "answer"
        elif _value(c, by_q, q) == (list(best) if c.is_multi[q] else best[0]):
            action = "evidence"
        else:
            action = "improve"
    return PlanStep(
        action=action,
        question=qd.key,
        target=target,
        control=c.controls[ci].ref if ci is not None else None,
        effect=round_score(effect),
        reason=reason,
    )


def result(ev: Evaluation, rv: RowView, a: int) -> ScoreResult:
    """Build the full typed result of row ``a`` (figures, controls, objectives, explanation)."""
    c, f = ev.c, ev.f
    controls = tuple(
        ControlResult(ctl.ref, ctl.objective, ctl.title, s, cov, w)
        for ctl, s, cov, w in zip(
            c.controls, rv.score[a].tolist(), rv.coverage[a].tolist(), rv.share[a].tolist(),
            strict=True,
        )
    )  # fmt: skip
    band_names = c.model.band_names
    objectives = tuple(
        ObjectiveResult(o, s, cov, band_names[b] if ok else None)
        for o, s, cov, b, ok in zip(
            c.objectives, rv.o_score[a].tolist(), rv.o_coverage[a].tolist(),
            f.o_band[a].tolist(), f.o_assessed[a].tolist(), strict=True,
        )
    )  # fmt: skip
    return ScoreResult(
        risk_score=float(f.risk[a]),
        rating=RATINGS[f.rating[a]],
        inherent_tier=RATINGS[ev.x.tier[a]],
        effectiveness=float(rv.eff[a]),
        controls=controls,
        objectives=objectives,
        third_party_objective=c.model.third_party_objective,
        explanation=explanation(ev, rv, a),
        model_version=c.model.version,
    )

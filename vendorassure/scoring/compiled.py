"""Compile a questionnaire version, the control catalog and a scoring model into arrays.

The engine scores one assessment or twenty thousand with the same code: everything that does
not depend on the answers (option scores, mappings, visibility order, red flags, caps, checks)
is turned into numpy arrays here once, and ``evaluate`` works on (assessments x questions)
matrices. Compiled layouts are cached, since questionnaire versions never change.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .model import CERTIFICATE_KINDS, RuleCondition, ScoringModel
from .types import CERTIFICATE_STATES, RATINGS, ControlDef, QuestionDef

_RIDX = {r: i for i, r in enumerate(RATINGS)}
_SIDX = {s: i for i, s in enumerate(CERTIFICATE_STATES)}


def ref_key(ref: str) -> tuple[Any, ...]:
    """Sort key that orders A.2.2 < A.2.10 < A.10.2."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.]", ref))


@dataclass(frozen=True)
class Flag:
    """A compiled red flag (model rules and the questionnaire's knockouts alike)."""

    key: str
    strength: str
    min_rating: int
    reason: str
    action: str
    conds: tuple[int, ...]  # indices into Compiled.conds
    questions: tuple[int, ...]  # question indices its question conditions name


@dataclass(frozen=True)
class Check:
    """A compiled consistency check."""

    key: str
    message: str
    conds: tuple[int, ...]
    penalise: tuple[int, ...]  # question indices
    treat_as: tuple[tuple[int, int], ...]  # (question index, global option index)


@dataclass(frozen=True)
class Cap:
    """A compiled objective cap."""

    key: str
    members: np.ndarray  # bool over objectives
    at_or_below: int  # band index
    count: int
    max_band: int
    reason: str


class Compiled:
    """Everything about a questionnaire x catalog x model that does not depend on answers."""

    def __init__(
        self,
        questions: Sequence[QuestionDef],
        controls: Sequence[ControlDef],
        model: ScoringModel,
    ):
        self.model = model
        self.questions = tuple(questions)
        self.controls = tuple(controls)
        qs, cs = self.questions, self.controls
        self.n_q, self.n_c = len(qs), len(cs)
        self.qindex = {q.key: i for i, q in enumerate(qs)}
        self.qkeys = [q.key for q in qs]
        self.cindex = {c.ref: i for i, c in enumerate(cs)}

        # ---- options, flattened: question i owns options opt_start[i]:opt_end[i] ----------
        self.opt_q: list[int] = []
        self.opt_value: list[str] = []
        self.opt_index: list[dict[str, int]] = []
        starts, ends = [], []
        for i, q in enumerate(qs):
            starts.append(len(self.opt_q))
            idx = {}
            for o in q.options:
                idx[o.value] = len(self.opt_q)
                self.opt_q.append(i)
                self.opt_value.append(o.value)
            self.opt_index.append(idx)
            ends.append(len(self.opt_q))
        self.n_opt = len(self.opt_q)
        self.opt_start = starts  # python ints: looked up one by one when explaining
        self.opt_end = ends
        self.opt_score = np.array([o.score for q in qs for o in q.options], dtype=float).reshape(
            self.n_opt
        )
        # option -> question indicator, for per-question sums and counts by matrix product
        self.OQ = np.zeros((self.n_opt, self.n_q))
        self.OQ[np.arange(self.n_opt), np.array(self.opt_q, dtype=np.int64)] = 1.0
        self.has_options = np.array([bool(q.options) for q in qs], dtype=bool)
        self.scored = np.array([q.scored for q in qs], dtype=bool)
        self.is_multi = np.array([q.type == "multi_choice" for q in qs], dtype=bool)
        self.sum_mode = np.array(
            [q.type == "multi_choice" and q.score_mode == "sum" for q in qs], dtype=bool
        )
        self.has_evidence = np.array([bool(q.evidence_kinds) for q in qs], dtype=bool)
        self.allows_na = np.array([q.allows_na for q in qs], dtype=bool)
        self.weight = np.array([q.weight for q in qs], dtype=float)
        # the best answer a question can get, and its worst option (what a rejected claim is)
        best, worst, best_opts = [], [], []
        for q in qs:
            if not q.options:
                best.append(0.0)
                worst.append(-1)
                best_opts.append(())
                continue
            if q.type == "multi_choice" and q.score_mode == "sum":
                picks = tuple(o.value for o in q.options if o.score > 0 and not o.exclusive)
                best.append(min(1.0, sum(q.score_map[v] for v in picks)) if picks else 0.0)
                best_opts.append(picks)
            else:
                top = max(q.options, key=lambda o: o.score)
                best.append(top.score)
                best_opts.append((top.value,))
            low = min(range(len(q.options)), key=lambda j: q.options[j].score)
            worst.append(low)
        self.best_score = np.array(best, dtype=float)
        self.best_values = tuple(best_opts)
        self.worst_opt = np.array(
            [self.opt_start[i] + w if w >= 0 else -1 for i, w in enumerate(worst)],
            dtype=np.int64,
        )

        # ---- visibility: questions in dependency order, each condition as an option mask ----
        self.gates = {c.question for q in qs for c in q.show_if if c.question in self.qindex}
        self.is_gate = np.array([q.key in self.gates for q in qs], dtype=bool)
        self.show_if: list[list[tuple[int, np.ndarray]]] = []
        self.struct_ok = np.ones(self.n_q, dtype=bool)
        for i, q in enumerate(qs):
            conds = []
            for c in q.show_if:
                p = self.qindex.get(c.question)
                if p is None:
                    self.struct_ok[i] = False
                    continue
                opts = [self.opt_index[p][v] for v in c.values if v in self.opt_index[p]]
                conds.append((p, np.array(opts, dtype=np.int64)))
            self.show_if.append(conds)
        self.vis_order = self._visibility_order()
        # every show_if condition as a column over options: CH @ SHOW > 0 evaluates them all
        vis_conds = [(i, p, opts) for i in self.vis_order for p, opts in self.show_if[i]]
        self.SHOW = np.zeros((self.n_opt, len(vis_conds)))
        self.vis_steps: list[tuple[int, list[tuple[int, int]]]] = []
        col = 0
        for i in self.vis_order:
            parts = []
            for p, opts in self.show_if[i]:
                self.SHOW[opts, col] = 1.0
                parts.append((p, col))
                col += 1
            self.vis_steps.append((i, parts))
        self.has_show_if = bool(any(q.show_if for q in qs))

        # ---- controls: dense question x control weights --------------------------------------
        self.W = np.zeros((self.n_q, self.n_c))
        for i, q in enumerate(qs):
            if not q.scored:
                continue
            for cr in q.controls:
                ci = self.cindex.get(cr.ref)
                if ci is not None:
                    self.W[i, ci] += q.weight * cr.weight
        self.control_questions = [np.flatnonzero(self.W[:, ci] > 0) for ci in range(self.n_c)]
        self.control_question_lists = [
            (qs.tolist(), self.W[qs, ci].tolist()) for ci, qs in enumerate(self.control_questions)
        ]
        self.primary_control = [
            int(np.argmax(self.W[i])) if self.W[i].any() else None for i in range(self.n_q)
        ]

        # ---- objectives --------------------------------------------------------------------
        self.objectives = tuple(sorted({c.objective for c in cs}, key=ref_key))
        oindex = {o: i for i, o in enumerate(self.objectives)}
        self.n_o = len(self.objectives)
        self.OM = np.zeros((self.n_c, self.n_o))
        for ci, c in enumerate(cs):
            self.OM[ci, oindex[c.objective]] = 1.0
        self.obj_of = np.array([oindex[c.objective] for c in cs], dtype=np.int64)
        rank = sorted(range(self.n_c), key=lambda i: ref_key(cs[i].ref))
        self.ref_pos = np.empty(self.n_c, dtype=np.int64)
        self.ref_pos[rank] = np.arange(self.n_c)
        self.cw = np.array([model.control_weight(c.ref) for c in cs], dtype=float)
        self.wo = np.array([model.objective_weight(o) for o in self.objectives], dtype=float)
        self.tp_index = oindex.get(model.third_party_objective)

        # ---- bands, matrix, risk ----------------------------------------------------------
        self.band_mins = np.array([lo for _, lo in model.bands], dtype=float)
        self.band_names = np.array(model.band_names, dtype=object)
        self.band_list = list(model.band_names)
        self.matrix = np.array(
            [[_RIDX[model.matrix[t][b]] for b in model.band_names] for t in RATINGS],
            dtype=np.int64,
        )
        self.matrix_list = self.matrix.tolist()
        self.tier_inherent = np.array([model.tier_inherent[t] for t in RATINGS], dtype=float)
        self.range_lo = np.array([model.rating_ranges[r][0] for r in RATINGS], dtype=float)
        self.range_hi = np.array([model.rating_ranges[r][1] for r in RATINGS], dtype=float)
        f = model.evidence_factors
        self.ev_factor = np.array([f[s] for s in ("rejected", "none", "provided", "verified")])

        # ---- certificates: credit kinds and the controls each covers ----------------------
        self.cert_kinds = tuple(
            dict.fromkeys(list(CERTIFICATE_KINDS) + list(model.certificate_credits))
        )
        self.kindex = {k: i for i, k in enumerate(self.cert_kinds)}
        self.credit_kinds = [
            (self.kindex[k], c, np.array([c.covers(x.ref) for x in cs], dtype=bool))
            for k, c in model.certificate_credits.items()
        ]
        self.cover_refs = {
            k: tuple(x.ref for x in cs if c.covers(x.ref))
            for k, c in model.certificate_credits.items()
        }

        # ---- conditions of red flags and checks -----------------------------------------------
        self.conds: list[tuple[str, int, Any]] = []  # (source, index, payload)
        self._cond_ids: dict[tuple, int] = {}
        self.flags = self._compile_flags()
        self.checks = self._compile_checks()
        self.caps = self._compile_caps()
        self._finish_conditions()

    # ---- helpers ------------------------------------------------------------------------------

    def _visibility_order(self) -> list[int]:
        """Questions with show_if, parents first; a question in a cycle stays hidden."""
        order, state = [], {}

        def visit(i: int, path: frozenset[int]) -> bool:
            if i in state:
                return state[i]
            if i in path:
                return False
            ok = bool(self.struct_ok[i])
            for p, _ in self.show_if[i]:
                ok = visit(p, path | {i}) and ok
            state[i] = ok
            if not ok:
                self.struct_ok[i] = False
            if self.show_if[i]:
                order.append(i)
            return ok

        for i in range(self.n_q):
            visit(i, frozenset())
        return order

    def _cond(self, c: RuleCondition, *, unanswered_matches: bool) -> int | None:
        """Register a condition; None when it can never hold for this questionnaire."""
        if c.source == "question":
            qi = self.qindex.get(c.key)
            if qi is None:
                return None
            opts = tuple(self.opt_index[qi][v] for v in c.values if v in self.opt_index[qi])
            if not opts and not unanswered_matches:
                return None
            key = ("question", qi, opts, unanswered_matches)
        elif c.source == "intake":
            key = ("intake", c.key, tuple(sorted(c.values)))
        elif c.source == "tier":
            key = ("tier", tuple(sorted(_RIDX[t] for t in c.values)))
        else:
            key = ("certificate", self.kindex[c.key], tuple(sorted(_SIDX[s] for s in c.values)))
        if key not in self._cond_ids:
            self._cond_ids[key] = len(self.conds)
            self.conds.append(key)
        return self._cond_ids[key]

    def _compile_flags(self) -> tuple[Flag, ...]:
        out: list[Flag] = []
        for q in self.questions:
            if q.knockout is not None:
                out.append(self._knockout_flag(q, q.knockout.values, q.knockout.min_rating, ""))
        for k in self.model.knockouts:  # the model file's legacy knockout list
            q = self.questions[self.qindex[k["question"]]] if k["question"] in self.qindex else None
            if q is not None:
                values = tuple(str(v) for v in k["values"])
                out.append(self._knockout_flag(q, values, str(k["min_rating"]), "model."))
        for r in self.model.red_flags:
            ids, qis = [], []
            for c in r.when:
                cid = self._cond(c, unanswered_matches=True)
                if cid is None:
                    break
                ids.append(cid)
                if c.source == "question":
                    qis.append(self.qindex[c.key])
            else:
                out.append(
                    Flag(r.key, r.strength, _RIDX[r.min_rating], r.reason, r.action,
                         tuple(ids), tuple(qis))
                )  # fmt: skip
        return tuple(out)

    def _knockout_flag(self, q: QuestionDef, values, min_rating: str, prefix: str) -> Flag:
        cid = self._cond(RuleCondition("question", q.key, tuple(values)), unanswered_matches=True)
        return Flag(
            key=f"{prefix}knockout.{q.key}",
            strength="knockout",
            min_rating=_RIDX[min_rating],
            reason="",
            action="",
            conds=(cid,),
            questions=(self.qindex[q.key],),
        )

    def _compile_checks(self) -> tuple[Check, ...]:
        out: list[Check] = []
        for r in self.model.checks:
            ids = []
            for c in r.when:
                # An unanswered question matches where its worst answer would (not answering
                # is never better), and always for a check that stops hiding (treat_as).
                unanswered = bool(r.treat_as) or (
                    c.source == "question"
                    and c.key in self.qindex
                    and self._worst_value(self.qindex[c.key]) in c.values
                )
                cid = self._cond(c, unanswered_matches=unanswered)
                if cid is None:
                    break
                ids.append(cid)
            else:
                treat = []
                for k, v in r.treat_as:
                    qi = self.qindex[k]
                    if v in self.opt_index[qi]:
                        treat.append((qi, self.opt_index[qi][v]))
                out.append(
                    Check(
                        key=r.key,
                        message=r.message,
                        conds=tuple(ids),
                        penalise=tuple(self.qindex[p] for p in r.penalise),
                        treat_as=tuple(treat),
                    )
                )
        return tuple(out)

    def _worst_value(self, qi: int) -> str | None:
        w = self.worst_opt[qi]
        return self.opt_value[w] if w >= 0 else None

    def _compile_caps(self) -> tuple[Cap, ...]:
        bidx = {b: i for i, b in enumerate(self.model.band_names)}
        out = []
        for r in self.model.caps:
            members = np.array(
                [r.objectives is None or o in r.objectives for o in self.objectives], dtype=bool
            )
            out.append(
                Cap(r.key, members, bidx[r.at_or_below], r.count, bidx[r.max_band], r.reason)
            )
        return tuple(out)

    def _finish_conditions(self) -> None:
        """Arrays that evaluate every condition at once."""
        q_conds = [i for i, c in enumerate(self.conds) if c[0] == "question"]
        self.qc_ids = np.array(q_conds, dtype=np.int64)
        self.qc_q = np.array([self.conds[i][1] for i in q_conds], dtype=np.int64)
        self.qc_unanswered = np.array([self.conds[i][3] for i in q_conds], dtype=bool)
        self.QC = np.zeros((self.n_opt, len(q_conds)))
        for j, i in enumerate(q_conds):
            for o in self.conds[i][2]:
                self.QC[o, j] = 1.0
        self.intake_conds = [(i, c[1], set(c[2])) for i, c in enumerate(self.conds)
                             if c[0] == "intake"]  # fmt: skip
        self.tier_conds = [(i, np.isin(np.arange(len(RATINGS)), c[1]))
                           for i, c in enumerate(self.conds) if c[0] == "tier"]  # fmt: skip
        self.cert_conds = [(i, c[1], np.isin(np.arange(len(CERTIFICATE_STATES)), c[2]))
                           for i, c in enumerate(self.conds) if c[0] == "certificate"]  # fmt: skip
        n_cond = len(self.conds)
        self.FC = np.zeros((n_cond, len(self.flags)))
        for j, f in enumerate(self.flags):
            self.FC[list(f.conds), j] = 1.0
        self.flag_need = self.FC.sum(axis=0)
        self.flag_min = np.array([f.min_rating for f in self.flags], dtype=np.int64)
        self.FQ = np.zeros((self.n_q, len(self.flags)))
        for j, f in enumerate(self.flags):
            self.FQ[list(f.questions), j] = 1.0
        self.CC = np.zeros((n_cond, len(self.checks)))
        for j, c in enumerate(self.checks):
            self.CC[list(c.conds), j] = 1.0
        self.check_need = self.CC.sum(axis=0)
        self.CP = np.zeros((len(self.checks), self.n_q))
        for j, c in enumerate(self.checks):
            self.CP[j, list(c.penalise)] = 1.0
        # A contradicted claim never scores below the best answer outside the claim.
        alt = self.best_score.copy()
        for c in self.checks:
            for qi in c.penalise:
                claimed = set()
                for cid in c.conds:
                    cond = self.conds[cid]
                    if cond[0] == "question" and cond[1] == qi:
                        claimed |= set(cond[2])
                rest = [self.opt_score[o] for o in range(self.opt_start[qi], self.opt_end[qi])
                        if o not in claimed]  # fmt: skip
                alt[qi] = min(alt[qi], max(rest) if rest else 0.0)
        self.penalty_floor = alt
        self.caps_members = (
            np.array([c.members for c in self.caps], dtype=float).T
            if self.caps
            else np.zeros((self.n_o, 0))
        )


_CACHE: dict[tuple[int, int, int], tuple[Any, Any, Any, Compiled]] = {}
_LOCK = threading.Lock()


def compiled(
    questions: Sequence[QuestionDef], controls: Sequence[ControlDef], model: ScoringModel
) -> Compiled:
    """Return the compiled layout, cached by the identity of the three inputs."""
    key = (id(questions), id(controls), id(model))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is questions and hit[1] is controls and hit[2] is model:
        return hit[3]
    c = Compiled(questions, controls, model)
    with _LOCK:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = (questions, controls, model, c)
    return c

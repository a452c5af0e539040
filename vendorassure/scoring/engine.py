"""Score one assessment: answers -> controls -> objectives -> effectiveness -> rating.

``score_assessment`` turns one ``ScoringInput`` into the arrays ``evaluate`` works on and reads
the result back; the batch path (``batch.score_frame``) feeds the same ``evaluate`` from
DataFrames, so both give the same result by construction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

import numpy as np

from .compiled import Compiled, compiled, ref_key
from .evaluate import Inputs, evaluate, round_half_up, round_score
from .explain import RowView, result
from .model import CertificateCredit, ScoringModel
from .types import (
    CERTIFICATE_STATES,
    EVIDENCE_STATES,
    RATINGS,
    AnswerIn,
    CertificateDecision,
    CertificateIn,
    QuestionDef,
    ScoreResult,
    ScoringInput,
    norm_value,
)

__all__ = [
    "as_date",
    "certificate_decision",
    "chosen_values",
    "evidence_state",
    "ref_key",
    "round_half_up",
    "round_score",
    "score_assessment",
    "score_many",
    "visible_questions",
]

_RIDX = {r: i for i, r in enumerate(RATINGS)}
_EIDX = {s: i for i, s in enumerate(EVIDENCE_STATES)}
_SIDX = {s: i for i, s in enumerate(CERTIFICATE_STATES)}
# What a certificate decision means for the state conditions of red flags and checks.
_STATE_OF_REASON = {
    "applied": "current",
    "not yet verified": "pending",
    "rejected": "rejected",
    "suspended": "suspended",
    "expired": "expired",
    "not yet valid": "refused",
    "no validity dates": "refused",
    "out of scope": "refused",
    "not accredited": "refused",
}
# A certificate kind the model gives no credit still has a state (claimed vs on file).
_NO_CREDIT = CertificateCredit("", (), 0.0, 0.0, requires_scope=True, requires_accredited=False)


def evidence_state(value: object) -> str:
    """Normalise an evidence state; empty means "none"; unknown states are refused."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return "none"
    s = str(value)
    if s not in EVIDENCE_STATES:
        raise ValueError(f"unknown evidence state {s!r}; expected one of {list(EVIDENCE_STATES)}")
    return s


def chosen_values(answer: AnswerIn | None) -> list[str]:
    """Return the answer's chosen values as strings ([] when unanswered or N/A)."""
    if answer is None or answer.na:
        return []
    v = answer.value
    if v is None:
        return []
    if isinstance(v, list | tuple | set | frozenset):
        return [norm_value(x) for x in v if x is not None and x != ""]
    if isinstance(v, float) and math.isnan(v):
        return []
    s = norm_value(v)
    return [s] if s != "" else []


def visible_questions(
    questions: Sequence[QuestionDef], answers: Mapping[str, AnswerIn]
) -> set[str]:
    """Return the keys of questions whose show_if conditions all hold (hidden parents hide).

    The portal and the services use this plain version; ``evaluate.visibility`` is the
    vectorised one the scores come from (a property test keeps the two in agreement).
    """
    by_key = {q.key: q for q in questions}
    memo: dict[str, bool] = {}

    def visible(key: str, path: frozenset[str]) -> bool:
        if key in memo:
            return memo[key]
        q = by_key.get(key)
        if q is None or key in path:  # unknown parent or a cycle: hidden
            return False
        ok = True
        for cond in q.show_if:
            if not visible(cond.question, path | {key}):
                ok = False
                break
            if not set(chosen_values(answers.get(cond.question))) & set(cond.values):
                ok = False
                break
        memo[key] = ok
        return ok

    return {q.key for q in questions if visible(q.key, frozenset())}


def as_date(value: object) -> date | None:
    """Accept a date, a datetime or an ISO ``YYYY-MM-DD`` string (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def certificate_decision(cert: CertificateIn, credit: CertificateCredit | None, as_of: date) -> str:
    """Return "applied" or the reason a certificate earns no credit on ``as_of``."""
    if credit is None:
        return "wrong kind"
    if cert.verification == "rejected":
        return "rejected"
    if cert.suspended:
        return "suspended"
    if cert.verification != "accepted":
        return "not yet verified"
    issued, expires, as_of = as_date(cert.issued_on), as_date(cert.expires_on), as_date(as_of)
    if expires is None and credit.valid_days and issued is not None:
        expires = issued + timedelta(days=credit.valid_days)
    if issued is None or expires is None or as_of is None:
        return "no validity dates"
    if as_of > expires:
        return "expired"
    if as_of < issued:
        return "not yet valid"
    if credit.requires_scope and cert.scope_covers_service is not True:
        return "out of scope"
    if credit.requires_accredited and cert.accredited is not True:
        return "not accredited"
    return "applied"


def certificate_inputs(
    c: Compiled, certificates: Sequence[CertificateIn], as_of: date
) -> tuple[list[int], list[bool], tuple[CertificateDecision, ...]]:
    """Decide every certificate; return (state per kind, credit applied per kind, decisions)."""
    missing = _SIDX["missing"]
    state = [missing] * len(c.cert_kinds)
    applied = [False] * len(c.cert_kinds)
    credits = c.model.certificate_credits
    decisions = []
    for cert in certificates:
        credit = credits.get(cert.kind)
        reason = certificate_decision(cert, credit, as_of)
        k = c.kindex.get(cert.kind)
        if k is not None:
            r = reason if credit is not None else certificate_decision(cert, _NO_CREDIT, as_of)
            state[k] = min(state[k], _SIDX[_STATE_OF_REASON[r]])
            applied[k] = applied[k] or reason == "applied"
        ok = reason == "applied"
        decisions.append(
            CertificateDecision(
                cert.id, cert.kind, ok, reason, c.cover_refs.get(cert.kind, ()),
                credit.floor if ok else None, credit.bonus if ok else None,
            )
        )  # fmt: skip
    return state, applied, tuple(decisions)


def inputs_from_dataclasses(c: Compiled, items: Sequence[ScoringInput]) -> Inputs:
    """Build the evaluation arrays of assessments given as ``ScoringInput``s."""
    n = len(items)
    CH = np.zeros((n, c.n_opt), dtype=bool)
    NA = np.zeros((n, c.n_q), dtype=bool)
    EV = np.full((n, c.n_q), _EIDX["none"], dtype=np.int64)
    tier = np.zeros(n, dtype=np.int64)
    cert_state = np.zeros((n, len(c.cert_kinds)), dtype=np.int64)
    cert_applied = np.zeros((n, len(c.cert_kinds)), dtype=bool)
    decisions = []
    allows_na = c.allows_na.tolist()
    for row, inp in enumerate(items):
        t = _RIDX.get(inp.inherent_tier)
        if t is None:
            raise ValueError(
                f"unknown inherent tier {inp.inherent_tier!r}; expected one of {list(RATINGS)}"
            )
        tier[row] = t
        ev_row, na_row, ch_row = EV[row], NA[row], CH[row]
        for key, a in inp.answers.items():
            qi = c.qindex.get(key)
            if qi is None:
                continue
            e = _EIDX.get(a.evidence) if isinstance(a.evidence, str) else None
            ev_row[qi] = e if e is not None else _EIDX[evidence_state(a.evidence)]
            if a.na:
                na_row[qi] = allows_na[qi]
                continue
            idx = c.opt_index[qi]
            v = a.value
            if type(v) is str:  # the common case, without the general normalisation
                o = idx.get(v)
                if o is not None:
                    ch_row[o] = True
                continue
            for v in chosen_values(a):
                o = idx.get(v)
                if o is not None:
                    ch_row[o] = True
        cert_state[row], cert_applied[row], d = certificate_inputs(c, inp.certificates, inp.as_of)
        decisions.append(d)
    return Inputs(CH, NA, EV, tier, [dict(i.intake) for i in items], cert_state, cert_applied,
                  decisions)  # fmt: skip


def score_many(items: Sequence[ScoringInput], model: ScoringModel) -> list[ScoreResult]:
    """Score assessments of one questionnaire version at once (same questions and controls)."""
    groups: dict[tuple[int, int], list[int]] = {}
    for i, inp in enumerate(items):
        groups.setdefault((id(inp.questions), id(inp.controls)), []).append(i)
    out: list[ScoreResult | None] = [None] * len(items)
    for rows in groups.values():
        first = items[rows[0]]
        c = compiled(first.questions, first.controls, model)
        ev = evaluate(c, inputs_from_dataclasses(c, [items[i] for i in rows]))
        rv = RowView(ev)
        for j, i in enumerate(rows):
            out[i] = result(ev, rv, j)
    return out  # type: ignore[return-value]


def score_assessment(inp: ScoringInput, model: ScoringModel) -> ScoreResult:
    """Score one assessment against a scoring model."""
    return score_many([inp], model)[0]

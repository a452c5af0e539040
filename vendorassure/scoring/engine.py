"""Score one assessment: answers -> controls -> objectives -> effectiveness -> rating."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from .model import CertificateCredit, ScoringModel
from .types import (
    EVIDENCE_STATES,
    RATINGS,
    AnswerIn,
    CertificateIn,
    ControlDef,
    ControlResult,
    QuestionDef,
    ScoreResult,
    ScoringInput,
    norm_value,
)

_RIDX = {r: i for i, r in enumerate(RATINGS)}


def round_half_up(x: float, digits: int) -> float:
    """Round half up; numpy's ``floor(x * 10**d + 0.5) / 10**d`` gives the same bits."""
    f = 10.0**digits
    return math.floor(x * f + 0.5) / f


def round_score(x: float) -> float:
    """Round a reported score to 4 decimals via 6, so float noise never flips a tie."""
    return round_half_up(round_half_up(x, 6), 4)


@lru_cache(maxsize=4096)
def ref_key(ref: str) -> tuple[Any, ...]:
    """Sort key that orders A.2.2 < A.2.10 < A.10.2."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.]", ref))


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
    """Return the keys of questions whose show_if conditions all hold (hidden parents hide)."""
    # Fast path: parents come before their children (as questionnaires are written).
    seen: dict[str, QuestionDef] = {}
    fast: set[str] = set()
    for q in questions:
        ok = True
        for cond in q.show_if:
            parent = seen.get(cond.question)
            if parent is None:
                return _visible_any_order(questions, answers)
            if cond.question not in fast:
                ok = False
                break
            a = answers.get(cond.question)
            if a is None or (a.na and not parent.allows_na):
                ok = False
                break
            if not set(chosen_values(a)) & set(cond.values):
                ok = False
                break
        seen[q.key] = q
        if ok:
            fast.add(q.key)
    return fast


def _visible_any_order(
    questions: Sequence[QuestionDef], answers: Mapping[str, AnswerIn]
) -> set[str]:
    """Visibility when a parent comes after its child, is unknown or is part of a cycle."""
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
            parent = by_key[cond.question]
            a = answers.get(cond.question)
            if a is not None and a.na and not parent.allows_na:
                a = AnswerIn(question=a.question, value=None)
            if not set(chosen_values(a)) & set(cond.values):
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


def _knockout_rules(q: QuestionDef, model: ScoringModel) -> list[tuple[frozenset[str], str]]:
    rules = []
    if q.knockout is not None:
        rules.append((frozenset(q.knockout.values), q.knockout.min_rating))
    for k in model.knockouts:
        if k["question"] == q.key:
            rules.append((frozenset(norm_value(v) for v in k["values"]), str(k["min_rating"])))
    return rules


def score_assessment(inp: ScoringInput, model: ScoringModel) -> ScoreResult:
    """Score one assessment against a scoring model."""
    tier = inp.inherent_tier
    if tier not in _RIDX:
        raise ValueError(f"unknown inherent tier {tier!r}; expected one of {list(RATINGS)}")
    factors = model.evidence_factors
    answers = inp.answers
    controls: list[ControlDef] = list(inp.controls)
    cidx = {c.ref: i for i, c in enumerate(controls)}
    n = len(controls)
    num = [0.0] * n
    den = [0.0] * n
    ans_w = [0.0] * n
    lost: list[list[tuple[str, float]]] = [[] for _ in range(n)]
    knockouts: list[dict[str, Any]] = []

    vis = visible_questions(inp.questions, answers)
    for q in inp.questions:
        if q.key not in vis or not q.options:
            continue
        a = answers.get(q.key)
        if a is not None and a.na and q.allows_na:
            continue  # N/A leaves the denominator
        scores = q.score_map
        known = [v for v in chosen_values(a) if v in scores]
        if known:
            s = sum(scores[v] for v in known) / len(known)
            if q.evidence_kinds:
                s *= factors[evidence_state(a.evidence if a else None)]
            answered = True
        else:
            s, answered = 0.0, False
        for values, min_rating in _knockout_rules(q, model):
            # An unanswered knockout question is never better than its knockout answer.
            hit: list[str | None] = [v for v in known if v in values] if known else [None]
            if hit:
                knockouts.append(
                    {
                        "question": q.key,
                        "value": hit[0] if len(hit) == 1 else hit,
                        "min_rating": min_rating,
                    }
                )
        for cr in q.controls:
            i = cidx.get(cr.ref)
            if i is None:
                continue
            w = q.weight * cr.weight
            num[i] += w * s
            den[i] += w
            if answered:
                ans_w[i] += w
            lost[i].append((q.key, w * (1.0 - s)))

    assessed = [d > 0 for d in den]
    score = [num[i] / den[i] if assessed[i] else 0.0 for i in range(n)]
    coverage = [ans_w[i] / den[i] if assessed[i] else 0.0 for i in range(n)]

    # Certificates: each applicable credit lifts the answer-based score; the best lift wins
    # (credits never stack, so two copies of one certificate count once).
    base = list(score)
    cert_rows: list[dict[str, Any]] = []
    for cert in inp.certificates:
        credit = model.certificate_credits.get(cert.kind)
        reason = certificate_decision(cert, credit, inp.as_of)
        applied = reason == "applied"
        refs = (
            [c.ref for i, c in enumerate(controls) if assessed[i] and credit.covers(c.ref)]
            if credit
            else []
        )
        if applied:
            for ref in refs:
                i = cidx[ref]
                score[i] = max(score[i], credit.lift(base[i]))
        cert_rows.append(
            {
                "id": cert.id,
                "kind": cert.kind,
                "applied": applied,
                "reason": reason,
                "controls": refs,
                "credit": {"floor": credit.floor, "bonus": credit.bonus}
                if applied and credit
                else None,
            }
        )

    # Objectives: weighted mean of their assessed controls; effectiveness over objectives.
    cw = [model.control_weight(c.ref) for c in controls]
    objectives: dict[str, list[int]] = {}
    for i, c in enumerate(controls):
        objectives.setdefault(c.objective, []).append(i)
    obj_rows: list[dict[str, Any]] = []
    obj_score: dict[str, float] = {}
    obj_assessed: dict[str, float] = {}
    for o in sorted(objectives, key=ref_key):
        members = objectives[o]
        wsum = sum(cw[i] for i in members if assessed[i])
        wall = sum(cw[i] for i in members)
        s = sum(cw[i] * score[i] for i in members if assessed[i]) / wsum if wsum > 0 else 0.0
        cov = sum(cw[i] * coverage[i] for i in members) / wall if wall > 0 else 0.0
        obj_score[o] = s
        if wsum > 0:
            obj_assessed[o] = wsum
        obj_rows.append({"ref": o, "score": round_score(s), "coverage": round_score(cov)})
    w_obj_total = sum(model.objective_weight(o) for o in obj_assessed)
    eff = (
        sum(model.objective_weight(o) * obj_score[o] for o in obj_assessed) / w_obj_total
        if w_obj_total > 0
        else 0.0
    )
    share = [0.0] * n
    for i, c in enumerate(controls):
        if assessed[i] and c.objective in obj_assessed:
            share[i] = (
                model.objective_weight(c.objective)
                / w_obj_total
                * cw[i]
                / obj_assessed[c.objective]
            )

    eff6 = round_half_up(eff, 6)
    band = model.band_for(eff6)
    matrix_rating = model.rating_for(tier, band)
    floor_idx = max((_RIDX[k["min_rating"]] for k in knockouts), default=0)
    rating = RATINGS[max(_RIDX[matrix_rating], floor_idx)]
    risk_score = risk_score_of(tier, eff6, rating, model)

    control_results = [
        ControlResult(
            ref=c.ref,
            objective=c.objective,
            title=c.title,
            score=round_score(score[i]),
            coverage=round_score(coverage[i]),
            weight=round_half_up(share[i], 6),
        )
        for i, c in enumerate(controls)
    ]

    impacts = [(1.0 - score[i]) * share[i] for i in range(n)]
    order = sorted(
        (i for i in range(n) if impacts[i] > 1e-12),
        key=lambda i: (-impacts[i], ref_key(controls[i].ref)),
    )
    drivers = [
        {
            "control": controls[i].ref,
            "title": controls[i].title,
            "gap": round_score(1.0 - score[i]),
            "weight": round_score(share[i]),
            "impact": round_score(impacts[i]),
            "questions": [k for k, lw in sorted(lost[i], key=lambda t: -t[1]) if lw > 1e-12],
        }
        for i in order[: model.drivers_top]
    ]

    tp = model.third_party_objective
    tp_row = next(
        (o for o in obj_rows if o["ref"] == tp), {"ref": tp, "score": 0.0, "coverage": 0.0}
    )
    third_party = {
        "ref": tp,
        "score": tp_row["score"],
        "coverage": tp_row["coverage"],
        "controls": [
            {"ref": c.ref, "title": c.title, "score": c.score, "coverage": c.coverage}
            for c in control_results
            if c.objective == tp
        ],
    }

    wiwt = what_it_would_take(
        tier=tier,
        rating=rating,
        effectiveness=eff,
        knockouts=knockouts,
        candidates=[(controls[i], score[i], impacts[i]) for i in order],
        model=model,
    )

    return ScoreResult(
        risk_score=risk_score,
        rating=rating,
        inherent_tier=tier,
        effectiveness=round_half_up(eff6, 4),
        band=band,
        controls=control_results,
        objectives=obj_rows,
        third_party=third_party,
        drivers=drivers,
        knockouts=knockouts,
        certificates=cert_rows,
        what_it_would_take=wiwt,
        model_version=model.version,
    )


def risk_score_of(tier: str, eff6: float, rating: str, model: ScoringModel) -> float:
    """Return the 0-100 risk score: inherent x unmitigated share, clamped to the rating's range."""
    raw = 100.0 * model.tier_inherent[tier] * (1.0 - model.max_mitigation * eff6)
    lo, hi = model.rating_ranges[rating]
    return round_half_up(min(max(raw, lo), hi), 1)


def what_it_would_take(
    *,
    tier: str,
    rating: str,
    effectiveness: float,
    knockouts: Iterable[Mapping[str, Any]],
    candidates: Sequence[tuple[ControlDef, float, float]],
    model: ScoringModel,
) -> dict[str, Any]:
    """Return the fewest controls (greedy by impact) whose raise to 1.0 lowers the rating a step.

    ``candidates`` are (control, current score, impact) sorted by impact, largest first; the
    impact of a control is exactly the effectiveness it adds when raised to 1.0, so the greedy
    prefix is the smallest set when only the band decides (one threshold to cross).
    """
    ridx = _RIDX[rating]
    if ridx == 0:
        return {"target_rating": None, "controls": [], "possible": False, "reason": "already low"}
    target = RATINGS[ridx - 1]
    blocking = [k for k in knockouts if _RIDX[k["min_rating"]] > ridx - 1]
    if blocking:
        k = max(blocking, key=lambda k: _RIDX[k["min_rating"]])
        how = "unanswered" if k["value"] is None else f"answered {k['value']!r}"
        return {
            "target_rating": target,
            "controls": [],
            "possible": False,
            "reason": (
                f"knockout: {k['question']} {how} sets the minimum rating "
                f"{k['min_rating']}; change that answer first"
            ),
        }
    best = model.rating_for(tier, model.bands[0][0])
    if _RIDX[best] > ridx - 1:
        return {
            "target_rating": target,
            "controls": [],
            "possible": False,
            "reason": f"inherent tier {tier} rates at least {best} even with every control at 1.0",
        }
    e = effectiveness
    chosen: list[dict[str, Any]] = []
    for control, current, impact in candidates:
        e += impact
        chosen.append(
            {
                "ref": control.ref,
                "title": control.title,
                "current": round_score(current),
                "target": 1.0,
            }
        )
        band = model.band_for(round_half_up(e, 6))
        if _RIDX[model.rating_for(tier, band)] <= ridx - 1:
            return {"target_rating": target, "controls": chosen, "possible": True, "reason": ""}
    return {
        "target_rating": target,
        "controls": [],
        "possible": False,
        "reason": "no assessed control left to improve; answer more questions",
    }

"""Turn intake answers into an inherent risk tier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .engine import round_half_up
from .model import ScoringModel
from .types import RATINGS, TierResult, norm_value

_RIDX = {r: i for i, r in enumerate(RATINGS)}


def inherent_tier(
    intake_questions: Sequence[Mapping[str, Any]],
    answers: Mapping[str, Any],
    model: ScoringModel,
) -> TierResult:
    """Compute the inherent tier from intake answers (``{question key: option value}``).

    Raises ValueError naming the key on an unknown question, an unknown option value or a
    missing answer.
    """
    by_key = {str(q["key"]): q for q in intake_questions}
    unknown = sorted(k for k in answers if k not in by_key)
    if unknown:
        raise ValueError(f"unknown intake question: {', '.join(unknown)}")
    missing = [
        k for k in by_key if answers.get(k) is None or answers.get(k) == "" or answers.get(k) == []
    ]
    if missing:
        raise ValueError(f"missing intake answer: {', '.join(missing)}")

    picked: list[tuple[str, str, float, float]] = []  # key, value, risk, weight
    for key, q in by_key.items():
        risks = {norm_value(o["value"]): float(o["risk"]) for o in q.get("options") or ()}
        raw = answers[key]
        values = (
            [norm_value(v) for v in raw] if isinstance(raw, list | tuple) else [norm_value(raw)]
        )
        for v in values:
            if v not in risks:
                raise ValueError(
                    f"unknown option {v!r} for intake question {key}; "
                    f"expected one of {sorted(risks)}"
                )
        # A multi-choice intake answer counts with its riskiest option.
        v = max(values, key=lambda x: risks[x])
        picked.append((key, v, risks[v], model.tier_weights.get(key, model.default_tier_weight)))

    wsum = sum(w for *_, w in picked)
    score = sum(r * w for _, _, r, w in picked) / wsum if wsum > 0 else 0.0
    score = round_half_up(score, 4)
    tier = model.tier_thresholds[-1][0]
    reasons = []
    for t, lo in model.tier_thresholds:
        if score >= lo:
            tier = t
            reasons.append(f"weighted intake risk {score:.2f} reaches the {t} threshold {lo:.2f}")
            break
    if model.escalation_min_risk is not None and model.escalation_tier is not None:
        hot = [(k, v, r) for k, v, r, _ in picked if r >= model.escalation_min_risk]
        if hot and _RIDX[model.escalation_tier] > _RIDX[tier]:
            tier = model.escalation_tier
            names = ", ".join(f"{k} = {v} (risk {r:.2f})" for k, v, r in hot)
            reasons.append(
                f"{names}: an answer with risk >= {model.escalation_min_risk:.2f} "
                f"lifts the tier to at least {tier}"
            )
    chosen = {k: v for k, v, _, _ in picked}
    for f in model.forced_tiers:
        v = chosen.get(str(f["question"]))
        if v is not None and v in {norm_value(x) for x in f["values"]}:
            if _RIDX[f["tier"]] > _RIDX[tier]:
                tier = str(f["tier"])
            reasons.append(f"{f['question']} = {v} forces at least {f['tier']}")
    return TierResult(tier=tier, score=score, reasons=reasons)

"""Upstream providers in a dependant's explanation: a weak or red-flagged provider is a red flag.

Pure: the providers come in as plain data (their kind of link, their own final rating and red
flags), the rule from the scoring model's ``upstream`` section. The result is applied to a
stored score record (rating, risk score, explanation), so the single-assessment path and the
batch rescore give the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .types import RATINGS

_RIDX = {r: i for i, r in enumerate(RATINGS)}
# What an upstream provider does for its dependant (labels: questionnaires/vocabulary.yaml).
LINK_KINDS: tuple[str, ...] = ("foundation_model", "hosting", "data_labelling", "sub_processor")


@dataclass(frozen=True)
class UpstreamIn:
    """One provider a vendor depends on, as the engine sees it."""

    vendor_id: int
    name: str
    kind: str
    rating: str | None  # the provider's own final rating (None: not yet rated)
    red_flags: int = 0  # red flags its own assessment raised


@dataclass(frozen=True)
class UpstreamRule:
    """When a provider counts as weak, and what that does to its dependants."""

    kinds: tuple[str, ...]
    weak_ratings: tuple[str, ...]
    red_flagged: bool
    min_rating: str
    reason: str
    action: str


def parse_rule(d: Mapping[str, Any] | None) -> UpstreamRule | None:
    """Build the rule from the model file's ``upstream`` section (None when absent)."""
    if not d:
        return None
    return UpstreamRule(
        kinds=tuple(str(k) for k in d.get("kinds") or ()),
        weak_ratings=tuple(str(r) for r in d.get("weak_ratings") or ()),
        red_flagged=bool(d.get("red_flagged", False)),
        min_rating=str(d.get("min_rating", "low")),
        reason=" ".join(str(d.get("reason") or "").split()),
        action=" ".join(str(d.get("action") or "").split()),
    )


def validate_rule(d: Any, link_kinds: Sequence[str] = LINK_KINDS) -> list[str]:
    """Return the problems of an ``upstream`` section (an empty list means it is usable)."""
    if d is None:
        return []
    if not isinstance(d, Mapping):
        return ["upstream: must be a mapping"]
    problems = []
    unknown = sorted(
        set(d) - {"kinds", "weak_ratings", "red_flagged", "min_rating", "reason", "action"}
    )
    if unknown:
        problems.append(f"upstream: unknown field(s) {', '.join(unknown)}")
    kinds = d.get("kinds")
    if not isinstance(kinds, list) or not kinds:
        problems.append("upstream.kinds: must list the link kinds that count")
    elif link_kinds and set(kinds) - set(link_kinds):
        problems.append(f"upstream.kinds: unknown kind(s) {sorted(set(kinds) - set(link_kinds))}")
    weak = d.get("weak_ratings")
    if not isinstance(weak, list) or not weak or set(weak) - set(RATINGS):
        problems.append(f"upstream.weak_ratings: must list ratings of {list(RATINGS)}")
    elif min(_RIDX[r] for r in weak) + len(set(weak)) != len(RATINGS):
        problems.append("upstream.weak_ratings: must list a rating and every worse one")
    if d.get("min_rating", "low") not in RATINGS:
        problems.append(f"upstream.min_rating: must be one of {list(RATINGS)}")
    if not str(d.get("reason") or "").strip():
        problems.append("upstream.reason: say why a weak provider matters")
    return problems


def weak_reason(p: UpstreamIn, rule: UpstreamRule) -> str | None:
    """Why a provider is weak under the rule, or None when it is not."""
    if p.kind not in rule.kinds:
        return None
    if p.rating in rule.weak_ratings:
        return "rating"
    if rule.red_flagged and p.red_flags > 0:
        return "red_flag"
    return None


def apply_upstream(
    rating: str,
    risk_score: float,
    explanation: Mapping[str, Any],
    upstream: Sequence[UpstreamIn],
    rule: UpstreamRule | None,
    ranges: Mapping[str, tuple[float, float]],
    kind_labels: Mapping[str, str] | None = None,
) -> tuple[str, float, dict[str, Any]]:
    """Add a red flag per weak provider to a score record and hold its rating at the rule's
    minimum (the risk score is clamped into that rating's range). Never lowers a rating."""
    ex = dict(explanation)
    ex["upstream"] = [
        {"vendor_id": p.vendor_id, "name": p.name, "kind": p.kind, "rating": p.rating,
         "red_flags": p.red_flags, "weak": bool(rule and weak_reason(p, rule))}
        for p in sorted(upstream, key=lambda p: (p.name, p.kind))
    ]  # fmt: skip
    if rule is None:
        return rating, risk_score, ex
    labels = kind_labels or {}
    flags = [
        f for f in ex.get("red_flags", []) if not str(f.get("key", "")).startswith("upstream.")
    ]
    held = [h for h in ex.get("held_by", []) if not str(h).startswith("upstream.")]
    for p in sorted(upstream, key=lambda p: (p.name, p.kind)):
        why = weak_reason(p, rule)
        if why is None:
            continue
        key = f"upstream.{p.kind}.{p.vendor_id}"
        state = f"rated {p.rating}" if why == "rating" else "red-flagged in its own assessment"
        kind = labels.get(p.kind, p.kind.replace("_", " "))
        flags.append(
            {
                "key": key,
                "strength": "red_flag",
                "min_rating": rule.min_rating,
                "reason": f"{p.name} ({kind}) is {state}. {rule.reason}",
                "action": rule.action,
                "triggers": [{"source": "upstream", "key": p.name, "value": p.rating}],
            }
        )
        if _RIDX[rule.min_rating] > _RIDX[rating]:
            rating = rule.min_rating
            lo, hi = ranges.get(rating, (risk_score, risk_score))
            risk_score = round(min(max(risk_score, lo), hi), 1)
        matrix = ex.get("matrix_rating") or "low"
        if _RIDX[rule.min_rating] == _RIDX[rating] > _RIDX.get(matrix, 0):
            held.append(key)
    ex["red_flags"] = flags
    ex["held_by"] = held
    return rating, risk_score, ex

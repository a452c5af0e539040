"""Scoring-model file: validation and loading (questionnaires/scoring/*.yaml)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .types import CERTIFICATE_STATES, EVIDENCE_STATES, RATINGS, norm_value
from .upstream import UpstreamRule, parse_rule, validate_rule
from .vocabulary import CERTIFICATE_KINDS, EVIDENCE_KINDS

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "questionnaires/scoring/default.yaml"

_TOP_KEYS = (
    "version",
    "questionnaires",
    "evidence",
    "weights",
    "third_party_objective",
    "bands",
    "matrix",
    "certificates",
    "risk_score",
    "tiering",
)


class ModelError(ValueError):
    """A scoring-model file that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid scoring model: " + "; ".join(self.problems))


@dataclass(frozen=True)
class CertificateCredit:
    """What a certificate kind earns when it is accepted, in date, in scope (and accredited)."""

    kind: str
    controls: tuple[str, ...]
    floor: float
    bonus: float
    requires_scope: bool = True
    requires_accredited: bool = True
    valid_days: int | None = None

    def covers(self, ref: str) -> bool:
        """Whether a control ref matches one of the credit's patterns (``A.2.*`` or exact)."""
        for pat in self.controls:
            if pat.endswith(".*"):
                if ref.startswith(pat[:-1]):
                    return True
            elif ref == pat:
                return True
        return False

    def lift(self, score: float) -> float:
        """Return the credited score: at least ``floor``, at least ``score + bonus``, at most 1."""
        return min(1.0, max(score + self.bonus, self.floor, score))


CONDITION_SOURCES = ("question", "intake", "tier", "certificate")
RED_FLAG_STRENGTHS = ("knockout", "red_flag")
_RULE_KEY = re.compile(r"^[a-z0-9_.]+$")


@dataclass(frozen=True)
class RuleCondition:
    """One condition of a red flag or a check.

    ``source`` "question": the answer chooses one of ``values`` (for a red flag, an unanswered
    visible question matches too: not answering is never better than the worst answer);
    "intake": procurement's intake answer is one of ``values``; "tier": the inherent tier is one
    of ``values``; "certificate": the state of the vendor's certificate of kind ``key`` (see
    ``types.CERTIFICATE_STATES``) is one of ``values``.
    """

    source: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class RedFlagRule:
    """An answer (or a combination with the use context) that sets a minimum rating."""

    key: str
    strength: str
    min_rating: str
    reason: str
    action: str
    when: tuple[RuleCondition, ...]


@dataclass(frozen=True)
class CapRule:
    """When ``count`` objectives (of ``objectives``, None = any) score in band ``at_or_below``
    or weaker, the overall band cannot be better than ``max_band``."""

    key: str
    objectives: tuple[str, ...] | None
    at_or_below: str
    count: int
    max_band: str
    reason: str


@dataclass(frozen=True)
class CheckRule:
    """A consistency check: answers that cannot all be true.

    A hit lowers the credit of the ``penalise`` answers (``consistency.factor``) and, with
    ``treat_as``, scores a gating answer as the value the rest of the record implies (so that
    hiding follow-up questions never scores better than answering them).
    """

    key: str
    message: str
    when: tuple[RuleCondition, ...]
    penalise: tuple[str, ...]
    treat_as: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ScoringModel:
    """A validated scoring model; every tunable number of the engine lives here."""

    version: str
    title: str
    questionnaires: Mapping[str, str]
    evidence_factors: Mapping[str, float]
    objective_weights: Mapping[str, float]
    default_objective_weight: float
    control_weights: Mapping[str, float]
    default_control_weight: float
    third_party_objective: str
    bands: tuple[tuple[str, float], ...]
    matrix: Mapping[str, Mapping[str, str]]
    knockouts: tuple[dict[str, Any], ...]
    certificate_credits: Mapping[str, CertificateCredit]
    tier_inherent: Mapping[str, float]
    max_mitigation: float
    rating_ranges: Mapping[str, tuple[float, float]]
    tier_weights: Mapping[str, float]
    default_tier_weight: float
    tier_thresholds: tuple[tuple[str, float], ...]
    escalation_min_risk: float | None
    escalation_tier: str | None
    forced_tiers: tuple[dict[str, Any], ...]
    drivers_top: int = 5
    red_flags: tuple[RedFlagRule, ...] = ()
    caps: tuple[CapRule, ...] = ()
    checks: tuple[CheckRule, ...] = ()
    contradiction_factor: float = 0.5
    plan_steps: int = 5
    # weak or red-flagged upstream providers (the supply chain); None: not considered
    upstream: UpstreamRule | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def band_index(self, band: str) -> int:
        """Return the position of a band, 0 = strongest."""
        return self.band_names.index(band)

    @property
    def band_names(self) -> tuple[str, ...]:
        """Band names, strongest first."""
        return tuple(name for name, _ in self.bands)

    @property
    def evidence_kinds_certificates(self) -> tuple[str, ...]:
        """Evidence kinds that can earn a certificate credit."""
        return tuple(self.certificate_credits)

    def questionnaire_for_tier(self, tier: str) -> str:
        """Return the questionnaire key to issue to a vendor of this inherent tier."""
        if tier not in RATINGS:
            raise ValueError(f"unknown tier {tier!r}; expected one of {', '.join(RATINGS)}")
        return self.questionnaires.get(tier) or self.questionnaires["default"]

    def band_for(self, effectiveness: float) -> str:
        """Return the effectiveness band of a (rounded) effectiveness."""
        for name, lo in self.bands:
            if effectiveness >= lo:
                return name
        return self.bands[-1][0]

    def rating_for(self, tier: str, band: str) -> str:
        """Return the residual rating of the tier x band matrix."""
        return self.matrix[tier][band]

    def objective_weight(self, ref: str) -> float:
        """Return an objective's weight in effectiveness."""
        return self.objective_weights.get(ref, self.default_objective_weight)

    def control_weight(self, ref: str) -> float:
        """Return a control's weight inside its objective."""
        return self.control_weights.get(ref, self.default_control_weight)


def _num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _unit(x: Any) -> bool:
    return _num(x) and 0.0 <= float(x) <= 1.0


def _validate_weights(d: Any, where: str, problems: list[str]) -> None:
    if not isinstance(d, Mapping):
        problems.append(f"{where}: must be a mapping of ref -> weight")
        return
    for k, v in d.items():
        if not _num(v) or float(v) <= 0:
            problems.append(f"{where}.{k}: weight must be a number > 0 (got {v!r})")


def validate_model(d: Any) -> list[str]:
    """Return every problem of a scoring-model dict (an empty list means it is usable)."""
    problems: list[str] = []
    if not isinstance(d, Mapping):
        return ["model: must be a mapping"]
    for key in _TOP_KEYS:
        if key not in d:
            problems.append(f"missing key: {key}")
    if "version" in d and (not isinstance(d["version"], str | int) or not str(d["version"])):
        problems.append("version: must be a non-empty string")

    ratings = d.get("ratings", list(RATINGS))
    if list(ratings) != list(RATINGS):
        problems.append(f"ratings: must be exactly {list(RATINGS)} (got {ratings!r})")

    q = d.get("questionnaires")
    if q is not None:
        if not isinstance(q, Mapping) or not all(isinstance(v, str) and v for v in q.values()):
            problems.append("questionnaires: must map tier (or 'default') -> questionnaire key")
        else:
            for t in q:
                if t != "default" and t not in RATINGS:
                    problems.append(f"questionnaires: unknown tier {t!r}")
            if "default" not in q and not all(t in q for t in RATINGS):
                problems.append("questionnaires: needs 'default' or an entry for every tier")

    ev = d.get("evidence")
    factors: Mapping[str, Any] = {}
    if ev is not None:
        factors = ev.get("factors") if isinstance(ev, Mapping) else None
        if not isinstance(factors, Mapping):
            problems.append("evidence.factors: missing (mapping of evidence state -> factor)")
            factors = {}
        else:
            for s in EVIDENCE_STATES:
                if s not in factors:
                    problems.append(f"evidence.factors: missing key: {s}")
                elif not _unit(factors[s]):
                    problems.append(f"evidence.factors.{s}: must be in [0, 1]")
            for s in factors:
                if s not in EVIDENCE_STATES:
                    problems.append(f"evidence.factors: unknown evidence state {s!r}")
            if all(s in factors and _unit(factors[s]) for s in EVIDENCE_STATES):
                chain = [float(factors[s]) for s in EVIDENCE_STATES]
                if chain != sorted(chain):
                    problems.append(
                        "evidence.factors: must not decrease along rejected <= none <= "
                        "provided <= verified"
                    )
                if float(factors["verified"]) != 1.0:
                    problems.append("evidence.factors.verified: must be 1.0 (full credit)")

    w = d.get("weights")
    if w is not None:
        if not isinstance(w, Mapping):
            problems.append("weights: must be a mapping")
        else:
            _validate_weights(w.get("objectives", {}), "weights.objectives", problems)
            _validate_weights(w.get("controls", {}), "weights.controls", problems)
            for k in ("default_objective", "default_control"):
                if k in w and (not _num(w[k]) or float(w[k]) <= 0):
                    problems.append(f"weights.{k}: must be a number > 0")

    bands = d.get("bands")
    band_names: list[str] = []
    if bands is not None:
        if not isinstance(bands, list) or not bands:
            problems.append("bands: must be a non-empty list of {name, min}, strongest first")
        else:
            prev = None
            for i, b in enumerate(bands):
                if not isinstance(b, Mapping) or "name" not in b or "min" not in b:
                    problems.append(f"bands[{i}]: needs name and min")
                    continue
                if b["name"] in band_names:
                    problems.append(f"bands[{i}]: duplicate band name {b['name']!r}")
                band_names.append(str(b["name"]))
                if not _unit(b["min"]):
                    problems.append(f"bands.{b['name']}: min must be in [0, 1]")
                    continue
                if prev is not None and float(b["min"]) >= prev:
                    problems.append(
                        f"bands: out of order at {b['name']!r}: min {b['min']} must be below "
                        f"the previous band's {prev} (list the strongest band first)"
                    )
                prev = float(b["min"])
            last = bands[-1]
            if isinstance(last, Mapping) and _unit(last.get("min")) and float(last["min"]) != 0:
                problems.append("bands: the last (weakest) band must have min 0.0")

    matrix = d.get("matrix")
    if matrix is not None:
        problems.extend(_validate_matrix(matrix, band_names))

    certs = d.get("certificates")
    if certs is not None:
        if not isinstance(certs, Mapping):
            problems.append("certificates: must map evidence kind -> credit")
        else:
            for kind, c in certs.items():
                where = f"certificates.{kind}"
                if kind not in EVIDENCE_KINDS:
                    problems.append(f"{where}: unknown evidence kind {kind!r}")
                if not isinstance(c, Mapping):
                    problems.append(f"{where}: must be a mapping")
                    continue
                for k in ("controls", "floor", "bonus"):
                    if k not in c:
                        problems.append(f"{where}: missing key: {k}")
                if "controls" in c and (
                    not isinstance(c["controls"], list)
                    or not all(isinstance(p, str) and p for p in c["controls"])
                ):
                    problems.append(f"{where}.controls: must be a list of refs or 'A.x.*'")
                for k in ("floor", "bonus"):
                    if k in c and not _unit(c[k]):
                        problems.append(f"{where}.{k}: must be in [0, 1]")
                vd = c.get("valid_days")
                if vd is not None and (not isinstance(vd, int) or vd <= 0):
                    problems.append(f"{where}.valid_days: must be a positive integer or null")

    rs = d.get("risk_score")
    if rs is not None:
        problems.extend(_validate_risk_score(rs))

    tiering = d.get("tiering")
    if tiering is not None:
        problems.extend(_validate_tiering(tiering))

    for i, k in enumerate(d.get("knockouts") or []):
        if not isinstance(k, Mapping) or not {"question", "values", "min_rating"} <= set(k):
            problems.append(f"knockouts[{i}]: needs question, values and min_rating")
        elif k["min_rating"] not in RATINGS:
            problems.append(f"knockouts[{i}].min_rating: unknown rating {k['min_rating']!r}")

    top = d.get("drivers", {}).get("top", 5) if isinstance(d.get("drivers"), Mapping) else 5
    if not isinstance(top, int) or top < 1:
        problems.append("drivers.top: must be a positive integer")
    steps = d.get("plan", {}).get("steps", 5) if isinstance(d.get("plan"), Mapping) else 5
    if not isinstance(steps, int) or not 1 <= steps <= 10:
        problems.append("plan.steps: must be an integer from 1 to 10")

    problems.extend(_validate_red_flags(d.get("red_flags")))
    problems.extend(_validate_caps(d.get("caps"), band_names))
    problems.extend(_validate_checks(d.get("checks")))
    cons = d.get("consistency")
    if cons is not None and (not isinstance(cons, Mapping) or not _unit(cons.get("factor"))):
        problems.append("consistency.factor: must be in [0, 1]")
    problems.extend(validate_rule(d.get("upstream")))

    # The corners a risk officer expects, checked on the model alone.
    if not problems:
        problems.extend(_validate_corners(d))
    return problems


def _validate_conditions(where: str, when: Any, *, red_flag: bool) -> list[str]:
    """Check a rule's ``when`` list: each item names exactly one source and its values."""
    problems: list[str] = []
    if not isinstance(when, list) or not when:
        return [f"{where}.when: must be a non-empty list of conditions"]
    sources = []
    for j, c in enumerate(when):
        w = f"{where}.when[{j}]"
        if not isinstance(c, Mapping):
            problems.append(f"{w}: must be a mapping like {{question: KEY, in: [values]}}")
            continue
        named = [s for s in CONDITION_SOURCES if s in c]
        unknown = sorted(set(c) - set(CONDITION_SOURCES) - {"in"})
        if unknown:
            problems.append(f"{w}: unknown field(s) {', '.join(unknown)}")
        if len(named) != 1:
            problems.append(f"{w}: name exactly one of {', '.join(CONDITION_SOURCES)}")
            continue
        source = named[0]
        sources.append(source)
        # a tier condition may list its tiers directly: {tier: [high, critical]}
        values = c["tier"] if source == "tier" and isinstance(c["tier"], list) else c.get("in")
        if not isinstance(values, list) or not values:
            problems.append(f"{w}: `in` must be a non-empty list of values")
            continue
        if source == "tier":
            bad = [v for v in values if v not in RATINGS]
            if bad:
                problems.append(f"{w}: unknown tier(s) {bad}")
            elif red_flag and min(RATINGS.index(v) for v in values) + len(set(values)) != len(
                RATINGS
            ):
                problems.append(
                    f"{w}: a tier condition must list a tier and every higher one (a red flag "
                    "for high tiers holds for critical too)"
                )
        elif source == "certificate":
            if c["certificate"] not in CERTIFICATE_KINDS:
                problems.append(f"{w}: unknown certificate kind {c['certificate']!r}")
            bad = [v for v in values if v not in CERTIFICATE_STATES]
            if bad:
                problems.append(
                    f"{w}: unknown certificate state(s) {bad}; one of {list(CERTIFICATE_STATES)}"
                )
            if red_flag and "current" in values:
                problems.append(f"{w}: a red flag must not fire on a current certificate")
        elif not isinstance(c[source], str) or not c[source]:
            problems.append(f"{w}: {source} must be a key")
    if red_flag and sources and not {"question", "certificate"} & set(sources):
        problems.append(
            f"{where}: needs a question or certificate condition (the tier alone is the "
            "matrix's job, and an intake answer alone is the tiering's)"
        )
    return problems


def _validate_rule_list(name: str, rules: Any) -> tuple[list[str], list[tuple[str, Mapping]]]:
    if rules is None:
        return [], []
    if not isinstance(rules, list):
        return [f"{name}: must be a list"], []
    problems, out, seen = [], [], set()
    for i, r in enumerate(rules):
        if not isinstance(r, Mapping):
            problems.append(f"{name}[{i}]: must be a mapping")
            continue
        key = r.get("key")
        where = f"{name}.{key}" if isinstance(key, str) and key else f"{name}[{i}]"
        if not isinstance(key, str) or not _RULE_KEY.match(key):
            problems.append(f"{where}: key must be lower-case letters, digits, _ or .")
        elif key in seen:
            problems.append(f"{where}: duplicate key")
        seen.add(key)
        out.append((where, r))
    return problems, out


def _validate_red_flags(rules: Any) -> list[str]:
    problems, items = _validate_rule_list("red_flags", rules)
    allowed = {"key", "strength", "min_rating", "reason", "action", "when"}
    for where, r in items:
        for k in sorted(set(r) - allowed):
            problems.append(f"{where}: unknown field {k!r}")
        if r.get("strength", "red_flag") not in RED_FLAG_STRENGTHS:
            problems.append(f"{where}.strength: one of {list(RED_FLAG_STRENGTHS)}")
        mr = r.get("min_rating")
        if mr not in RATINGS:
            problems.append(f"{where}.min_rating: unknown rating {mr!r}")
        elif mr == RATINGS[0]:
            problems.append(f"{where}.min_rating: a minimum of {mr} sets no floor")
        if not isinstance(r.get("reason"), str) or not r["reason"].strip():
            problems.append(f"{where}.reason: write the reason a reviewer reads")
        if "action" in r and not isinstance(r["action"], str):
            problems.append(f"{where}.action: must be text")
        problems.extend(_validate_conditions(where, r.get("when"), red_flag=True))
    return problems


def _validate_caps(rules: Any, band_names: list[str]) -> list[str]:
    problems, items = _validate_rule_list("caps", rules)
    allowed = {"key", "objectives", "at_or_below", "count", "max_band", "reason"}
    for where, r in items:
        for k in sorted(set(r) - allowed):
            problems.append(f"{where}: unknown field {k!r}")
        objs = r.get("objectives", "any")
        if objs != "any" and (
            not isinstance(objs, list)
            or not objs
            or not all(isinstance(o, str) and re.fullmatch(r"A\.\d+", o) for o in objs)
        ):
            problems.append(f"{where}.objectives: 'any' or a list of objective refs like A.10")
        count = r.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            problems.append(f"{where}.count: must be a positive integer")
        for k in ("at_or_below", "max_band"):
            if band_names and r.get(k) not in band_names:
                problems.append(f"{where}.{k}: unknown band {r.get(k)!r}")
        if band_names and r.get("at_or_below") == band_names[0]:
            problems.append(
                f"{where}.at_or_below: {band_names[0]!r} is the strongest band; best answers "
                "would be capped"
            )
        if band_names and r.get("max_band") == band_names[0]:
            problems.append(f"{where}.max_band: capping at the strongest band caps nothing")
        if not isinstance(r.get("reason"), str) or not r["reason"].strip():
            problems.append(f"{where}.reason: write the reason a reviewer reads")
    return problems


def _validate_checks(rules: Any) -> list[str]:
    problems, items = _validate_rule_list("checks", rules)
    allowed = {"key", "message", "when", "penalise", "treat_as"}
    for where, r in items:
        for k in sorted(set(r) - allowed):
            problems.append(f"{where}: unknown field {k!r}")
        if not isinstance(r.get("message"), str) or not r["message"].strip():
            problems.append(f"{where}.message: write what the reviewer should look at")
        when = r.get("when")
        problems.extend(_validate_conditions(where, when, red_flag=False))
        qkeys = {c["question"] for c in when or [] if isinstance(c, Mapping) and "question" in c}
        if isinstance(when, list) and len(when) < 2:
            problems.append(f"{where}.when: a contradiction needs at least two conditions")
        if not qkeys:
            problems.append(f"{where}.when: needs at least one question condition")
        pen = r.get("penalise", [])
        if not isinstance(pen, list) or not all(isinstance(p, str) for p in pen):
            problems.append(f"{where}.penalise: must be a list of question keys")
        else:
            for p in pen:
                if p not in qkeys:
                    problems.append(f"{where}.penalise: {p!r} is not one of the check's questions")
        ta = r.get("treat_as")
        if ta is not None:
            if not isinstance(ta, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in ta.items()
            ):
                problems.append(f"{where}.treat_as: must map question key -> option value")
            else:
                for k in ta:
                    if k not in qkeys:
                        problems.append(
                            f"{where}.treat_as: {k!r} is not one of the check's questions"
                        )
    return problems


def _validate_matrix(matrix: Any, band_names: list[str]) -> list[str]:
    problems: list[str] = []
    if not isinstance(matrix, Mapping):
        return ["matrix: must map tier -> {band: rating}"]
    for t in RATINGS:
        if t not in matrix:
            problems.append(f"matrix: missing tier {t!r}")
    for t, row in matrix.items():
        if t not in RATINGS:
            problems.append(f"matrix: unknown tier {t!r}")
            continue
        if not isinstance(row, Mapping):
            problems.append(f"matrix.{t}: must map band -> rating")
            continue
        for b in band_names:
            if b not in row:
                problems.append(f"matrix.{t}: missing band {b!r}")
        for b, r in row.items():
            if band_names and b not in band_names:
                problems.append(f"matrix.{t}: unknown band {b!r}")
            if r not in RATINGS:
                problems.append(f"matrix.{t}.{b}: unknown rating {r!r}")
    if problems or not band_names:
        return problems
    idx = {r: i for i, r in enumerate(RATINGS)}
    for t in RATINGS:
        row = [idx[matrix[t][b]] for b in band_names]
        for a, b in zip(range(len(row)), range(1, len(row)), strict=False):
            if row[b] < row[a]:
                problems.append(
                    f"matrix: not monotone: tier {t}, band {band_names[b]!r} rates "
                    f"{matrix[t][band_names[b]]} below the stronger band {band_names[a]!r} "
                    f"({matrix[t][band_names[a]]})"
                )
    for b in band_names:
        col = [idx[matrix[t][b]] for t in RATINGS]
        for i in range(1, len(col)):
            if col[i] < col[i - 1]:
                problems.append(
                    f"matrix: not monotone: band {b!r}, tier {RATINGS[i]} rates "
                    f"{matrix[RATINGS[i]][b]} below the lower tier {RATINGS[i - 1]} "
                    f"({matrix[RATINGS[i - 1]][b]})"
                )
    return problems


def _validate_risk_score(rs: Any) -> list[str]:
    problems: list[str] = []
    if not isinstance(rs, Mapping):
        return ["risk_score: must be a mapping"]
    for k in ("tier_inherent", "max_mitigation", "ranges"):
        if k not in rs:
            problems.append(f"risk_score: missing key: {k}")
    ti = rs.get("tier_inherent")
    if isinstance(ti, Mapping):
        vals = []
        for t in RATINGS:
            if t not in ti or not _unit(ti[t]):
                problems.append(f"risk_score.tier_inherent.{t}: must be in [0, 1]")
            else:
                vals.append(float(ti[t]))
        if len(vals) == len(RATINGS) and vals != sorted(vals):
            problems.append("risk_score.tier_inherent: must not decrease from low to critical")
    elif ti is not None:
        problems.append("risk_score.tier_inherent: must map tier -> number")
    if "max_mitigation" in rs and not _unit(rs["max_mitigation"]):
        problems.append("risk_score.max_mitigation: must be in [0, 1]")
    ranges = rs.get("ranges")
    if isinstance(ranges, Mapping):
        prev_hi = None
        for r in RATINGS:
            rg = ranges.get(r)
            if (
                not isinstance(rg, list | tuple)
                or len(rg) != 2
                or not all(_num(x) and 0 <= x <= 100 for x in rg)
                or rg[0] > rg[1]
            ):
                problems.append(
                    f"risk_score.ranges.{r}: must be [lo, hi] with 0 <= lo <= hi <= 100"
                )
                prev_hi = None
                continue
            if prev_hi is not None and rg[0] < prev_hi:
                problems.append(f"risk_score.ranges.{r}: must start at or above the lower rating's")
            prev_hi = rg[1]
    elif ranges is not None:
        problems.append("risk_score.ranges: must map rating -> [lo, hi]")
    return problems


def _validate_tiering(t: Any) -> list[str]:
    problems: list[str] = []
    if not isinstance(t, Mapping):
        return ["tiering: must be a mapping"]
    if "weights" in t:
        _validate_weights(t["weights"], "tiering.weights", problems)
    th = t.get("thresholds")
    if not isinstance(th, list) or not th:
        problems.append("tiering.thresholds: must be a list of {tier, min}, highest tier first")
    else:
        prev = None
        seen = []
        for i, row in enumerate(th):
            if not isinstance(row, Mapping) or row.get("tier") not in RATINGS:
                problems.append(f"tiering.thresholds[{i}]: tier must be one of {list(RATINGS)}")
                continue
            if not _unit(row.get("min")):
                problems.append(f"tiering.thresholds[{i}]: min must be in [0, 1]")
                continue
            if prev is not None and float(row["min"]) >= prev:
                problems.append(f"tiering.thresholds: out of order at {row['tier']!r}")
            if seen and RATINGS.index(row["tier"]) >= RATINGS.index(seen[-1]):
                problems.append("tiering.thresholds: tiers must go from highest to lowest")
            seen.append(row["tier"])
            prev = float(row["min"])
        if isinstance(th[-1], Mapping) and th[-1].get("min") != 0:
            problems.append("tiering.thresholds: the last row must have min 0.0")
    esc = t.get("escalation")
    if esc is not None:
        if not isinstance(esc, Mapping) or not _unit(esc.get("min_risk")):
            problems.append("tiering.escalation.min_risk: must be in [0, 1]")
        elif esc.get("tier") not in RATINGS:
            problems.append(f"tiering.escalation.tier: unknown tier {esc.get('tier')!r}")
    for i, f in enumerate(t.get("forced") or []):
        if not isinstance(f, Mapping) or not {"question", "values", "tier"} <= set(f):
            problems.append(f"tiering.forced[{i}]: needs question, values and tier")
        elif f["tier"] not in RATINGS:
            problems.append(f"tiering.forced[{i}].tier: unknown tier {f['tier']!r}")
    return problems


def _validate_corners(d: Mapping[str, Any]) -> list[str]:
    """Check the residual-matrix corners that DESIGN.md §5 promises."""
    problems: list[str] = []
    bands = [(str(b["name"]), float(b["min"])) for b in d["bands"]]
    matrix = d["matrix"]
    idx = {r: i for i, r in enumerate(RATINGS)}

    def band_of(e: float) -> str:
        for name, lo in bands:
            if e >= lo:
                return name
        return bands[-1][0]

    strongest, weakest = bands[0][0], bands[-1][0]
    # Best answers with their evidence verified reach effectiveness 1.0: the strongest band.
    # (Self-attested best answers may rate higher at a critical tier: unverified claims about
    # a critical supplier are not enough; docs/SCORING.md §5.)
    best_band = strongest
    if matrix["low"][strongest] != "low":
        problems.append(f"matrix.low.{strongest}: best answers at low tier must rate low")
    for t in RATINGS:
        if idx[matrix[t][best_band]] > idx["medium"]:
            problems.append(
                f"matrix.{t}.{best_band}: best answers with verified evidence must never rate "
                "above medium"
            )
        if idx[matrix[t][weakest]] < idx["medium"]:
            problems.append(f"matrix.{t}.{weakest}: worst answers must never rate below medium")
    # A certificate alone (answers all at 0) lifts a control to max(floor, bonus) at most, so
    # effectiveness stays at or below it: that band must still rate at least medium.
    for kind, c in d["certificates"].items():
        lifted = max(float(c["floor"]), float(c["bonus"]))
        band = band_of(lifted)
        if idx[matrix["low"][band]] < idx["medium"]:
            problems.append(
                f"certificates.{kind}: a credit of {lifted} alone reaches band {band!r}, which "
                f"rates low at low tier; worst answers must never rate below medium"
            )
    for t in ("high", "critical"):
        if matrix[t][weakest] != "critical":
            problems.append(f"matrix.{t}.{weakest}: worst answers at {t} tier must rate critical")
    return problems


def load_model(source: str | Path | Mapping[str, Any] | None = None) -> ScoringModel:
    """Load and validate a scoring model from a YAML path or a dict (default: default.yaml)."""
    if source is None:
        source = DEFAULT_MODEL_PATH
    if isinstance(source, Mapping):
        d = source
    else:
        path = Path(source)
        try:
            d = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ModelError([f"cannot read {path}: {exc.strerror or exc}"]) from exc
        except yaml.YAMLError as exc:
            raise ModelError([f"{path}: not valid YAML: {exc}"]) from exc
    problems = validate_model(d)
    if problems:
        raise ModelError(problems)
    w = d["weights"]
    rs = d["risk_score"]
    t = d["tiering"]
    esc = t.get("escalation") or {}
    return ScoringModel(
        version=str(d["version"]),
        title=str(d.get("title") or d["version"]),
        questionnaires=dict(d["questionnaires"]),
        evidence_factors={k: float(v) for k, v in d["evidence"]["factors"].items()},
        objective_weights={str(k): float(v) for k, v in (w.get("objectives") or {}).items()},
        default_objective_weight=float(w.get("default_objective", 1.0)),
        control_weights={str(k): float(v) for k, v in (w.get("controls") or {}).items()},
        default_control_weight=float(w.get("default_control", 1.0)),
        third_party_objective=str(d["third_party_objective"]),
        bands=tuple((str(b["name"]), float(b["min"])) for b in d["bands"]),
        matrix={t_: dict(row) for t_, row in d["matrix"].items()},
        knockouts=tuple(dict(k) for k in d.get("knockouts") or ()),
        certificate_credits={
            kind: CertificateCredit(
                kind=kind,
                controls=tuple(c["controls"]),
                floor=float(c["floor"]),
                bonus=float(c["bonus"]),
                requires_scope=bool(c.get("requires_scope", True)),
                requires_accredited=bool(c.get("requires_accredited", True)),
                valid_days=c.get("valid_days"),
            )
            for kind, c in d["certificates"].items()
        },
        tier_inherent={k: float(v) for k, v in rs["tier_inherent"].items()},
        max_mitigation=float(rs["max_mitigation"]),
        rating_ranges={k: (float(v[0]), float(v[1])) for k, v in rs["ranges"].items()},
        tier_weights={str(k): float(v) for k, v in (t.get("weights") or {}).items()},
        default_tier_weight=float(t.get("default_weight", 1.0)),
        tier_thresholds=tuple((str(r["tier"]), float(r["min"])) for r in t["thresholds"]),
        escalation_min_risk=float(esc["min_risk"]) if esc else None,
        escalation_tier=str(esc["tier"]) if esc else None,
        forced_tiers=tuple(dict(f) for f in t.get("forced") or ()),
        drivers_top=int((d.get("drivers") or {}).get("top", 5)),
        red_flags=tuple(_red_flag(r) for r in d.get("red_flags") or ()),
        caps=tuple(_cap(r) for r in d.get("caps") or ()),
        checks=tuple(_check(r) for r in d.get("checks") or ()),
        contradiction_factor=float((d.get("consistency") or {}).get("factor", 0.5)),
        plan_steps=int((d.get("plan") or {}).get("steps", 5)),
        upstream=parse_rule(d.get("upstream")),
        raw=d,
    )


def _conditions(when: list[Mapping[str, Any]]) -> tuple[RuleCondition, ...]:
    out = []
    for c in when:
        source = next(s for s in CONDITION_SOURCES if s in c)
        if source == "tier":
            values = c["tier"] if isinstance(c["tier"], list) else c["in"]
            out.append(RuleCondition("tier", "", tuple(str(v) for v in values)))
        else:
            out.append(RuleCondition(source, str(c[source]), tuple(norm_value(v) for v in c["in"])))
    return tuple(out)


def _red_flag(r: Mapping[str, Any]) -> RedFlagRule:
    return RedFlagRule(
        key=str(r["key"]),
        strength=str(r.get("strength", "red_flag")),
        min_rating=str(r["min_rating"]),
        reason=" ".join(str(r["reason"]).split()),
        action=" ".join(str(r.get("action") or "").split()),
        when=_conditions(r["when"]),
    )


def _cap(r: Mapping[str, Any]) -> CapRule:
    objs = r.get("objectives", "any")
    return CapRule(
        key=str(r["key"]),
        objectives=None if objs == "any" else tuple(str(o) for o in objs),
        at_or_below=str(r["at_or_below"]),
        count=int(r.get("count", 1)),
        max_band=str(r["max_band"]),
        reason=" ".join(str(r["reason"]).split()),
    )


def _check(r: Mapping[str, Any]) -> CheckRule:
    return CheckRule(
        key=str(r["key"]),
        message=" ".join(str(r["message"]).split()),
        when=_conditions(r["when"]),
        penalise=tuple(str(p) for p in r.get("penalise") or ()),
        treat_as=tuple((str(k), norm_value(v)) for k, v in (r.get("treat_as") or {}).items()),
    )

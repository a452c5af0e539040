"""Plain data that goes into and comes out of the scoring engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

# the vocabulary's one list of evidence kinds, re-exported for the engine's users
from .vocabulary import CERTIFICATE_KINDS as CERTIFICATE_KINDS
from .vocabulary import EVIDENCE_KINDS as EVIDENCE_KINDS

RATINGS: tuple[str, ...] = ("low", "medium", "high", "critical")
EVIDENCE_STATES: tuple[str, ...] = ("rejected", "none", "provided", "verified")

VERIFICATIONS: tuple[str, ...] = ("pending", "accepted", "rejected")
# What a certificate of one kind amounts to on the scoring day, best first. A condition of a red
# flag or a consistency check names these states.
CERTIFICATE_STATES: tuple[str, ...] = (
    "current",  # accepted, in date, in scope (and accredited where required): credit applied
    "pending",  # uploaded, not yet verified by a reviewer
    "refused",  # verified but out of scope, not accredited, not yet valid or without dates
    "expired",
    "suspended",  # the certification body suspended or withdrew it
    "rejected",  # a reviewer rejected it
    "missing",  # nothing of this kind on file
)


def norm_value(value: Any) -> str:
    """Normalise an option or answer value to the string the engine compares.

    YAML 1.1 reads an unquoted ``yes``/``no`` as a boolean; both sides are mapped back to
    "yes"/"no" so a questionnaire written either way scores the same.
    """
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def objective_of(ref: str) -> str:
    """Return the objective of a control ref (``A.6.1.2`` -> ``A.6``)."""
    parts = ref.split(".")
    return ".".join(parts[:2])


# ---- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionDef:
    """One option of an option question; ``exclusive`` options cannot be combined."""

    value: str
    label: str = ""
    score: float = 0.0
    exclusive: bool = False


@dataclass(frozen=True)
class ControlRef:
    """A question's mapping onto an Annex A control."""

    ref: str
    weight: float = 1.0


@dataclass(frozen=True)
class Condition:
    """One show_if condition: the question ``question`` is answered with one of ``values``."""

    question: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Knockout:
    """Answer values that alone set a minimum rating."""

    values: tuple[str, ...]
    min_rating: str


@dataclass(frozen=True)
class QuestionDef:
    """A normalised questionnaire question (docs/QUESTIONNAIRES.md).

    ``score_mode`` says how a multi_choice answer scores: ``mean`` of the chosen options, or
    ``sum`` of their scores capped at 1 (each option is a contribution). ``scored`` false marks an
    informational option question (its options carry no score and it maps to no control).
    """

    key: str
    type: str
    section: str = ""
    order: int = 0
    text: str = ""
    help: str = ""
    required: bool = True
    allows_na: bool = False
    options: tuple[OptionDef, ...] = ()
    evidence_kinds: tuple[str, ...] = ()
    show_if: tuple[Condition, ...] = ()
    controls: tuple[ControlRef, ...] = ()
    weight: float = 1.0
    knockout: Knockout | None = None
    score_mode: str = "mean"
    scored_flag: bool = True

    @property
    def scored(self) -> bool:
        """Whether the question carries a score (it has options and is not informational)."""
        return bool(self.options) and self.scored_flag

    @cached_property
    def score_map(self) -> dict[str, float]:
        """Option value -> score (computed once per question)."""
        return {o.value: o.score for o in self.options}

    @cached_property
    def labels(self) -> dict[str, str]:
        """Option value -> label (the value itself where a label is missing)."""
        return {o.value: o.label or o.value for o in self.options}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> QuestionDef:
        """Build a question from its normalised dict (API / questionnaire shape)."""
        show_if = d.get("show_if") or ()
        if isinstance(show_if, Mapping):
            show_if = [show_if]
        knockout = d.get("knockout")
        return cls(
            key=str(d["key"]),
            type=str(d.get("type", "single_choice")),
            section=str(d.get("section") or ""),
            order=int(d.get("order") or 0),
            text=str(d.get("text") or ""),
            help=str(d.get("help") or ""),
            required=bool(d.get("required", True)),
            allows_na=bool(d.get("allows_na", False)),
            options=tuple(
                OptionDef(
                    value=norm_value(o["value"]),
                    label=str(o.get("label") or ""),
                    score=float(o.get("score") or 0.0),
                    exclusive=bool(o.get("exclusive", False)),
                )
                for o in (d.get("options") or ())
            ),
            evidence_kinds=tuple(str(k) for k in (d.get("evidence_kinds") or ())),
            show_if=tuple(
                Condition(
                    question=str(c["question"]),
                    values=tuple(norm_value(v) for v in c.get("in", c.get("values", ()))),
                )
                for c in show_if
            ),
            controls=tuple(
                ControlRef(ref=str(c["ref"]), weight=float(c.get("weight", 1.0)))
                for c in (d.get("controls") or ())
            ),
            weight=float(d.get("weight", 1.0) if d.get("weight") is not None else 1.0),
            knockout=(
                Knockout(
                    values=tuple(norm_value(v) for v in knockout.get("values", ())),
                    min_rating=str(knockout["min_rating"]),
                )
                if knockout
                else None
            ),
            score_mode=str(d.get("score_mode") or "mean"),
            scored_flag=bool(d.get("scored", True)),
        )


@dataclass(frozen=True)
class ControlDef:
    """An Annex A control of the catalog."""

    ref: str
    objective: str
    title: str = ""


@dataclass(slots=True)
class AnswerIn:
    """One answer as the engine sees it.

    ``evidence`` is "none" (nothing attached), "provided" (attached, not yet reviewed),
    "verified" (accepted by a reviewer) or "rejected".
    """

    question: str
    value: object = None
    na: bool = False
    evidence: str = "none"


@dataclass(slots=True)
class CertificateIn:
    """A certificate or report on file for the vendor."""

    id: object
    kind: str
    verification: str = "pending"
    issued_on: date | None = None
    expires_on: date | None = None
    scope_covers_service: bool | None = None
    accredited: bool | None = None
    suspended: bool = False


@dataclass(frozen=True)
class ScoringInput:
    """Everything one assessment is scored on.

    ``intake`` holds procurement's intake answers (``{question key: option value}``): red flags
    and consistency checks can depend on the use context, not only on the tier.
    """

    questions: Sequence[QuestionDef]
    controls: Sequence[ControlDef]
    answers: Mapping[str, AnswerIn]
    certificates: Sequence[CertificateIn] = ()
    inherent_tier: str = "medium"
    as_of: date = field(default_factory=date.today)
    intake: Mapping[str, Any] = field(default_factory=dict)


# ---- outputs ----------------------------------------------------------------------------------


@dataclass(slots=True)
class ControlResult:
    """Score of one control; ``weight`` is its share of effectiveness (0 when unassessed)."""

    ref: str
    objective: str
    title: str
    score: float
    coverage: float
    weight: float

    def to_dict(self) -> dict[str, Any]:
        """Return the API shape of a control score."""
        return {
            "ref": self.ref,
            "objective": self.objective,
            "title": self.title,
            "score": self.score,
            "coverage": self.coverage,
        }


@dataclass(slots=True)
class ObjectiveResult:
    """Score of one objective (A.2 ... A.10); ``band`` is None when nothing assessed it."""

    ref: str
    score: float
    coverage: float
    band: str | None

    def to_dict(self) -> dict[str, Any]:
        """Return the API shape of an objective score."""
        return {"ref": self.ref, "score": self.score, "coverage": self.coverage, "band": self.band}


@dataclass(slots=True)
class Driver:
    """A control that costs the most effectiveness, with the questions that lost it."""

    control: str
    title: str
    gap: float
    weight: float
    impact: float
    questions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "control": self.control,
            "title": self.title,
            "gap": self.gap,
            "weight": self.weight,
            "impact": self.impact,
            "questions": list(self.questions),
        }


@dataclass(slots=True)
class Trigger:
    """What made a red flag or a check fire: an answer, an intake answer, the tier or a
    certificate state. ``value`` is None for an unanswered question."""

    source: str  # "question", "intake", "tier" or "certificate"
    key: str
    value: Any

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"source": self.source, "key": self.key, "value": self.value}


@dataclass(slots=True)
class RedFlagHit:
    """A red flag that fired: it sets a minimum rating whatever the average says."""

    key: str
    strength: str  # "knockout" (the strongest kind) or "red_flag"
    min_rating: str
    reason: str
    action: str
    triggers: tuple[Trigger, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "key": self.key,
            "strength": self.strength,
            "min_rating": self.min_rating,
            "reason": self.reason,
            "action": self.action,
            "triggers": [t.to_dict() for t in self.triggers],
        }


@dataclass(slots=True)
class CapHit:
    """An objective cap that holds the overall band at or below ``max_band``."""

    key: str
    max_band: str
    objectives: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "key": self.key,
            "max_band": self.max_band,
            "objectives": list(self.objectives),
            "reason": self.reason,
        }


@dataclass(slots=True)
class ContradictionHit:
    """Answers (or an answer and the intake or a certificate) that cannot both be true."""

    key: str
    message: str
    triggers: tuple[Trigger, ...]
    penalised: tuple[str, ...]
    treated_as: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "key": self.key,
            "message": self.message,
            "triggers": [t.to_dict() for t in self.triggers],
            "penalised": list(self.penalised),
            "treated_as": dict(self.treated_as),
        }


@dataclass(slots=True)
class CertificateDecision:
    """Whether a certificate on file earned its credit, and why not."""

    id: object
    kind: str
    applied: bool
    reason: str
    controls: tuple[str, ...]
    floor: float | None = None
    bonus: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the API shape (``credit`` is null unless applied)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "applied": self.applied,
            "reason": self.reason,
            "controls": list(self.controls),
            "credit": {"floor": self.floor, "bonus": self.bonus} if self.applied else None,
        }


@dataclass(slots=True)
class PlanStep:
    """One thing the vendor (or reviewer) can do, with the effectiveness it adds.

    ``action``: "change" (an answer that raises a red flag), "answer" (unanswered), "improve"
    (a better practice), "evidence" (attach or have evidence verified), "renew" (a certificate),
    "resolve" (a contradiction).
    """

    action: str
    question: str | None = None
    target: str | None = None  # the option value the step aims for
    certificate: str | None = None  # certificate kind for "renew"
    control: str | None = None  # the control that gains most
    effect: float = 0.0
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "action": self.action,
            "question": self.question,
            "target": self.target,
            "certificate": self.certificate,
            "control": self.control,
            "effect": self.effect,
            "reason": self.reason,
        }


@dataclass(slots=True)
class Plan:
    """What it would take to lower the rating one step: at most five steps, by effect."""

    target_rating: str | None
    possible: bool
    reason: str
    steps: tuple[PlanStep, ...] = ()
    more: int = 0  # steps needed beyond the ones listed

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``controls`` lists the controls the steps raise)."""
        controls = []
        for s in self.steps:
            if s.control and s.control not in controls:
                controls.append(s.control)
        return {
            "target_rating": self.target_rating,
            "possible": self.possible,
            "reason": self.reason,
            "steps": [s.to_dict() for s in self.steps],
            "more": self.more,
            "controls": [{"ref": c} for c in controls],
        }


@dataclass(slots=True)
class Explanation:
    """Everything a reviewer needs to see why the rating is what it is.

    This is what the score record stores as JSON; control and objective scores live in their
    own tables, so they are not repeated here.
    """

    matrix_band: str  # band of the effectiveness alone
    band: str  # band after caps
    matrix_rating: str  # rating of tier x band, before red flags
    held_by: tuple[str, ...]  # keys of the red flags / caps that hold the rating up
    drivers: tuple[Driver, ...]
    red_flags: tuple[RedFlagHit, ...]
    caps: tuple[CapHit, ...]
    contradictions: tuple[ContradictionHit, ...]
    certificates: tuple[CertificateDecision, ...]
    plan: Plan

    @property
    def knockouts(self) -> list[dict[str, Any]]:
        """The strongest red flags in the shape clients of ``knockouts`` use."""
        out = []
        for f in self.red_flags:
            if f.strength != "knockout":
                continue
            q = next((t for t in f.triggers if t.source == "question"), None)
            out.append(
                {
                    "question": q.key if q else f.key,
                    "value": q.value if q else None,
                    "min_rating": f.min_rating,
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the stored JSON form."""
        return {
            "matrix_band": self.matrix_band,
            "band": self.band,
            "matrix_rating": self.matrix_rating,
            "held_by": list(self.held_by),
            "drivers": [d.to_dict() for d in self.drivers],
            "red_flags": [f.to_dict() for f in self.red_flags],
            "knockouts": self.knockouts,
            "caps": [c.to_dict() for c in self.caps],
            "contradictions": [c.to_dict() for c in self.contradictions],
            "certificates": [c.to_dict() for c in self.certificates],
            "what_it_would_take": self.plan.to_dict(),
        }


@dataclass(frozen=True)
class TierResult:
    """Inherent tier from the intake, with the reasons that set it."""

    tier: str
    score: float
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"tier": self.tier, "score": self.score, "reasons": list(self.reasons)}


@dataclass(slots=True)
class ScoreResult:
    """The scored assessment with its explanation."""

    risk_score: float
    rating: str
    inherent_tier: str
    effectiveness: float
    controls: tuple[ControlResult, ...]
    objectives: tuple[ObjectiveResult, ...]
    third_party_objective: str
    explanation: Explanation
    model_version: str

    @property
    def band(self) -> str:
        """The effectiveness band after caps."""
        return self.explanation.band

    @property
    def drivers(self) -> tuple[Driver, ...]:
        return self.explanation.drivers

    @property
    def red_flags(self) -> tuple[RedFlagHit, ...]:
        return self.explanation.red_flags

    @property
    def caps(self) -> tuple[CapHit, ...]:
        return self.explanation.caps

    @property
    def contradictions(self) -> tuple[ContradictionHit, ...]:
        return self.explanation.contradictions

    @property
    def certificates(self) -> tuple[CertificateDecision, ...]:
        return self.explanation.certificates

    @property
    def knockouts(self) -> list[dict[str, Any]]:
        return self.explanation.knockouts

    @property
    def plan(self) -> Plan:
        return self.explanation.plan

    @property
    def third_party(self) -> dict[str, Any]:
        """The A.10 roll-up: the objective's score and its controls."""
        return third_party_view(self.third_party_objective, self.objectives, self.controls)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON of ``GET /api/v1/assessments/{id}/score``."""
        ex = self.explanation.to_dict()
        return {
            "risk_score": self.risk_score,
            "rating": self.rating,
            "inherent_tier": self.inherent_tier,
            "effectiveness": self.effectiveness,
            "band": self.band,
            "controls": [c.to_dict() for c in self.controls],
            "objectives": [o.to_dict() for o in self.objectives],
            "third_party": self.third_party,
            **{k: ex[k] for k in ex if k != "band"},
            "model_version": self.model_version,
        }


def third_party_view(ref: str, objectives, controls) -> dict[str, Any]:
    """The roll-up of the third-party objective (A.10) from objective and control scores
    (anything with ref/score/coverage attributes: engine results or stored rows)."""
    row = next((o for o in objectives if o.ref == ref), None)
    return {
        "ref": ref,
        "score": row.score if row else 0.0,
        "coverage": row.coverage if row else 0.0,
        "band": row.band if row else None,
        "controls": [
            {"ref": c.ref, "title": c.title, "score": c.score, "coverage": c.coverage}
            for c in controls
            if c.objective == ref
        ],
    }

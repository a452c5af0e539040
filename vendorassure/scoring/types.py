"""Plain data that goes into and comes out of the scoring engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

RATINGS: tuple[str, ...] = ("low", "medium", "high", "critical")
EVIDENCE_STATES: tuple[str, ...] = ("rejected", "none", "provided", "verified")
EVIDENCE_KINDS: tuple[str, ...] = (
    "iso42001_certificate",
    "iso27001_certificate",
    "iso27701_certificate",
    "soc2_type2_report",
    "policy",
    "other",
)
VERIFICATIONS: tuple[str, ...] = ("pending", "accepted", "rejected")
OPTION_TYPES: frozenset[str] = frozenset(
    {"yes_no", "yes_no_partial", "single_choice", "multi_choice"}
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


@dataclass(frozen=True)
class OptionDef:
    """One option of an option question."""

    value: str
    label: str = ""
    score: float = 0.0


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
    """A normalised questionnaire question (docs/QUESTIONNAIRES.md)."""

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

    @property
    def scored(self) -> bool:
        """Whether the question carries a score (it has options)."""
        return bool(self.options)

    @cached_property
    def score_map(self) -> dict[str, float]:
        """Option value -> score (computed once per question)."""
        return {o.value: o.score for o in self.options}

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
                    score=float(o.get("score", 0.0)),
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
        )


@dataclass(frozen=True)
class ControlDef:
    """An Annex A control of the catalog."""

    ref: str
    objective: str
    title: str = ""


@dataclass(frozen=True)
class AnswerIn:
    """One answer as the engine sees it.

    ``evidence`` is "none" (nothing attached), "provided" (attached, not yet reviewed),
    "verified" (accepted by a reviewer) or "rejected".
    """

    question: str
    value: object = None
    na: bool = False
    evidence: str = "none"


@dataclass(frozen=True)
class CertificateIn:
    """A certificate or report on file for the vendor."""

    id: object
    kind: str
    verification: str = "pending"
    issued_on: date | None = None
    expires_on: date | None = None
    scope_covers_service: bool | None = None
    accredited: bool | None = None


@dataclass(frozen=True)
class ScoringInput:
    """Everything one assessment is scored on."""

    questions: Sequence[QuestionDef]
    controls: Sequence[ControlDef]
    answers: Mapping[str, AnswerIn]
    certificates: Sequence[CertificateIn] = ()
    inherent_tier: str = "medium"
    as_of: date = field(default_factory=date.today)


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class TierResult:
    """Inherent tier from the intake, with the reasons that set it."""

    tier: str
    score: float
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"tier": self.tier, "score": self.score, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class ScoreResult:
    """The scored assessment with its explanation."""

    risk_score: float
    rating: str
    inherent_tier: str
    effectiveness: float
    band: str
    controls: list[ControlResult]
    objectives: list[dict[str, Any]]
    third_party: dict[str, Any]
    drivers: list[dict[str, Any]]
    knockouts: list[dict[str, Any]]
    certificates: list[dict[str, Any]]
    what_it_would_take: dict[str, Any]
    model_version: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON of ``GET /api/v1/assessments/{id}/score``."""
        return {
            "risk_score": self.risk_score,
            "rating": self.rating,
            "inherent_tier": self.inherent_tier,
            "effectiveness": self.effectiveness,
            "band": self.band,
            "controls": [c.to_dict() for c in self.controls],
            "objectives": [dict(o) for o in self.objectives],
            "third_party": dict(self.third_party),
            "drivers": [dict(d) for d in self.drivers],
            "knockouts": [dict(k) for k in self.knockouts],
            "certificates": [dict(c) for c in self.certificates],
            "what_it_would_take": dict(self.what_it_would_take),
            "model_version": self.model_version,
        }

"""Realistic vendor profiles on the shipped questionnaire, for scenario tests and the docs.

A profile starts from a kind of vendor (every answer at its best, "adequate", "weak" or worst),
then changes what the scenario is about. Answers are given in questionnaire order so that the
follow-up questions an answer opens are answered as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from vendorassure.scoring import (
    AnswerIn,
    CertificateIn,
    ScoringInput,
    load_model,
    score_assessment,
    visible_questions,
)
from vendorassure.scoring.files import QUESTIONNAIRE_DIR, load_controls, load_questionnaire
from vendorassure.scoring.types import objective_of

AS_OF = date(2026, 11, 27)
DEFAULT_INTAKE = {
    "eu_ai_act_role": "provider",
    "eu_ai_act_class": "limited",
    "personal_data": "personal",
    "trains_on_customer_data": "no",
    "data_retention": "short",
    "autonomy": "advisory",
    "model_provenance": "third_party_foundation",
    "audience": "internal",
    "business_criticality": "moderate",
}


@lru_cache(maxsize=4)
def questionnaire(key: str = "iso42001-ai-vendor"):
    return tuple(load_questionnaire(QUESTIONNAIRE_DIR / f"{key}.yaml")[1])


@lru_cache(maxsize=1)
def controls():
    return tuple(load_controls())


@lru_cache(maxsize=1)
def model():
    return load_model()


def certificate(kind: str, state: str = "current", cid: object = 1) -> CertificateIn:
    """A certificate on file in a given state (current, expired, pending, suspended)."""
    issued = AS_OF - timedelta(days=400)
    expires = AS_OF + timedelta(days=700)
    verification = "accepted"
    suspended = False
    if state == "expired":
        issued, expires = AS_OF - timedelta(days=1200), AS_OF - timedelta(days=30)
    elif state == "pending":
        verification = "pending"
    elif state == "suspended":
        suspended = True
    return CertificateIn(cid, kind, verification, issued, expires, True, True, suspended)


def _pick(q, kind: str, i: int = 0):
    """The option a vendor of this kind chooses for the i-th question.

    best: the best option everywhere; worst: the worst; adequate: the second-best option on
    every other question; weak: the second-best option everywhere.
    """
    best = max(q.options, key=lambda o: o.score)
    if kind == "best":
        if q.type == "multi_choice" and q.score_mode == "sum":
            return [o.value for o in q.options if o.score > 0]
        return best.value
    # options by score, best first; options that score alike count as one rung
    rungs = sorted({o.score for o in q.options}, reverse=True)
    if kind == "worst":
        step = len(rungs) - 1
    elif kind == "adequate":
        step = 1 if i % 2 else 0
    else:
        step = 1
    score = rungs[min(step, len(rungs) - 1)]
    return next(o.value for o in q.options if o.score == score)


@dataclass
class Profile:
    """A vendor's answers, certificates, tier and intake."""

    tier: str = "medium"
    kind: str = "best"
    evidence: str = "verified"
    questionnaire_key: str = "iso42001-ai-vendor"
    intake: dict = field(default_factory=lambda: dict(DEFAULT_INTAKE))
    answers: dict = field(default_factory=dict)
    certificates: list = field(default_factory=list)
    overrides: dict = field(default_factory=dict)

    def __post_init__(self):
        self.fill()

    @property
    def questions(self):
        return questionnaire(self.questionnaire_key)

    def fill(self) -> None:
        """Answer every visible question the way this kind of vendor would."""
        self.answers = {}
        for i, q in enumerate(self.questions):
            if q.key in self.overrides:
                value, ev = self.overrides[q.key]
                if value is None:
                    continue
                self.answers[q.key] = AnswerIn(q.key, value, evidence=ev or self.evidence)
                continue
            if not q.options or q.key not in visible_questions(self.questions, self.answers):
                continue
            value = _pick(q, self.kind, i)
            if q.type == "multi_choice" and not isinstance(value, list):
                value = [value]
            ev = self.evidence if q.evidence_kinds else "none"
            self.answers[q.key] = AnswerIn(q.key, value, evidence=ev)

    def set(self, key: str, value, evidence: str | None = None) -> Profile:
        """Answer one question differently (None: leave it unanswered) and re-fill follow-ups."""
        assert any(q.key == key for q in self.questions), key
        self.overrides[key] = (value, evidence)
        self.fill()
        return self

    def set_objectives(self, objectives: tuple[str, ...], kind: str) -> Profile:
        """Answer the questions that mainly evidence these objectives as a vendor of ``kind``."""
        for i, q in enumerate(self.questions):
            if q.scored and q.controls and objective_of(q.controls[0].ref) in objectives:
                value = _pick(q, kind, i)
                self.overrides[q.key] = ([value] if q.type == "multi_choice" and
                                         not isinstance(value, list) else value, None)  # fmt: skip
        self.fill()
        return self

    def unanswered(self) -> Profile:
        """Leave every question unanswered (a questionnaire submitted empty)."""
        self.overrides = {q.key: (None, None) for q in self.questions}
        self.fill()
        return self

    def with_certificate(self, kind: str, state: str = "current") -> Profile:
        self.certificates.append(certificate(kind, state, cid=len(self.certificates) + 1))
        return self

    def input(self) -> ScoringInput:
        return ScoringInput(
            self.questions, controls(), dict(self.answers), tuple(self.certificates), self.tier,
            AS_OF, dict(self.intake),
        )  # fmt: skip

    def score(self, scoring_model=None):
        return score_assessment(self.input(), scoring_model or model())

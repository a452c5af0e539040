"""Synthetic questionnaires, answers and certificates for tests and benchmarks."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from .types import (
    EVIDENCE_KINDS,
    AnswerIn,
    CertificateIn,
    Condition,
    ControlDef,
    ControlRef,
    Knockout,
    OptionDef,
    QuestionDef,
)

_OPTION_SETS: dict[str, list[tuple[str, float]]] = {
    "yes_no": [("yes", 1.0), ("no", 0.0)],
    "yes_no_partial": [("yes", 1.0), ("partial", 0.5), ("no", 0.0)],
    "single_choice": [("a", 1.0), ("b", 0.75), ("c", 0.25), ("d", 0.0)],
    "multi_choice": [("m1", 1.0), ("m2", 0.5), ("m3", 0.25), ("m4", 0.0)],
}


def synthetic_controls(objectives: int = 9, per_objective: int = 4) -> list[ControlDef]:
    """Return a control catalog shaped like Annex A (objectives A.2 ... A.{objectives+1})."""
    return [
        ControlDef(ref=f"A.{o}.{c}", objective=f"A.{o}", title=f"Control {o}.{c}")
        for o in range(2, objectives + 2)
        for c in range(2, per_objective + 2)
    ]


def synthetic_questionnaire(
    rng: random.Random, n_questions: int, controls: Sequence[ControlDef]
) -> list[QuestionDef]:
    """Return a questionnaire mixing every type, show_if chains, N/A, evidence and knockouts.

    Knockouts sit on a worst-scoring option (as in real questionnaires); every option question
    offers a best option scoring 1.0 and a worst scoring 0.0.
    """
    refs = [c.ref for c in controls]
    types = ["yes_no", "yes_no_partial", "single_choice", "multi_choice", "text", "number"]
    weights = [3, 6, 4, 1, 1, 1]
    out: list[QuestionDef] = []
    for i in range(n_questions):
        qtype = rng.choices(types, weights)[0]
        options = tuple(OptionDef(v, v.upper(), s) for v, s in _OPTION_SETS.get(qtype, []))
        show_if: tuple[Condition, ...] = ()
        parents = [q for q in out if q.options and q.type != "multi_choice"]
        if parents and rng.random() < 0.15:
            p = rng.choice(parents)
            show_if = (Condition(p.key, (p.options[0].value,)),)
        knockout = None
        if options and qtype != "multi_choice" and rng.random() < 0.06:
            knockout = Knockout((options[-1].value,), rng.choice(["medium", "high", "critical"]))
        mapped = rng.sample(refs, k=min(len(refs), rng.choice([1, 1, 2, 3])))
        out.append(
            QuestionDef(
                key=f"q{i:03d}",
                type=qtype,
                section=f"s{i // 10}",
                order=i + 1,
                text=f"Question {i}",
                required=rng.random() < 0.9,
                allows_na=bool(options) and rng.random() < 0.15,
                options=options,
                evidence_kinds=("policy",) if options and rng.random() < 0.3 else (),
                show_if=show_if,
                controls=tuple(ControlRef(r, rng.choice([0.5, 1.0, 1.0, 2.0])) for r in mapped),
                weight=rng.choice([0.5, 1.0, 1.0, 1.0, 2.0]),
                knockout=knockout,
            )
        )
    # Make sure every control is assessed by at least one option question.
    option_qs = [q for q in out if q.options]
    covered = {c.ref for q in option_qs for c in q.controls}
    extra = []
    for j, ref in enumerate(r for r in refs if r not in covered):
        extra.append(
            QuestionDef(
                key=f"c{j:03d}",
                type="yes_no_partial",
                order=n_questions + j + 1,
                options=tuple(OptionDef(v, v, s) for v, s in _OPTION_SETS["yes_no_partial"]),
                controls=(ControlRef(ref, 1.0),),
            )
        )
    return out + extra


def random_answers(
    rng: random.Random,
    questions: Sequence[QuestionDef],
    p_unanswered: float = 0.08,
    p_na: float = 0.3,
) -> dict[str, AnswerIn]:
    """Return a random answer for most questions (some unanswered, some N/A)."""
    out: dict[str, AnswerIn] = {}
    for q in questions:
        if rng.random() < p_unanswered:
            continue
        if q.allows_na and rng.random() < p_na:
            out[q.key] = AnswerIn(q.key, None, na=True)
            continue
        if q.type == "multi_choice":
            values = [o.value for o in q.options]
            value: object = rng.sample(values, rng.randint(1, len(values)))
        elif q.options:
            value = rng.choice(q.options).value
        elif q.type == "number":
            value = rng.randint(0, 100)
        else:
            value = "free text"
        evidence = rng.choice(["none", "provided", "verified", "rejected"])
        out[q.key] = AnswerIn(q.key, value, evidence=evidence)
    return out


def random_certificates(
    rng: random.Random, as_of: date, k: int | None = None
) -> list[CertificateIn]:
    """Return a few certificates in every state (in date, expired, pending, out of scope ...)."""
    n = rng.randint(0, 3) if k is None else k
    out = []
    for i in range(n):
        issued = as_of - timedelta(days=rng.randint(-30, 1200))
        expires = rng.choice([issued + timedelta(days=3 * 365), None, as_of - timedelta(days=1)])
        out.append(
            CertificateIn(
                id=f"c{i}",
                kind=rng.choice(EVIDENCE_KINDS),
                verification=rng.choice(["pending", "accepted", "accepted", "rejected"]),
                issued_on=issued,
                expires_on=expires,
                scope_covers_service=rng.choice([True, True, False, None]),
                accredited=rng.choice([True, True, False, None]),
                suspended=rng.random() < 0.1,
            )
        )
    return out


SYNTHETIC_INTAKE = {"use": ("internal", "public"), "origin": ("own", "third_party")}


def random_intake(rng: random.Random) -> dict[str, str]:
    """Return intake answers for the synthetic intake questions of ``synthetic_model``."""
    return {k: rng.choice(v) for k, v in SYNTHETIC_INTAKE.items()}


def synthetic_model(rng: random.Random, questions: Sequence[QuestionDef], base) -> object:
    """Return ``base`` with random red flags, caps and checks on these synthetic questions.

    Red flags sit on worse-than-best options (as the library validator demands), some combined
    with the synthetic intake or the tier; checks pair two answers, and a check on a gating
    question scores it as the value that opens its follow-ups (``treat_as``).
    """
    from .model import load_model

    raw = dict(base.raw)
    single = [q for q in questions if q.scored and q.type != "multi_choice"]
    gates = {c.question for q in questions for c in q.show_if}
    flags, checks = [], []
    for i, q in enumerate(rng.sample(single, k=min(len(single), rng.randint(0, 4)))):
        worse = [o.value for o in sorted(q.options, key=lambda o: o.score)[:-1]]
        when = [{"question": q.key, "in": rng.sample(worse, k=rng.randint(1, len(worse)))}]
        if rng.random() < 0.4:
            key = rng.choice(list(SYNTHETIC_INTAKE))
            when.append({"intake": key, "in": [rng.choice(SYNTHETIC_INTAKE[key])]})
        if rng.random() < 0.3:
            when.append({"tier": ["medium", "high", "critical"][rng.randint(0, 2) :]})
        flags.append({
            "key": f"flag_{i}", "when": when, "reason": f"Synthetic red flag {i}.",
            "min_rating": rng.choice(["medium", "high", "critical"]),
        })  # fmt: skip
    for i in range(rng.randint(0, 3)):
        if len(single) < 2:
            break
        a, b = rng.sample(single, k=2)
        claim = [max(a.options, key=lambda o: o.score).value]
        other = [min(b.options, key=lambda o: o.score).value]
        check = {
            "key": f"check_{i}", "message": f"Synthetic check {i}.", "penalise": [a.key],
            "when": [{"question": a.key, "in": claim}, {"question": b.key, "in": other}],
        }  # fmt: skip
        checks.append(check)
    gate_qs = [q for q in single if q.key in gates]
    if gate_qs and rng.random() < 0.7:
        g = rng.choice(gate_qs)
        opener = next(c.values[0] for q in questions for c in q.show_if if c.question == g.key)
        hiding = [o.value for o in g.options if o.value != opener]
        if hiding:
            key = rng.choice(list(SYNTHETIC_INTAKE))
            checks.append({
                "key": "check_gate", "message": "Synthetic hiding check.",
                "when": [{"intake": key, "in": [SYNTHETIC_INTAKE[key][1]]},
                         {"question": g.key, "in": hiding}],
                "penalise": [g.key], "treat_as": {g.key: opener},
            })  # fmt: skip
    raw["red_flags"] = flags
    raw["checks"] = checks
    raw["version"] = f"{base.version}-synthetic"
    return load_model(raw)


def answers_frame_rows(assessment_id: object, answers: dict[str, AnswerIn]) -> list[dict]:
    """Return long-format rows (for ``score_frame``) of one assessment's answers."""
    return [
        {
            "assessment_id": assessment_id,
            "question": a.question,
            "value": a.value,
            "na": a.na,
            "evidence": a.evidence,
        }
        for a in answers.values()
    ]


def certificate_frame_rows(assessment_id: object, certs: Sequence[CertificateIn]) -> list[dict]:
    """Return rows (for ``score_frame``) of one assessment's certificates."""
    return [
        {
            "assessment_id": assessment_id,
            "id": c.id,
            "kind": c.kind,
            "verification": c.verification,
            "issued_on": c.issued_on,
            "expires_on": c.expires_on,
            "scope_covers_service": c.scope_covers_service,
            "accredited": c.accredited,
            "suspended": c.suspended,
        }
        for c in certs
    ]

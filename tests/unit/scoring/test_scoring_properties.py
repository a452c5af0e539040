"""Properties the engine must hold, checked with Hypothesis on synthetic questionnaires.

Each case draws a questionnaire, answers, certificates, a tier, an intake and a scoring model
with random red flags and consistency checks on that questionnaire (``synthetic_model``).
"""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vendorassure.scoring import (
    RATINGS,
    AnswerIn,
    CertificateIn,
    QuestionDef,
    ScoringInput,
    load_model,
    score_assessment,
    visible_questions,
)
from vendorassure.scoring.compiled import compiled
from vendorassure.scoring.engine import inputs_from_dataclasses
from vendorassure.scoring.evaluate import evaluate, visibility
from vendorassure.scoring.synthetic import (
    SYNTHETIC_INTAKE,
    random_answers,
    random_certificates,
    random_intake,
    synthetic_controls,
    synthetic_model,
    synthetic_questionnaire,
)

AS_OF = date(2026, 11, 27)
BASE = load_model()
CONTROLS = synthetic_controls(objectives=4, per_objective=3)
EVIDENCE_ORDER = ["rejected", "none", "provided", "verified"]
R = RATINGS.index
PROPS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


class Case:
    """A scoring input together with the model it is scored with."""

    def __init__(self, inp, model):
        self.inp, self.model = inp, model

    def score(self, **changes):
        inp = replace(self.inp, **changes) if changes else self.inp
        return score_assessment(inp, self.model)

    def with_answer(self, key, answer):
        answers = dict(self.inp.answers)
        if answer is None:
            answers.pop(key, None)
        else:
            answers[key] = answer
        return Case(replace(self.inp, answers=answers), self.model)


@st.composite
def cases(draw, certificates=True, rules=True):
    rng = draw(st.randoms(use_true_random=False))
    n = draw(st.integers(min_value=2, max_value=24))
    questions = synthetic_questionnaire(rng, n, CONTROLS)
    answers = random_answers(rng, questions)
    certs = random_certificates(rng, AS_OF) if certificates else []
    tier = draw(st.sampled_from(RATINGS))
    model = synthetic_model(rng, questions, BASE) if rules else BASE
    inp = ScoringInput(questions, CONTROLS, answers, certs, tier, AS_OF, random_intake(rng))
    return Case(inp, model)


def free_questions(case):
    """Visible option questions that gate no other question (changing them keeps the set)."""
    inp = case.inp
    parents = {c.question for q in inp.questions for c in q.show_if}
    vis = visible_questions(inp.questions, inp.answers)
    return [q for q in inp.questions if q.scored and q.key in vis and q.key not in parents]


def answer(q: QuestionDef, value, evidence="none"):
    return AnswerIn(q.key, [value] if q.type == "multi_choice" else value, evidence=evidence)


def best_answer(q: QuestionDef, evidence="verified"):
    if q.type == "multi_choice" and q.score_mode == "sum":
        return AnswerIn(q.key, [o.value for o in q.options if o.score > 0], evidence=evidence)
    return answer(q, max(q.options, key=lambda o: o.score).value, evidence)


VALID_CERTS = [
    CertificateIn(i, kind, "accepted", AS_OF - timedelta(days=100), AS_OF + timedelta(days=900),
                  True, True)
    for i, kind in enumerate(BASE.certificate_credits)
]  # fmt: skip


@PROPS
@given(cases())
def test_deterministic(case):
    first = case.score().to_dict()
    assert case.score().to_dict() == first
    shuffled = dict(reversed(list(case.inp.answers.items())))
    assert case.score(answers=shuffled).to_dict() == first


@PROPS
@given(cases())
def test_bounded(case):
    r = case.score()
    assert 0.0 <= r.risk_score <= 100.0
    assert 0.0 <= r.effectiveness <= 1.0
    assert r.rating in RATINGS and r.band in BASE.band_names
    lo, hi = BASE.rating_ranges[r.rating]
    assert lo <= r.risk_score <= hi
    for c in r.controls:
        assert 0.0 <= c.score <= 1.0 and 0.0 <= c.coverage <= 1.0
    for o in r.objectives:
        assert 0.0 <= o.score <= 1.0
    assert len(r.controls) == len(CONTROLS)
    assert len(r.drivers) <= BASE.drivers_top
    assert len(r.plan.steps) <= BASE.plan_steps


@PROPS
@given(cases(), st.data())
def test_monotone_better_single_answer_never_raises_risk(case, data):
    candidates = free_questions(case)
    assume(candidates)
    q = data.draw(st.sampled_from(candidates))
    opts = sorted(q.options, key=lambda o: o.score)
    i = data.draw(st.integers(0, len(opts) - 1))
    j = data.draw(st.integers(i, len(opts) - 1))
    e1 = data.draw(st.integers(0, 3))
    e2 = data.draw(st.integers(e1, 3))
    worse = case.with_answer(q.key, answer(q, opts[i].value, EVIDENCE_ORDER[e1])).score()
    better = case.with_answer(q.key, answer(q, opts[j].value, EVIDENCE_ORDER[e2])).score()
    assert better.risk_score <= worse.risk_score
    assert R(better.rating) <= R(worse.rating)
    assert better.effectiveness >= worse.effectiveness


@PROPS
@given(cases())
def test_monotone_adding_a_valid_certificate_never_raises_risk(case):
    before = case.score()
    after = case.score(certificates=list(case.inp.certificates) + VALID_CERTS)
    assert after.risk_score <= before.risk_score
    assert R(after.rating) <= R(before.rating)


@PROPS
@given(cases(), st.data())
def test_na_leaves_the_denominator(case, data):
    inp = case.inp
    parents = {c.question for q in inp.questions for c in q.show_if}
    candidates = [q for q in inp.questions if q.allows_na and q.key not in parents]
    assume(candidates)
    q = data.draw(st.sampled_from(candidates))
    as_na = case.with_answer(q.key, AnswerIn(q.key, None, na=True)).score()
    without = case.score(
        questions=[x for x in inp.questions if x.key != q.key],
        answers={k: v for k, v in inp.answers.items() if k != q.key},
    )
    assert as_na.to_dict() == without.to_dict()


@PROPS
@given(cases(), st.data())
def test_unanswered_never_better_than_the_worst_option(case, data):
    candidates = free_questions(case)
    assume(candidates)
    q = data.draw(st.sampled_from(candidates))
    worst = min(q.options, key=lambda o: o.score)
    ev = data.draw(st.sampled_from(EVIDENCE_ORDER))
    unanswered = case.with_answer(q.key, None).score()
    worst_answered = case.with_answer(q.key, answer(q, worst.value, ev)).score()
    assert unanswered.risk_score >= worst_answered.risk_score
    assert R(unanswered.rating) >= R(worst_answered.rating)
    assert unanswered.effectiveness <= worst_answered.effectiveness
    # an answer naming no known option counts as unanswered
    garbage = case.with_answer(q.key, answer(q, "not-an-option")).score()
    assert garbage.risk_score == unanswered.risk_score


@PROPS
@given(cases(), st.data())
def test_rejected_claim_never_better_than_the_honest_negative(case, data):
    candidates = [q for q in free_questions(case) if q.evidence_kinds]
    assume(candidates)
    q = data.draw(st.sampled_from(candidates))
    claim = data.draw(st.sampled_from(q.options)).value
    worst = min(q.options, key=lambda o: o.score).value
    ev = data.draw(st.sampled_from(EVIDENCE_ORDER))
    rejected = case.with_answer(q.key, answer(q, claim, "rejected")).score()
    honest = case.with_answer(q.key, answer(q, worst, ev)).score()
    assert rejected.risk_score >= honest.risk_score
    assert R(rejected.rating) >= R(honest.rating)
    assert rejected.effectiveness <= honest.effectiveness


@PROPS
@given(cases(certificates=False), st.sampled_from(list(BASE.certificate_credits)), st.data())
def test_expired_or_unverified_certificate_never_earns_credit(case, kind, data):
    issued = AS_OF - timedelta(days=1000)
    refused = data.draw(
        st.sampled_from(
            [
                CertificateIn("x", kind, "accepted", issued, AS_OF - timedelta(days=1), True, True),
                CertificateIn("x", kind, "pending", issued, AS_OF + timedelta(days=99), True, True),
                CertificateIn(
                    "x", kind, "rejected", issued, AS_OF + timedelta(days=99), True, True
                ),
                CertificateIn("x", kind, "accepted", AS_OF + timedelta(days=3), None, True, True),
                CertificateIn(
                    "x", kind, "accepted", issued, AS_OF + timedelta(days=99), True, True, True
                ),
            ]
        )
    )
    base = case.score().to_dict()
    got = case.score(certificates=[refused]).to_dict()
    (cert,) = got.pop("certificates")
    base.pop("certificates")
    # a lapsed certificate may add a "renew" suggestion to the plan; nothing else changes
    plan, base_plan = got.pop("what_it_would_take"), base.pop("what_it_would_take")
    assert [s for s in plan["steps"] if s["action"] != "renew"] == [
        s for s in base_plan["steps"] if s["action"] != "renew"
    ]
    assert got == base
    assert cert["applied"] is False and cert["credit"] is None
    assert cert["reason"] in {
        "expired",
        "not yet verified",
        "rejected",
        "not yet valid",
        "no validity dates",
        "suspended",
    }


def test_certificate_refusal_reasons():
    q = QuestionDef.from_dict(
        {"key": "p", "type": "yes_no", "options": [{"value": "yes", "score": 1.0},
         {"value": "no", "score": 0.0}], "controls": [{"ref": "A.2.2", "weight": 1}]}
    )  # fmt: skip
    day = timedelta(days=1)
    k = "iso42001_certificate"
    certs = [
        CertificateIn(1, k, "accepted", AS_OF - 9 * day, AS_OF - day, True, True),
        CertificateIn(2, k, "pending", AS_OF - 9 * day, AS_OF + day, True, True),
        CertificateIn(3, k, "rejected", AS_OF - 9 * day, AS_OF + day, True, True),
        CertificateIn(4, k, "accepted", AS_OF - 9 * day, AS_OF + day, False, True),
        CertificateIn(5, k, "accepted", AS_OF - 9 * day, AS_OF + day, None, True),
        CertificateIn(6, k, "accepted", AS_OF - 9 * day, AS_OF + day, True, False),
        CertificateIn(7, "policy", "accepted", AS_OF - 9 * day, AS_OF + day, True, True),
        CertificateIn(8, k, "accepted", AS_OF + day, AS_OF + 9 * day, True, True),
        CertificateIn(9, k, "accepted", None, None, True, True),
        CertificateIn(10, k, "accepted", AS_OF, AS_OF, True, True),  # valid on both end days
        CertificateIn(11, "soc2_type2_report", "accepted", AS_OF - 364 * day, None, True, None),
        CertificateIn(12, "soc2_type2_report", "accepted", AS_OF - 366 * day, None, True, None),
        CertificateIn(13, k, "accepted", AS_OF - 9 * day, AS_OF + day, True, True, True),
    ]
    inp = ScoringInput([q], CONTROLS, {"p": AnswerIn("p", "no")}, certs, "medium", AS_OF)
    reasons = {c.id: c.reason for c in score_assessment(inp, BASE).certificates}
    assert reasons == {
        1: "expired", 2: "not yet verified", 3: "rejected", 4: "out of scope",
        5: "out of scope", 6: "not accredited", 7: "wrong kind", 8: "not yet valid",
        9: "no validity dates", 10: "applied", 11: "applied", 12: "expired", 13: "suspended",
    }  # fmt: skip


@PROPS
@given(cases())
def test_red_flags_floor_the_rating(case):
    r = case.score()
    for f in r.red_flags:
        assert R(r.rating) >= R(f.min_rating)
    for k in r.knockouts:
        assert R(r.rating) >= R(k["min_rating"])
    vis = visible_questions(case.inp.questions, case.inp.answers)
    for q in case.inp.questions:
        a = case.inp.answers.get(q.key)
        if q.knockout and q.key in vis and a and not a.na and a.value in q.knockout.values:
            if a.evidence == "rejected":
                continue  # a rejected claim counts as the worst option instead
            assert R(r.rating) >= R(q.knockout.min_rating)
            assert any(k["question"] == q.key for k in r.knockouts)


@PROPS
@given(cases())
def test_red_flags_and_caps_never_improve_a_rating(case):
    with_rules = case.score()
    bare = load_model({**case.model.raw, "red_flags": [], "caps": []})
    without = score_assessment(case.inp, bare)
    assert R(with_rules.rating) >= R(without.rating)
    assert with_rules.risk_score >= without.risk_score
    assert with_rules.effectiveness == without.effectiveness


@PROPS
@given(cases())
def test_rating_and_risk_monotone_in_tier(case):
    results = [case.score(inherent_tier=t) for t in RATINGS]
    for lower, higher in zip(results, results[1:], strict=False):
        assert R(higher.rating) >= R(lower.rating)
        assert higher.risk_score >= lower.risk_score


def test_residual_matrix_monotone_in_tier_and_band():
    bands = BASE.band_names
    for t_i, tier in enumerate(RATINGS):
        for b_i, band in enumerate(bands):
            r = R(BASE.rating_for(tier, band))
            if t_i:
                assert r >= R(BASE.rating_for(RATINGS[t_i - 1], band))
            if b_i:
                assert r >= R(BASE.rating_for(tier, bands[b_i - 1]))


def all_best(case):
    """Best answers for every question, in order, so that follow-ups are answered too."""
    answers = {}
    for q in case.inp.questions:
        if q.scored:
            answers[q.key] = best_answer(q)
    return answers


@PROPS
@given(cases())
def test_corner_best_answers(case):
    answers = all_best(case)
    for tier in RATINGS:
        r = case.score(answers=answers, inherent_tier=tier, certificates=())
        assert R(r.rating) <= R("medium"), (tier, r.effectiveness)
        assert not r.red_flags and not r.caps
    r = case.score(answers=answers, inherent_tier="low", certificates=VALID_CERTS)
    assert r.rating == "low"


@PROPS
@given(cases(), st.sampled_from(["rejected", "none", "provided", "verified", "unanswered"]))
def test_corner_worst_answers(case, evidence):
    answers = {}
    if evidence != "unanswered":
        answers = {
            q.key: answer(q, min(q.options, key=lambda o: o.score).value, evidence)
            for q in case.inp.questions
            if q.scored
        }
    for tier in RATINGS:
        r = case.score(answers=answers, inherent_tier=tier, certificates=())
        assert R(r.rating) >= R("medium")
        if tier in ("high", "critical"):
            assert r.rating == "critical"
        # worst answers stay at or above medium even with every certificate credited
        r = case.score(answers=answers, inherent_tier=tier, certificates=VALID_CERTS)
        assert R(r.rating) >= R("medium")


def apply_plan(case, plan):
    """Carry out the plan's required steps: each answer at its best with verified evidence
    (and any follow-up it opens answered at its best too), each certificate renewed."""
    questions = {q.key: q for q in case.inp.questions}
    answers = dict(case.inp.answers)
    certs = list(case.inp.certificates)

    def engine_visible(answers):
        c = compiled(case.inp.questions, case.inp.controls, case.model)
        ev = evaluate(c, inputs_from_dataclasses(c, [replace(case.inp, answers=answers)]))
        return {q.key for i, q in enumerate(case.inp.questions) if ev.VIS[0, i]}

    before = engine_visible(answers)
    for s in plan.steps:
        if s.action in ("change", "answer", "improve", "evidence"):
            answers[s.question] = best_answer(questions[s.question])
        elif s.action == "renew" and s.reason:
            certs.append(replace(VALID_CERTS[0], id="renewed", kind=s.certificate))
    opened = True
    while opened:  # follow-ups a step opens are answered too (the step says so)
        opened = False
        vis = engine_visible(answers)
        for q in case.inp.questions:
            fresh = q.key in vis and q.key not in before and q.scored
            if fresh and answers.get(q.key) != best_answer(q):
                answers[q.key] = best_answer(q)
                opened = True
    return case.score(answers=answers, certificates=certs)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(cases())
def test_what_it_would_take_really_lowers_the_rating(case):
    r = case.score()
    plan = r.plan
    if r.rating == "low":
        assert plan.target_rating is None and not plan.possible
        return
    assert plan.target_rating == RATINGS[R(r.rating) - 1]
    if not plan.possible:
        assert plan.reason
        return
    assert all(s.effect >= 0 for s in plan.steps)
    if plan.more == 0:
        after = apply_plan(case, plan)
        assert R(after.rating) <= R(plan.target_rating), (plan, after.rating)


def test_what_it_would_take_is_often_short_enough_to_check():
    """The property above is not vacuous: most plans on these cases are checked."""
    import random

    checked = possible = 0
    for seed in range(60):
        rng = random.Random(seed)
        questions = synthetic_questionnaire(rng, 20, CONTROLS)
        model = synthetic_model(rng, questions, BASE)
        inp = ScoringInput(questions, CONTROLS, random_answers(rng, questions), (),
                           rng.choice(RATINGS), AS_OF, random_intake(rng))  # fmt: skip
        r = score_assessment(inp, model)
        if r.plan.possible:
            possible += 1
            if r.plan.more == 0:
                checked += 1
                after = apply_plan(Case(inp, model), r.plan)
                assert R(after.rating) <= R(r.plan.target_rating)
    assert possible >= 20 and checked >= possible // 2


def gate_cases():
    """Synthetic cases whose model has the hiding check (intake x gating answer)."""
    import random

    out = []
    for seed in range(400):
        rng = random.Random(seed)
        questions = synthetic_questionnaire(rng, 18, CONTROLS)
        model = synthetic_model(rng, questions, BASE)
        check = next((c for c in model.checks if c.treat_as), None)
        if check is None:
            continue
        gate, opener = check.treat_as[0]
        children = [q for q in questions if any(c.question == gate for c in q.show_if)]
        grand = {c.question for q in questions for c in q.show_if}
        if not children or any(ch.key in grand for ch in children):
            continue  # follow-ups that open follow-ups are the documented exception
        if next(q for q in questions if q.key == gate).show_if:
            continue  # a gate that is itself a follow-up is hidden with its parent
        out.append((rng, questions, model, check, gate, opener, children))
        if len(out) >= 30:
            break
    return out


@pytest.mark.parametrize("i", range(30))
def test_hiding_never_beats_honesty(i):
    cases_ = gate_cases()
    assert len(cases_) == 30
    rng, questions, model, check, gate, opener, children = cases_[i]
    intake_key, intake_values = next((c.key, c.values) for c in check.when if c.source == "intake")
    intake = {k: v[0] for k, v in SYNTHETIC_INTAKE.items()} | {intake_key: intake_values[0]}
    base = random_answers(rng, questions, p_unanswered=0.0)
    gate_q = next(q for q in questions if q.key == gate)
    hiding_value = next(o.value for o in gate_q.options if o.value != opener)
    honest = dict(base) | {gate: AnswerIn(gate, opener)}
    for ch in children:
        if ch.options:
            value = rng.choice(ch.options).value
            honest[ch.key] = answer(ch, value, rng.choice(EVIDENCE_ORDER))
    hide = {k: v for k, v in honest.items() if k not in {c.key for c in children}}
    hide[gate] = AnswerIn(gate, hiding_value)
    tier = rng.choice(RATINGS)

    def run(answers):
        return score_assessment(
            ScoringInput(questions, CONTROLS, answers, (), tier, AS_OF, intake), model
        )

    h, d = run(honest), run(hide)
    assert d.risk_score >= h.risk_score and R(d.rating) >= R(h.rating)
    assert d.effectiveness <= h.effectiveness
    assert any(c.key == check.key for c in d.contradictions)
    # hiding with the stale follow-up answers still in the record is no better either
    stale = dict(honest) | {gate: AnswerIn(gate, hiding_value)}
    s = run(stale)
    assert s.risk_score >= h.risk_score and R(s.rating) >= R(h.rating)


@PROPS
@given(cases())
def test_plain_visibility_agrees_with_the_engine(case):
    inp = case.inp
    answers = {k: replace(a, evidence="none") for k, a in inp.answers.items()}
    c = compiled(inp.questions, inp.controls, BASE)
    x = inputs_from_dataclasses(c, [replace(inp, answers=answers)])
    vis = visibility(c, x.CH)[0]
    assert {q.key for i, q in enumerate(inp.questions) if vis[i]} == visible_questions(
        inp.questions, answers
    )


def test_visible_questions_follow_chains():
    def q(key, parent=None, values=("yes",)):
        d = {"key": key, "type": "yes_no", "allows_na": True,
             "options": [{"value": "yes", "score": 1}, {"value": "no", "score": 0}]}  # fmt: skip
        if parent:
            d["show_if"] = [{"question": parent, "in": list(values)}]
        return QuestionDef.from_dict(d)

    qs = [q("a"), q("b", "a"), q("c", "b"), q("d", "a", ("no",)), q("e", "zz")]
    yes = AnswerIn("a", "yes")
    assert visible_questions(qs, {"a": yes, "b": AnswerIn("b", "yes")}) == {"a", "b", "c"}
    # c's own condition holds, but its parent b is hidden: c is hidden too
    assert visible_questions(qs, {"a": AnswerIn("a", "no"), "b": AnswerIn("b", "yes")}) == {
        "a",
        "d",
    }
    assert visible_questions(qs, {}) == {"a"}
    assert visible_questions(qs, {"a": AnswerIn("a", None, na=True)}) == {"a"}
    # YAML's unquoted yes (a boolean) means "yes"
    assert "b" in visible_questions(qs, {"a": AnswerIn("a", True)})


def test_hidden_questions_are_not_scored():
    qs = [
        QuestionDef.from_dict(
            {
                "key": "gate",
                "type": "yes_no",
                "options": [{"value": "yes", "score": 1}, {"value": "no", "score": 1}],
            }  # fmt: skip
        ),
        QuestionDef.from_dict(
            {
                "key": "child",
                "type": "yes_no",
                "show_if": [{"question": "gate", "in": ["yes"]}],
                "options": [{"value": "yes", "score": 1}, {"value": "no", "score": 0}],
                "controls": [{"ref": "A.2.2", "weight": 1}],
                "knockout": {"values": ["no"], "min_rating": "critical"},
            }  # fmt: skip
        ),
    ]
    answers = {"gate": AnswerIn("gate", "no"), "child": AnswerIn("child", "no")}
    r = score_assessment(ScoringInput(qs, CONTROLS, answers, (), "low", AS_OF), BASE)
    assert r.knockouts == [] and r.effectiveness == 0.0
    assert all(c.coverage == 0 for c in r.controls)


def test_unknown_tier_and_evidence_are_refused():
    q = QuestionDef.from_dict(
        {"key": "p", "type": "yes_no", "evidence_kinds": ["policy"],
         "options": [{"value": "yes", "score": 1.0}], "controls": [{"ref": "A.2.2"}]}
    )  # fmt: skip
    with pytest.raises(ValueError, match="unknown inherent tier"):
        score_assessment(ScoringInput([q], CONTROLS, {}, (), "extreme", AS_OF), BASE)
    bad = {"p": AnswerIn("p", "yes", evidence="notarised")}
    with pytest.raises(ValueError, match="unknown evidence state 'notarised'"):
        score_assessment(ScoringInput([q], CONTROLS, bad, (), "low", AS_OF), BASE)

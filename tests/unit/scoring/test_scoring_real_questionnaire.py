"""The properties and corners on the real questionnaires and the Annex A catalog."""

import random
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_scoring_batch import assert_agree

from vendorassure.scoring import (
    RATINGS,
    AnswerIn,
    CertificateIn,
    ScoringInput,
    load_model,
    score_assessment,
    visible_questions,
)
from vendorassure.scoring.files import QUESTIONNAIRE_DIR, load_controls, load_questionnaire
from vendorassure.scoring.synthetic import (
    answers_frame_rows,
    certificate_frame_rows,
    random_answers,
    random_certificates,
)

AS_OF = date(2026, 11, 27)
INTAKE_VALUES = {
    q["key"]: [o["value"] for o in q["options"]]
    for q in yaml.safe_load((QUESTIONNAIRE_DIR / "intake.yaml").read_text())["questions"]
}
MODEL = load_model()
CONTROLS = load_controls()
FULL = load_questionnaire(QUESTIONNAIRE_DIR / "iso42001-ai-vendor.yaml")[1]
LITE = load_questionnaire(QUESTIONNAIRE_DIR / "iso42001-ai-vendor-lite.yaml")[1]
EVIDENCE = ["rejected", "none", "provided", "verified"]
R = RATINGS.index
VALID_CERTS = [
    CertificateIn(i, kind, "accepted", AS_OF - timedelta(days=100), AS_OF + timedelta(days=900),
                  True, True)
    for i, kind in enumerate(MODEL.certificate_credits)
]  # fmt: skip
SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def pick(q, best):
    if best and q.type == "multi_choice" and q.score_mode == "sum":
        return [o.value for o in q.options if o.score > 0]  # every safeguard counts
    o = (max if best else min)(q.options, key=lambda o: o.score)
    return [o.value] if q.type == "multi_choice" else o.value


def corner_answers(questions, best, evidence="none"):
    return {
        q.key: AnswerIn(q.key, pick(q, best), evidence=evidence) for q in questions if q.options
    }


def score(questions, answers, tier, certs=()):
    return score_assessment(ScoringInput(questions, CONTROLS, answers, certs, tier, AS_OF), MODEL)


def test_catalog_has_38_controls_and_the_full_questionnaire_covers_them():
    assert len(CONTROLS) == 38
    refs = {c.ref for c in CONTROLS}
    assert {c.ref for q in FULL for c in q.controls} == refs


def test_knockouts_sit_on_worst_options():
    """The monotone guarantee assumes a knockout value is never better than a plain answer."""
    for q in FULL + LITE:
        if q.knockout:
            worst = min(o.score for o in q.options)
            for v in q.knockout.values:
                assert next(o.score for o in q.options if o.value == v) == worst, q.key


@pytest.mark.parametrize("questions", [FULL, LITE], ids=["full", "lite"])
@pytest.mark.parametrize("evidence", ["none", "provided", "verified"])
def test_corner_best_answers(questions, evidence):
    answers = corner_answers(questions, best=True, evidence=evidence)
    for tier in RATINGS:
        r = score(questions, answers, tier)
        assert not r.red_flags and not r.caps, (tier, r.red_flags, r.caps)
        # verified best answers never rate above medium; claims alone from a critical supplier
        # may rate high (docs/SCORING.md §4)
        worst = "high" if tier == "critical" and evidence == "none" else "medium"
        assert R(r.rating) <= R(worst), (tier, evidence, r.rating, r.effectiveness)
    assert score(questions, answers, "low", VALID_CERTS).rating == "low"


@pytest.mark.parametrize("questions", [FULL, LITE], ids=["full", "lite"])
@pytest.mark.parametrize("evidence", ["rejected", "none", "verified", "unanswered"])
def test_corner_worst_answers(questions, evidence):
    answers = {} if evidence == "unanswered" else corner_answers(questions, False, evidence)
    for tier in RATINGS:
        r = score(questions, answers, tier)
        assert R(r.rating) >= R("medium")
        if tier in ("high", "critical"):
            assert r.rating == "critical"
        assert R(score(questions, answers, tier, VALID_CERTS).rating) >= R("medium")


@SETTINGS
@given(st.randoms(use_true_random=False), st.data())
def test_monotone_on_the_full_questionnaire(rng, data):
    answers = random_answers(rng, FULL)
    tier = data.draw(st.sampled_from(RATINGS))
    certs = random_certificates(rng, AS_OF)
    parents = {c.question for q in FULL for c in q.show_if}
    vis = visible_questions(FULL, answers)
    q = data.draw(st.sampled_from([q for q in FULL if q.options and q.key in vis
                                   and q.key not in parents]))  # fmt: skip
    opts = sorted(q.options, key=lambda o: o.score)
    i = data.draw(st.integers(0, len(opts) - 1))
    j = data.draw(st.integers(i, len(opts) - 1))
    e1 = data.draw(st.integers(0, 3))
    e2 = data.draw(st.integers(e1, 3))

    def with_(value, ev):
        v = [value] if q.type == "multi_choice" else value
        return {**answers, q.key: AnswerIn(q.key, v, evidence=EVIDENCE[ev])}

    worse = score(FULL, with_(opts[i].value, e1), tier, certs)
    better = score(FULL, with_(opts[j].value, e2), tier, certs)
    unanswered = score(FULL, {k: a for k, a in answers.items() if k != q.key}, tier, certs)
    assert better.risk_score <= worse.risk_score <= unanswered.risk_score
    assert R(better.rating) <= R(worse.rating) <= R(unanswered.rating)


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_na_leaves_the_denominator_on_the_full_questionnaire(rng):
    answers = random_answers(rng, FULL, p_na=0.0)
    parents = {c.question for q in FULL for c in q.show_if}
    q = rng.choice([q for q in FULL if q.allows_na and q.key not in parents])
    as_na = score(FULL, {**answers, q.key: AnswerIn(q.key, None, na=True)}, "high")
    without = score(
        [x for x in FULL if x.key != q.key],
        {k: a for k, a in answers.items() if k != q.key},
        "high",
    )
    assert as_na.to_dict() == without.to_dict()


@pytest.mark.parametrize("questions", [FULL, LITE], ids=["full", "lite"])
def test_score_frame_agrees_on_the_shipped_questionnaires(questions):
    rng = random.Random(7)
    inputs, rows, cert_rows = {}, [], []
    for aid in range(120):
        answers = random_answers(rng, questions, p_unanswered=rng.choice([0.0, 0.05, 0.4]))
        certs = random_certificates(rng, AS_OF)
        intake = {k: rng.choice(v) for k, v in INTAKE_VALUES.items()}
        inputs[aid] = ScoringInput(
            questions, CONTROLS, answers, certs, rng.choice(RATINGS), AS_OF, intake
        )
        rows += answers_frame_rows(aid, answers)
        cert_rows += certificate_frame_rows(aid, certs)
    assert_agree(inputs, pd.DataFrame(rows), pd.DataFrame(cert_rows), questions, CONTROLS)
    fired = {f.key for inp in inputs.values() for f in score_assessment(inp, MODEL).red_flags}
    assert len(fired) >= 5  # the shipped red flags are exercised, not only the knockouts


def test_every_control_listed_for_the_lite_questionnaire():
    r = score(LITE, corner_answers(LITE, best=True, evidence="verified"), "low")
    assert len(r.controls) == 38
    assert r.rating == "low"
    unasked = {c.ref for c in CONTROLS} - {c.ref for q in LITE for c in q.controls}
    for c in r.controls:
        if c.ref in unasked:
            assert (c.score, c.coverage) == (0.0, 0.0)


def test_tier_changes_only_through_inherent_tier():
    answers = corner_answers(FULL, best=False)
    base = ScoringInput(FULL, CONTROLS, answers, (), "low", AS_OF)
    scores = [score_assessment(replace(base, inherent_tier=t), MODEL).risk_score for t in RATINGS]
    assert scores == sorted(scores)

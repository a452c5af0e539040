"""score_frame (vectorised batch) agrees with score_assessment on every assessment."""

import random
from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vendorassure.scoring import (
    RATINGS,
    AnswerIn,
    ScoringInput,
    load_model,
    score_assessment,
    score_frame,
)
from vendorassure.scoring.synthetic import (
    answers_frame_rows,
    certificate_frame_rows,
    random_answers,
    random_certificates,
    random_intake,
    synthetic_controls,
    synthetic_model,
    synthetic_questionnaire,
)

AS_OF = date(2026, 11, 27)
MODEL = load_model()


def portfolio(rng, questions, controls, n):
    inputs, rows, cert_rows = {}, [], []
    for i in range(n):
        aid = 1000 + i
        answers = random_answers(rng, questions, p_unanswered=rng.choice([0.0, 0.1, 0.5]))
        certs = random_certificates(rng, AS_OF)
        tier = rng.choice(RATINGS)
        inputs[aid] = ScoringInput(
            questions, controls, answers, certs, tier, AS_OF, random_intake(rng)
        )
        rows += answers_frame_rows(aid, answers)
        cert_rows += certificate_frame_rows(aid, certs)
    return inputs, pd.DataFrame(rows), pd.DataFrame(cert_rows)


def assert_agree(inputs, answers_df, certs_df, questions, controls, model=MODEL):
    """Every stored figure and the whole explanation are identical on both paths."""
    tiers = {aid: inp.inherent_tier for aid, inp in inputs.items()}
    intakes = {aid: inp.intake for aid, inp in inputs.items()}
    fs = score_frame(questions, controls, answers_df, certs_df, tiers, AS_OF, model, intakes)
    assert fs.ids == list(inputs)
    assert list(fs.assessments.index) == list(inputs)
    assert len(fs.control_scores) == len(inputs) * len(controls)
    ctrl = {aid: g for aid, g in fs.control_scores.groupby("assessment_id", sort=False)}
    objs = {aid: g for aid, g in fs.objective_scores.groupby("assessment_id", sort=False)}
    for i, (aid, inp) in enumerate(inputs.items()):
        one = score_assessment(inp, model)
        row = fs.assessments.loc[aid]
        assert (row.risk_score, row.rating, row.band, row.effectiveness) == (
            one.risk_score, one.rating, one.band, one.effectiveness,
        ), aid  # fmt: skip
        assert row.matrix_rating == one.explanation.matrix_rating
        g = ctrl[aid]
        assert list(g["ref"]) == [c.ref for c in one.controls]
        assert list(g["score"]) == [c.score for c in one.controls]
        assert list(g["coverage"]) == [c.coverage for c in one.controls]
        o = objs[aid]
        assert list(o["ref"]) == [x.ref for x in one.objectives]
        assert list(o["score"]) == [x.score for x in one.objectives]
        assert list(o["band"]) == [x.band for x in one.objectives]
        assert fs.explanation(i).to_dict() == one.explanation.to_dict(), aid


def test_score_frame_agrees_on_a_random_portfolio():
    rng = random.Random(42)
    controls = synthetic_controls()
    questions = synthetic_questionnaire(rng, 60, controls)
    model = synthetic_model(rng, questions, MODEL)
    inputs, answers_df, certs_df = portfolio(rng, questions, controls, 150)
    assert_agree(inputs, answers_df, certs_df, questions, controls, model)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(st.randoms(use_true_random=False), st.integers(1, 30), st.integers(1, 12))
def test_score_frame_agrees_on_generated_questionnaires(rng, n_questions, n_assessments):
    controls = synthetic_controls(objectives=4, per_objective=3)
    questions = synthetic_questionnaire(rng, n_questions, controls)
    model = synthetic_model(rng, questions, MODEL)
    inputs, answers_df, certs_df = portfolio(rng, questions, controls, n_assessments)
    assert_agree(inputs, answers_df, certs_df, questions, controls, model)


def test_score_frame_without_answers_or_certificates():
    controls = synthetic_controls(objectives=2, per_objective=2)
    questions = synthetic_questionnaire(random.Random(1), 5, controls)
    empty = pd.DataFrame(columns=["assessment_id", "question", "value", "na", "evidence"])
    fs = score_frame(questions, controls, empty, None, {"a": "high", "b": "low"}, AS_OF, MODEL)
    assert list(fs.assessments["rating"]) == ["critical", "medium"]
    assert (fs.control_scores["score"] == 0).all()
    one = score_assessment(ScoringInput(questions, controls, {}, (), "high", AS_OF), MODEL)
    assert fs.assessments.loc["a", "risk_score"] == one.risk_score
    assert fs.explanation(0).to_dict() == one.explanation.to_dict()


def test_score_frame_refuses_unknown_assessments_tiers_and_evidence():
    controls = synthetic_controls(objectives=1, per_objective=1)
    questions = synthetic_questionnaire(random.Random(2), 2, controls)
    key = questions[0].key
    df = pd.DataFrame([{"assessment_id": 9, "question": key, "value": "yes", "na": False,
                        "evidence": "none"}])  # fmt: skip
    with pytest.raises(ValueError, match="without a tier"):
        score_frame(questions, controls, df, None, {1: "low"}, AS_OF, MODEL)
    with pytest.raises(ValueError, match="unknown inherent tier"):
        score_frame(questions, controls, df, None, {9: "extreme"}, AS_OF, MODEL)
    df.loc[0, "evidence"] = "notarised"
    with pytest.raises(ValueError, match="unknown evidence state"):
        score_frame(questions, controls, df, None, {9: "low"}, AS_OF, MODEL)


def test_score_frame_last_duplicate_wins_and_lists_on_single_choice():
    controls = synthetic_controls(objectives=2, per_objective=2)
    questions = synthetic_questionnaire(random.Random(5), 8, controls)
    single = next(q for q in questions if q.options and q.type != "multi_choice" and not q.show_if)
    worst, best = (min(single.options, key=lambda o: o.score).value,
                   max(single.options, key=lambda o: o.score).value)  # fmt: skip
    rows = [
        {"assessment_id": "x", "question": single.key, "value": best, "na": False,
         "evidence": "verified"},
        {"assessment_id": "x", "question": single.key, "value": worst, "na": False,
         "evidence": None},
        {"assessment_id": "y", "question": single.key, "value": [best, worst], "na": None,
         "evidence": ""},
        {"assessment_id": "y", "question": "not_in_questionnaire", "value": "yes", "na": False,
         "evidence": "none"},
    ]  # fmt: skip
    frame = score_frame(
        questions, controls, pd.DataFrame(rows), None, {"x": "medium", "y": "medium"}, AS_OF, MODEL
    ).assessments
    for aid, answer in [("x", AnswerIn(single.key, worst)),
                        ("y", AnswerIn(single.key, [best, worst]))]:  # fmt: skip
        one = score_assessment(
            ScoringInput(questions, controls, {single.key: answer}, (), "medium", AS_OF), MODEL
        )
        assert frame.loc[aid, "risk_score"] == one.risk_score
        assert frame.loc[aid, "effectiveness"] == one.effectiveness

"""Intake file and intake -> inherent tier."""

import pytest

from vendorassure.scoring import RATINGS, inherent_tier, load_model
from vendorassure.scoring.files import INTAKE_PATH, read_yaml


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def intake():
    return read_yaml(INTAKE_PATH)


def lowest(questions):
    return {q["key"]: min(q["options"], key=lambda o: o["risk"])["value"] for q in questions}


def highest(questions):
    return {q["key"]: max(q["options"], key=lambda o: o["risk"])["value"] for q in questions}


def test_intake_file_is_well_formed(intake, model):
    assert intake["key"] == "ai-vendor-intake"
    questions = intake["questions"]
    assert 8 <= len(questions) <= 10
    keys = [q["key"] for q in questions]
    assert len(set(keys)) == len(keys)
    for q in questions:
        assert q["type"] == "single_choice" and q["text"]
        values = [str(o["value"]) for o in q["options"]]
        assert len(set(values)) == len(values), q["key"]
        for o in q["options"]:
            assert 0.0 <= o["risk"] <= 1.0 and o["label"]
            assert isinstance(o["value"], str), f"{q['key']}: quote {o['value']!r}"
    # every weighted key of the model exists in the intake
    assert set(model.tier_weights) <= set(keys)
    for f in model.forced_tiers:
        q = next(q for q in questions if q["key"] == f["question"])
        assert set(f["values"]) <= {o["value"] for o in q["options"]}


def test_lowest_answers_are_low_and_highest_critical(intake, model):
    assert inherent_tier(intake["questions"], lowest(intake["questions"]), model).tier == "low"
    top = inherent_tier(intake["questions"], highest(intake["questions"]), model)
    assert top.tier == "critical" and top.score > 0.75 and top.reasons


def test_prohibited_practice_is_critical(intake, model):
    answers = lowest(intake["questions"]) | {"eu_ai_act_class": "prohibited"}
    result = inherent_tier(intake["questions"], answers, model)
    assert result.tier == "critical"
    assert any("prohibited" in r for r in result.reasons)


def test_any_answer_at_09_forces_at_least_high(intake, model):
    answers = lowest(intake["questions"]) | {"personal_data": "special_category"}
    result = inherent_tier(intake["questions"], answers, model)
    assert result.tier == "high"
    assert result.score < 0.5  # the average alone would say low
    assert any("special_category" in r for r in result.reasons)


def test_typical_saas_assistant_is_medium(intake, model):
    answers = lowest(intake["questions"]) | {
        "eu_ai_act_role": "provider",
        "eu_ai_act_class": "limited",
        "personal_data": "personal",
        "data_retention": "short",
        "model_provenance": "third_party_foundation",
        "audience": "customer_facing",
        "business_criticality": "moderate",
    }
    assert inherent_tier(intake["questions"], answers, model).tier == "medium"


def test_tier_is_monotone_in_each_answer(intake, model):
    """Raising the risk of any one answer never lowers the tier."""
    questions = intake["questions"]
    base = lowest(questions)
    for q in questions:
        prev = -1
        for o in sorted(q["options"], key=lambda o: o["risk"]):
            tier = inherent_tier(questions, base | {q["key"]: o["value"]}, model).tier
            assert RATINGS.index(tier) >= prev
            prev = RATINGS.index(tier)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"favourite_colour": "blue"}, "unknown intake question: favourite_colour"),
        ({"autonomy": "sentient"}, "unknown option 'sentient' for intake question autonomy"),
        ({"autonomy": None}, "missing intake answer: autonomy"),
    ],
)
def test_bad_answers_are_refused_naming_the_key(intake, model, change, message):
    answers = lowest(intake["questions"]) | change
    with pytest.raises(ValueError, match=message):
        inherent_tier(intake["questions"], answers, model)


def test_missing_key_is_refused(intake, model):
    answers = lowest(intake["questions"])
    del answers["audience"]
    with pytest.raises(ValueError, match="missing intake answer: audience"):
        inherent_tier(intake["questions"], answers, model)

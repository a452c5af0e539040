"""The validator's rules for the v2 fields and the questionnaire's own coverage setting."""

from __future__ import annotations

import copy

import pytest

from vendorassure.catalog import validate_questionnaire
from vendorassure.catalog.qtypes import QUESTION_TYPES, AnswerRejected, question_type
from vendorassure.catalog.rules import FILE_RULES, QUESTION_RULES

REFS = {"A.2.2", "A.2.3", "A.10.3"}
MULTI = {
    "key": "safeguards",
    "text": "Which safeguards do you offer?",
    "type": "multi_choice",
    "score_mode": "sum",
    "options": [
        {"value": "logging", "label": "Logging", "score": 0.5},
        {"value": "review", "label": "Human review", "score": 0.5},
        {"value": "none", "label": "None of these", "score": 0.0, "exclusive": True},
    ],
    "controls": [{"ref": "A.2.2"}],
}
CERT = {
    "key": "certified",
    "text": "Do you hold a certificate?",
    "type": "single_choice",
    "scored": False,
    "options": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}],
}


def doc(*questions, coverage=None):
    d = {"key": "q", "title": "Q", "sections": [{"key": "s", "title": "S",
                                                   "questions": list(questions)}]}  # fmt: skip
    if coverage is not None:
        d["coverage"] = coverage
    return d


def problems(d):
    normalized, found = validate_questionnaire(d, REFS, "q.yaml")
    return normalized, [(p.key, p.field, p.message) for p in found]


def test_v2_fields_are_normalized():
    normalized, found = problems(doc(MULTI, CERT))
    assert found == []
    multi, cert = normalized["questions"]
    assert multi["score_mode"] == "sum" and multi["options"][2]["exclusive"] is True
    assert "exclusive" not in multi["options"][0]
    assert cert["scored"] is False and cert["controls"] == []
    assert all(o["score"] == 0.0 for o in cert["options"])


@pytest.mark.parametrize(
    "change, field, message",
    [
        (lambda q: q.update(type="single_choice", score_mode="sum"), "score_mode",
         "only multi_choice questions have a score_mode"),
        (lambda q: q.update(type="single_choice"), "options[2].exclusive",
         "only multi_choice options can be exclusive"),
        (lambda q: q.update(score_mode="median"), "score_mode", "must be one of mean, sum"),
        (lambda q: q["options"][2].update(exclusive="yes"), "options[2].exclusive",
         "must be true or false"),
        (lambda q: q.update(type="single_choice", score_mode="mean"), "options[2].exclusive",
         "only multi_choice options can be exclusive"),
        (lambda q: q.update(scored=False), "options[0].score",
         "an unscored question's options carry no score"),
        (lambda q: q.update(evidence_kinds=["contract_dpa", "notarised"]), "evidence_kinds[1]",
         "unknown evidence kind 'notarised'"),
    ],
)  # fmt: skip
def test_rules_refuse_bad_v2_fields(change, field, message):
    q = copy.deepcopy(MULTI)
    change(q)
    normalized, found = problems(doc(q))
    assert normalized is None
    assert any(f == field and message in m for _, f, m in found), found


def test_an_unscored_question_maps_to_no_control():
    q = copy.deepcopy(CERT) | {"controls": [{"ref": "A.10.3"}]}
    _, found = problems(doc(q))
    assert ("certified", "controls", "an unscored question maps to no control") in found


def test_coverage_is_the_files_own_setting():
    # without a coverage field, nothing is required
    assert problems(doc(MULTI))[1] == []
    _, found = problems(doc(MULTI, coverage={"controls": "all"}))
    assert {k for k, f, _ in found} == {"A.2.3", "A.10.3"}
    unmapped = copy.deepcopy(MULTI) | {"controls": []}
    _, found = problems(doc(unmapped, coverage={"questions": "mapped"}))
    assert found == [("safeguards", "controls", "a scored question must map to a control")]
    two = [copy.deepcopy(MULTI) | {"key": f"q{i}"} for i in range(3)]
    _, found = problems(doc(*two, coverage={"per_control": [1, 2]}))
    assert found == [("A.2.2", "controls", "carried by 3 scored questions (expected 1 to 2)")]


@pytest.mark.parametrize(
    "coverage, field",
    [("all", "coverage"), ({"controls": "most"}, "coverage.controls"),
     ({"per_control": [3, 1]}, "coverage.per_control"), ({"strict": True}, "coverage.strict")],
)  # fmt: skip
def test_bad_coverage_settings_are_named(coverage, field):
    normalized, found = problems(doc(MULTI, coverage=coverage))
    assert normalized is None and any(f == field for _, f, _ in found), found


def test_rules_are_a_list_of_small_classes():
    assert len(QUESTION_RULES) >= 8 and len(FILE_RULES) >= 2
    owned = [f for r in QUESTION_RULES for f in r.fields]
    assert len(owned) == len(set(owned))  # each field has one owner


@pytest.mark.parametrize("name", list(QUESTION_TYPES))
def test_every_type_parses_validates_and_has_a_schema(name):
    qt = question_type(name)
    options = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]
    sample = {"radio": ["a"], "checkbox": ["a", "b"], "text": [" hi "], "textarea": ["hi"],
              "number": ["3,5"], "date": ["2026-01-31"]}[qt.widget]  # fmt: skip
    value = qt.parse_form(sample)
    stored = qt.validate(value, options)
    assert stored not in (None, "", [])
    assert qt.json_schema(options)
    with pytest.raises(AnswerRejected):
        qt.validate({"not": "a value"}, options)


def test_exclusive_option_cannot_be_combined():
    qt = question_type("multi_choice")
    with pytest.raises(AnswerRejected, match="cannot be combined"):
        qt.validate(["none", "logging"], MULTI["options"])
    assert qt.validate(["none"], MULTI["options"]) == ["none"]

"""Answer reuse between questionnaires (catalog/reuse.py): matched by meaning, converted by the
question-type registry, nothing suggested where nothing fits."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vendorassure.catalog.reuse import MIN_SIMILARITY, suggest_reuse
from vendorassure.catalog.tabular import read_import_table

ROOT = Path(__file__).resolve().parents[3]
FOREIGN = ROOT / "tests/fixtures/foreign/ai-security-questionnaire.csv"


def _questions(name: str) -> list[dict]:
    doc = yaml.safe_load((ROOT / "questionnaires" / name).read_text())
    out = []
    for section in doc["sections"]:
        for q in section["questions"]:
            q = dict(q)
            q.setdefault("type", "single_choice")
            out.append(q)
    return out


def _some_answer(q: dict) -> dict:
    if q["type"] == "multi_choice":
        value = [q["options"][-1]["value"]]
    elif q.get("options"):
        value = q["options"][0]["value"]
    else:
        value = "Documented in our policy set."
    return {"value": value, "na": False, "na_reason": ""}


def _yes_no(key: str, text: str, **over) -> dict:
    q = {
        "key": key,
        "text": text,
        "type": "yes_no_partial",
        "allows_na": False,
        "options": [
            {"value": "yes", "label": "Yes", "score": 1.0},
            {"value": "partial", "label": "Partly", "score": 0.5},
            {"value": "no", "label": "No", "score": 0.0},
        ],
    }
    q.update(over)
    return q


def test_lite_answers_fill_the_same_questions_of_the_full_questionnaire_and_no_other():
    full = _questions("iso42001-ai-vendor.yaml")
    lite = _questions("iso42001-ai-vendor-lite.yaml")
    answers = {q["key"]: _some_answer(q) for q in lite}
    suggestions = suggest_reuse(full, lite, answers)
    assert len(suggestions) == len(lite) == 30
    assert all(s.target == s.source for s in suggestions)
    assert all(s.value == answers[s.source]["value"] for s in suggestions)


def test_full_answers_suggest_only_same_topic_rows_of_an_industry_questionnaire():
    table = read_import_table(FOREIGN, FOREIGN.name, key="aisq", title="AI SQ")
    foreign = table.normalized["questions"]
    full = _questions("iso42001-ai-vendor.yaml")
    answers = {q["key"]: _some_answer(q) for q in full}
    found = suggest_reuse(foreign, full, answers)
    suggestions = {s.target: s.source for s in found}
    # 322 rows, most of them security questions we do not ask: few suggestions, each on topic
    assert 8 <= len(suggestions) <= 20
    assert suggestions["use_01_1"] == "acceptable_use_published"
    assert suggestions["aig_04_1"] == "ai_accountable_owner"
    assert all(s.similarity >= MIN_SIMILARITY for s in found)
    texts = {q["key"]: q["text"].lower() for q in foreign}
    by_source = {s: t for t, s in suggestions.items()}
    assert "indemnify" in texts[by_source["ip_indemnity"]]


def test_an_option_moves_to_the_nearest_place_on_the_new_scale_ties_going_down():
    source = _yes_no("s", "Do you red-team the model before each release?")
    target = {
        "key": "t",
        "text": "Do you red-team the model before each release?",
        "type": "single_choice",
        "options": [
            {"value": "always", "label": "Always", "score": 1.0},
            {"value": "mostly", "label": "Mostly", "score": 0.75},
            {"value": "sometimes", "label": "Sometimes", "score": 0.25},
            {"value": "never", "label": "Never", "score": 0.0},
        ],
    }
    pick = {v: suggest_reuse([target], [source], {"s": {"value": v, "na": False}})[0].value
            for v in ("yes", "partial", "no")}  # fmt: skip
    # "Partly" sits at 0.5, as near to "Mostly" (0.75) as to "Sometimes" (0.25): the lower wins
    assert pick == {"yes": "always", "partial": "sometimes", "no": "never"}


def test_na_carries_only_where_the_new_question_allows_it():
    source = _yes_no("s", "Do you fine-tune the model on customer data?", allows_na=True)
    answer = {"s": {"value": None, "na": True, "na_reason": "We do not fine-tune."}}
    closed = _yes_no("t", "Do you fine-tune the model on customer data?")
    assert suggest_reuse([closed], [source], answer) == []
    open_ = dict(closed, allows_na=True)
    (s,) = suggest_reuse([open_], [source], answer)
    assert s.na and s.value is None and s.na_reason == "We do not fine-tune."


def test_choices_carry_only_when_every_chosen_option_exists_in_the_new_list():
    options = [{"value": v, "label": v.title(), "score": 0.5} for v in ("bias", "robustness")]
    source = {"key": "s", "text": "Which tests do you run before release of the model?",
              "type": "multi_choice", "options": options}  # fmt: skip
    same = dict(source, key="t")
    fewer = dict(source, key="u", options=options[:1])
    answers = {"s": {"value": ["bias", "robustness"], "na": False}}
    got = {s.target: s.value for s in suggest_reuse([same, fewer], [source], answers)}
    assert got == {"t": ["bias", "robustness"]}


def test_questions_about_different_standards_never_match():
    source = _yes_no("s", "Do you hold a current ISO/IEC 27001 certificate for this product?")
    target = _yes_no("t", "Do you hold a current ISO/IEC 27701 certificate for this product?")
    assert suggest_reuse([target], [source], {"s": {"value": "yes", "na": False}}) == []
    again = dict(target, text=source["text"])
    assert [s.value for s in suggest_reuse([again], [source], {"s": {"value": "yes"}})] == ["yes"]


@pytest.mark.parametrize(
    "target_type, value, expected",
    [
        ("long_text", "We keep logs for 90 days.", "We keep logs for 90 days."),
        ("number", "x", None),
    ],
)
def test_free_answers_carry_between_text_types_only(target_type, value, expected):
    source = {"key": "s", "text": "How long do you keep inference logs?", "type": "text"}
    target = {"key": "t", "text": "How long do you keep inference logs?", "type": target_type}
    got = suggest_reuse([target], [source], {"s": {"value": value, "na": False}})
    assert [s.value for s in got] == ([expected] if expected else [])


def test_unrelated_questions_get_no_suggestion():
    source = _yes_no("s", "Do you encrypt backups of customer prompts at rest?")
    target = _yes_no("t", "Has top management approved a documented AI policy?")
    assert suggest_reuse([target], [source], {"s": {"value": "yes", "na": False}}) == []

"""The validator names the file, key and field of every problem, and reports all of them."""

from pathlib import Path

import pytest

from vendorassure.catalog import (
    Problem,
    load_control_catalog,
    read_yaml,
    validate_library,
    validate_questionnaire,
)

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken"
CONTROLS = HERE.parents[2] / "questionnaires" / "controls"


@pytest.fixture(scope="module")
def refs():
    catalog, problems = load_control_catalog(CONTROLS)
    assert problems == []
    return catalog.control_refs


def check(name, refs, full_coverage=False):
    data, problems = read_yaml(BROKEN / name)
    assert problems == []
    normalized, problems = validate_questionnaire(data, refs, name, full_coverage)
    assert normalized is None
    assert problems, f"{name} should not validate"
    assert all(p.file == name for p in problems)
    return problems


def find(problems, key, field):
    hits = [p for p in problems if p.key == key and p.field == field]
    assert hits, f"no problem for {key}/{field} in: {[str(p) for p in problems]}"
    return hits[0]


def test_problem_str():
    p = Problem(
        "iso42001-ai-vendor.yaml", "ai_policy", "options[1].score", "must be between 0 and 1"
    )
    assert str(p) == (
        "iso42001-ai-vendor.yaml: question ai_policy: options[1].score: must be between 0 and 1"
    )
    assert str(Problem("x.yaml", None, None, "invalid YAML", line=3, kind="")) == (
        "x.yaml:3: invalid YAML"
    )


def test_unknown_control(refs):
    p = find(check("unknown_control.yaml", refs), "ai_policy", "controls[1].ref")
    assert "A.11.9" in p.message
    assert p.line == 7


def test_duplicate_key(refs):
    p = find(check("duplicate_key.yaml", refs), "ai_policy", "key")
    assert "duplicate" in p.message
    assert p.line == 18


def test_score_out_of_range(refs):
    p = find(check("score_out_of_range.yaml", refs), "ai_policy", "options[1].score")
    assert str(p) == (
        "score_out_of_range.yaml:7: question ai_policy: options[1].score: must be between 0 and 1"
    )


def test_missing_score(refs):
    p = find(check("missing_score.yaml", refs), "ai_policy", "options[1].score")
    assert p.message == "missing score"


def test_show_if_unknown_question(refs):
    p = find(check("show_if_unknown.yaml", refs), "supplier_assessment", "show_if[0].question")
    assert "unknown question 'uses_third_party_model'" in p.message


def test_show_if_later_question(refs):
    p = find(check("show_if_later.yaml", refs), "supplier_assessment", "show_if[0].question")
    assert "later" in p.message


def test_show_if_value_not_offered(refs):
    p = find(check("show_if_value.yaml", refs), "supplier_assessment", "show_if[0].in")
    assert "'sometimes'" in p.message


def test_show_if_cycle(refs):
    problems = check("show_if_cycle.yaml", refs)
    cycles = [p for p in problems if p.field == "show_if" and "cycle" in p.message]
    assert len(cycles) == 1
    assert cycles[0].key in {"question_a", "question_b"}
    assert "question_a" in cycles[0].message and "question_b" in cycles[0].message


def test_uncovered_control(refs):
    data, _ = read_yaml(BROKEN / "uncovered_control.yaml")
    _, without = validate_questionnaire(data, refs, "uncovered_control.yaml", False)
    assert without == []
    problems = check("uncovered_control.yaml", refs, full_coverage=True)
    assert len(problems) == 1
    p = problems[0]
    assert (p.key, p.field, p.kind) == ("A.3.3", "controls", "control")
    assert str(p).startswith("uncovered_control.yaml: control A.3.3: controls:")


def test_bad_knockout(refs):
    problems = check("bad_knockout.yaml", refs)
    assert (
        "'yes_with_consent'"
        in find(problems, "training_on_customer_data", "knockout.values[0]").message
    )
    assert "severe" in find(problems, "training_on_customer_data", "knockout.min_rating").message


def test_yaml_boolean_option_value(refs):
    p = find(check("yaml_boolean.yaml", refs), "ai_policy", "options[0].value")
    assert "YAML boolean" in p.message


def test_bad_yaml_reports_line():
    data, problems = read_yaml(BROKEN / "bad_yaml.yaml")
    assert data is None
    assert len(problems) == 1
    assert problems[0].file == "bad_yaml.yaml"
    assert problems[0].line == 11
    assert problems[0].message.startswith("invalid YAML")


def test_read_yaml_missing_file_does_not_raise(tmp_path):
    data, problems = read_yaml(tmp_path / "nope.yaml")
    assert data is None and problems[0].file == "nope.yaml"


def test_duplicate_yaml_mapping_key(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("key: a\ntitle: b\ntitle: c\n")
    _, problems = read_yaml(path)
    assert [(p.line, "'title'" in p.message) for p in problems] == [(3, True)]


def test_several_problems_are_all_reported(refs):
    problems = check("several_problems.yaml", refs)
    found = {(p.key, p.field) for p in problems}
    expected = {
        ("ai_policy", "options[1].score"),  # negative
        ("ai_policy", "options[2].score"),  # not a number
        ("ai_policy", "controls[0].ref"),  # unknown control
        ("ai_policy", "key"),  # duplicate
        ("ai_policy", "type"),  # unknown type
        ("ai_policy", "controls[0].weight"),  # weight 0
        ("policy_owner", "text"),  # missing text
        ("policy_owner", "show_if[0].question"),  # unknown question
    }
    assert expected <= found, sorted(found)


def test_library_with_a_broken_file(tmp_path):
    root = tmp_path / "questionnaires"
    (root / "controls").mkdir(parents=True)
    for f in CONTROLS.glob("*.yaml"):
        (root / "controls" / f.name).write_text(f.read_text())
    (root / "x.yaml").write_text((BROKEN / "missing_score.yaml").read_text())
    (root / "intake.yaml").write_text("not: [a questionnaire")  # ignored
    problems = validate_library(root)
    assert [(p.file, p.key, p.field) for p in problems] == [
        ("x.yaml", "ai_policy", "options[1].score")
    ]


def test_catalog_problems(tmp_path):
    controls = tmp_path / "controls"
    controls.mkdir()
    (controls / "iso42001-annex-a.yaml").write_text(
        "framework: X\n"
        "objectives:\n  - {ref: A.2, title: P, summary: S}\n"
        "controls:\n"
        "  - {ref: A.2.2, objective: A.2, title: T, summary: S}\n"
        "  - {ref: A.2.2, objective: A.2, title: T, summary: S}\n"
        "  - {ref: A.3.2, objective: A.3, title: T, summary: S}\n"
    )
    (controls / "crosswalk-x.yaml").write_text(
        "key: x\nframework: X\nmappings:\n  - {control: A.9.9, refs: [Y 1]}\n"
    )
    _, problems = load_control_catalog(controls)
    messages = [str(p) for p in problems]
    assert any("duplicate control ref" in m for m in messages)
    assert any("unknown objective 'A.3'" in m for m in messages)
    assert any("expected 38 Annex A controls" in m for m in messages)
    assert any("crosswalk-x.yaml" in m and "A.9.9" in m for m in messages)

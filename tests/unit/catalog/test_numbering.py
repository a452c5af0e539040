"""Question numbers stay put when follow-ups appear; the required range is known up front."""

from __future__ import annotations

from types import SimpleNamespace as Q

from vendorassure.catalog.numbering import display_numbers, required_range


def _q(key, parent=None, required=True):
    show_if = [{"question": parent, "in": ["yes"]}] if parent else None
    return Q(key=key, show_if=show_if, required=required)


def test_follow_ups_are_numbered_under_their_question():
    qs = [_q("a"), _q("b"), _q("b1", "b"), _q("b2", "b"), _q("b2x", "b2"), _q("c"), _q("c1", "c")]
    assert display_numbers(qs) == {
        "a": "1",
        "b": "2",
        "b1": "2.1",
        "b2": "2.2",
        "b2x": "2.2.1",
        "c": "3",
        "c1": "3.1",
    }


def test_a_condition_on_an_unknown_or_later_question_numbers_it_at_the_top():
    qs = [_q("a", "later"), _q("later")]
    assert display_numbers(qs) == {"a": "1", "later": "2"}


def test_required_range_counts_always_shown_and_all_required_questions():
    qs = [_q("a"), _q("b", required=False), _q("b1", "b"), _q("c1", "a", required=False)]
    assert required_range(qs) == (1, 2)


def test_shipped_full_questionnaire_numbers():
    from pathlib import Path

    from vendorassure import catalog

    root = Path(__file__).resolve().parents[3] / "questionnaires"
    controls, _ = catalog.load_control_catalog(root / "controls")
    data, _ = catalog.read_yaml(str(root / "iso42001-ai-vendor.yaml"))
    normalized, problems = catalog.validate_questionnaire(
        data, controls.control_refs, "iso42001-ai-vendor.yaml"
    )
    assert problems == []
    qs = [Q(**{k: q[k] for k in ("key", "show_if", "required")}) for q in normalized["questions"]]
    numbers = display_numbers(qs)
    assert len(set(numbers.values())) == len(qs)
    tops = [n for n in numbers.values() if "." not in n]
    assert tops == [str(i) for i in range(1, len(tops) + 1)]
    low, high = required_range(qs)
    assert 0 < low < high <= len(qs)

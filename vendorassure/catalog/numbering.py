"""Question numbers a vendor can quote: top-level questions count 1, 2, 3 ... and a follow-up
shown only for some answers of question 6 is "6.1", "6.2" (its own follow-ups "6.2.1"), so a
number never shifts when follow-ups appear or hide. Also the required count known up front."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def _parent(show_if: Any, numbered: dict[str, str]) -> str | None:
    """The already numbered question a follow-up hangs under (its first such condition)."""
    conditions = show_if if isinstance(show_if, list) else [show_if] if show_if else []
    for cond in conditions:
        key = cond.get("question") if isinstance(cond, dict) else getattr(cond, "question", None)
        if key in numbered:
            return key
    return None


def display_numbers(questions: Iterable[Any]) -> dict[str, str]:
    """Number questions (objects with .key and .show_if, in questionnaire order)."""
    numbers: dict[str, str] = {}
    children: dict[str, int] = {}
    top = 0
    for q in questions:
        parent = _parent(q.show_if, numbers)
        if parent is None:
            top += 1
            numbers[q.key] = str(top)
        else:
            children[parent] = children.get(parent, 0) + 1
            numbers[q.key] = f"{numbers[parent]}.{children[parent]}"
    return numbers


def required_range(questions: Sequence[Any]) -> tuple[int, int]:
    """(at least, up to): required questions always shown, and all required ones."""
    required = [q for q in questions if q.required]
    return sum(1 for q in required if not q.show_if), len(required)


# A planning figure for invitations: about a minute and a half per question always shown
# (reading the help, choosing, sometimes a comment); follow-ups come on top only if they apply.
SECONDS_PER_QUESTION = 90


def estimated_minutes(questions: Sequence[Any]) -> int:
    """Minutes a vendor should plan for the questions every vendor sees."""
    return round(sum(1 for q in questions if not q.show_if) * SECONDS_PER_QUESTION / 60)

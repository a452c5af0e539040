"""Reuse a vendor's answers to one questionnaire for another: match questions by meaning.

Pure (scikit-learn TF-IDF, as the mapper; no database). For each question of the new
questionnaire the most similar answered question of the old one is found; its answer is turned
into a value of the new question's type (an option by its place on the score scale, text as
text, N/A where both allow it) and checked with the question-type registry. Questions with
nothing similar enough are left for the vendor.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .mapping import analyze
from .qtypes import AnswerRejected, question_type

# Measured (docs/QUESTIONNAIRES.md, "Answer reuse"): lite answers suggested into the full
# questionnaire find 29 of 30 same questions and no other one; full answers suggested into the
# industry fixture give 12 suggestions, all on the same topic. A bonus for shared controls only
# added wrong suggestions between neighbouring questions, so there is none.
MIN_SIMILARITY = 0.33


@dataclass(frozen=True)
class Reuse:
    """A suggested answer for ``target`` taken from the old answer to ``source``."""

    target: str
    source: str
    value: Any
    na: bool
    na_reason: str
    similarity: float


def _text(q: Mapping[str, Any]) -> str:
    return f"{q.get('text', '')} {q.get('help', '')}"


_STANDARD_NUMBER = re.compile(r"\b\d{4,5}\b")


def _standards(q: Mapping[str, Any]) -> frozenset[str]:
    """Standard numbers a question names (27001, 42001 ...): two questions about different
    standards never match, however alike their words (ISO/IEC 27001 is not 27701)."""
    return frozenset(_STANDARD_NUMBER.findall(q.get("text", "")))


def _option_score(q: Mapping[str, Any], value: Any) -> float | None:
    """Where an answer sits on the question's scale, 0 (worst) to 1 (best)."""
    options = q.get("options") or []
    scores = [o.get("score", 0.0) for o in options]
    if not options or value is None or isinstance(value, list):
        return None
    if q.get("scored", True) and len(set(scores)) > 1:
        s = next((o.get("score", 0.0) for o in options if o["value"] == value), None)
        if s is None:
            return None
        lo, hi = min(scores), max(scores)
        return (s - lo) / (hi - lo)
    # unscored: the option's place in the list, first = best (as questionnaires list them)
    values = [o["value"] for o in options]
    if value not in values or len(values) < 2:
        return None
    return 1.0 - values.index(value) / (len(values) - 1)


def _convert(target: Mapping[str, Any], source: Mapping[str, Any], answer: Mapping[str, Any]):
    """The old answer as a value of the new question, or None when it does not carry over."""
    tt = question_type(target["type"])
    if answer.get("na"):
        return ("na", answer.get("na_reason") or "") if target.get("allows_na") else None
    value = answer.get("value")
    if tt.has_options and not tt.multiple:
        pos = _option_score(source, value)
        if pos is None:
            return None
        options = target["options"]
        scores = [o.get("score", 0.0) for o in options]
        lo, hi = min(scores), max(scores)
        span = (hi - lo) or 1.0
        # the target option nearest on the scale; a tie goes to the lower one (never flatter)
        best = min(options, key=lambda o: (abs((o.get("score", 0.0) - lo) / span - pos),
                                           o.get("score", 0.0)))  # fmt: skip
        value = best["value"]
    elif tt.has_options:
        # a set of choices carries over only where every chosen option exists in the new list
        targets = {o["value"] for o in target.get("options") or []}
        if not isinstance(value, list) or not set(value) <= targets:
            return None
    elif target["type"] != source["type"] and not (
        {target["type"], source["type"]} <= {"text", "long_text"}
    ):
        return None
    try:
        return ("value", tt.validate(value, target.get("options") or []))
    except AnswerRejected:
        return None


def suggest_reuse(
    targets: Sequence[Mapping[str, Any]],
    sources: Sequence[Mapping[str, Any]],
    answers: Mapping[str, Mapping[str, Any]],
    min_similarity: float = MIN_SIMILARITY,
) -> list[Reuse]:
    """Suggest answers for ``targets`` (normalized questions) from answered ``sources``.

    ``answers`` maps a source question key to ``{value, na, na_reason}``. Deterministic: ties
    go to the earlier source question.
    """
    answered = [q for q in sources if q["key"] in answers]
    if not targets or not answered:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True)
    matrix = vectorizer.fit_transform([_text(q) for q in list(targets) + answered])
    t, s = matrix[: len(targets)], matrix[len(targets) :]
    sims = (t @ s.T).toarray()
    out = []
    for i, target in enumerate(targets):
        tstandards = _standards(target)
        best, best_score = None, 0.0
        for j, source in enumerate(answered):
            score = float(sims[i, j])
            sstandards = _standards(source)
            if tstandards and sstandards and tstandards != sstandards:
                continue
            if score > best_score + 1e-12:
                best, best_score = source, score
        if best is None or best_score < min_similarity:
            continue
        converted = _convert(target, best, answers[best["key"]])
        if converted is None:
            continue
        kind, payload = converted
        out.append(
            Reuse(
                target=target["key"],
                source=best["key"],
                value=None if kind == "na" else payload,
                na=kind == "na",
                na_reason=payload if kind == "na" else "",
                similarity=round(best_score, 3),
            )
        )
    return out

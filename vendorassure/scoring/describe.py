"""Put a stored score into words a reviewer can act on: question texts, option labels, reasons.

``describe`` takes the score record in its API shape and returns a copy where every driver,
red flag, cap, contradiction, certificate decision and plan step carries a ``text`` written for
people: questions by their wording, answers by their labels, no internal keys.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from .types import QuestionDef
from .vocabulary import Vocabulary


class Words:
    """Question texts and option labels of one questionnaire version, plus the intake's."""

    def __init__(
        self,
        questions: Sequence[QuestionDef],
        vocab: Vocabulary,
        intake: Sequence[Mapping[str, Any]] = (),
        objective_titles: Mapping[str, str] | None = None,
    ):
        self.q = {q.key: q for q in questions}
        self.gates = {c.question for q in questions for c in q.show_if}
        self.vocab = vocab
        self.intake = {
            str(i["key"]): (
                str(i.get("text") or i["key"]),
                {str(o["value"]): str(o.get("label") or o["value"]) for o in i.get("options", [])},
            )
            for i in intake
        }
        self.objectives = dict(objective_titles or {})

    def question(self, key: str) -> str:
        q = self.q.get(key)
        return q.text.strip() if q and q.text else key.replace("_", " ")

    def answer(self, key: str, value: Any) -> str:
        if value is None or value == []:
            return "not answered"
        q = self.q.get(key)
        labels = q.labels if q else {}
        values = value if isinstance(value, list | tuple) else [value]
        return "; ".join(labels.get(str(v), str(v).replace("_", " ")) for v in values)

    def objective(self, ref: str) -> str:
        title = self.objectives.get(ref)
        return f"{ref} {title}" if title else ref

    def trigger(self, t: Mapping[str, Any]) -> str:
        source, key, value = t.get("source"), str(t.get("key")), t.get("value")
        if source == "question":
            return f"“{self.question(key)}”: {self.answer(key, value)}"
        if source == "intake":
            text, labels = self.intake.get(key, (key.replace("_", " "), {}))
            shown = labels.get(str(value), str(value).replace("_", " ")) if value else "—"
            return f"Intake, “{text}”: {shown}"
        if source == "tier":
            return f"Inherent tier: {self.vocab.rating(value)}"
        if source == "upstream":
            shown = self.vocab.rating(value) if value else "not yet rated"
            return f"Upstream provider {key}: {shown}"
        return f"{self.vocab.kind(key)}: {self.vocab.label('certificate_states', value)}"


def describe(
    view: Mapping[str, Any], words: Words, answers: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the score view with a ``text`` on everything a person reads.

    ``answers`` (question key -> stored value) lets plan steps say what the answer is now.
    """
    out = copy.deepcopy(dict(view))
    answers = answers or {}
    v = words.vocab
    for d in out.get("drivers", []):
        d["question_texts"] = [words.question(k) for k in d.get("questions", [])]
        d["text"] = f"{d['control']} {d.get('title', '')}".strip()
    flags = {}
    for f in out.get("red_flags", []):
        for t in f.get("triggers", []):
            t["text"] = words.trigger(t)
        if f.get("reason"):
            f["text"] = f["reason"]
        else:  # a questionnaire knockout: the answer is the reason
            q = next((t for t in f.get("triggers", []) if t.get("source") == "question"), None)
            f["text"] = (
                f"{words.question(q['key'])} Answered: {words.answer(q['key'], q.get('value'))}."
                if q
                else f["key"]
            )
        f["min_rating_label"] = v.rating(f.get("min_rating"))
        flags[f["key"]] = f
    caps = {}
    for c in out.get("caps", []):
        c["objective_texts"] = [words.objective(o) for o in c.get("objectives", [])]
        c["max_band_label"] = v.band(c.get("max_band"))
        c["text"] = c.get("reason", "")
        caps[c["key"]] = c
    for c in out.get("contradictions", []):
        for t in c.get("triggers", []):
            t["text"] = words.trigger(t)
        c["text"] = c.get("message", "")
    for c in out.get("certificates", []):
        c["kind_label"] = v.kind(c.get("kind"))
        c["reason_text"] = v.label("certificate_reasons", c.get("reason"))
    rating = out.get("rating")
    held = []
    for key in out.get("held_by", []):
        if key in flags:
            held.append(flags[key]["text"])
        elif key in caps:
            held.append(caps[key]["text"])
    out["held_by_text"] = f"Held at {v.rating(rating)} by: " + " ".join(held) if held else ""
    w = out.get("what_it_would_take") or {}
    if w:
        w["target_rating_label"] = v.rating(w.get("target_rating"))
        w["reason_text"] = _plan_reason(w, v)
        for s in w.get("steps", []):
            s["text"] = _step_text(s, words, flags, out, answers)
    out["rating_label"] = v.rating(rating)
    out["band_label"] = v.band(out.get("band"))
    return out


def _plan_reason(w: Mapping[str, Any], v: Vocabulary) -> str:
    reason = w.get("reason") or ""
    if reason == "already low":
        return "The rating is already Low."
    if reason.startswith("the inherent tier rates at least"):
        best = reason.rsplit("at least ", 1)[-1].split(" ", 1)[0]
        return (
            f"The inherent tier alone rates at least {v.rating(best)}, even with every answer at "
            "its best; only a different use of the product (a new intake) lowers it."
        )
    if reason == "a red flag depends only on the intake":
        return "A red flag depends only on how we use the product, not on the vendor's answers."
    if reason == "not reachable by improving answers alone":
        return "Improving the answers alone does not reach the next rating."
    if reason.startswith("needs many changes"):
        return "It takes many changes; the first ones are listed."
    return reason[:1].upper() + reason[1:]


def _step_text(
    s: Mapping[str, Any], words: Words, flags: Mapping, view: Mapping, answers: Mapping
) -> str:
    action, key = s.get("action"), s.get("question")
    follow = (
        " Then answer the follow-up questions it opens."
        if key in words.gates and action in ("change", "improve", "answer")
        else ""
    )
    current = words.answer(key, answers.get(key)) if key else ""
    if action == "change":
        flag = flags.get(s.get("reason") or "")
        why = f" It holds the rating at {flag['min_rating_label']}." if flag else ""
        return (
            f"Change the answer to “{words.question(key)}” (now: {current}); aim for "
            f"“{words.answer(key, s.get('target'))}”.{why}{follow}"
        )
    if action == "answer":
        return f"Answer “{words.question(key)}”.{follow}"
    if action == "improve":
        return (
            f"Improve “{words.question(key)}” from “{current}” to "
            f"“{words.answer(key, _target(s))}”.{follow}"
        )
    if action == "evidence":
        return f"Attach evidence for “{words.question(key)}” and have a reviewer verify it."
    if action == "renew":
        return (
            f"Renew the {words.vocab.kind(s.get('certificate'))} and upload the new "
            "certificate for verification."
        )
    if action == "resolve":
        c = next((c for c in view.get("contradictions", []) if c.get("key") == s.get("reason")),
                 None)  # fmt: skip
        return f"Resolve the contradiction: {c['message']}" if c else "Resolve a contradiction."
    return action or ""


def _target(s: Mapping[str, Any]) -> Any:
    t = s.get("target")
    return t.split(",") if isinstance(t, str) and "," in t else t

"""The questionnaire validator as small rules run over the file.

Each ``QuestionRule`` reads the fields it owns from a raw question, reports what is wrong with
them and returns their normalized values; ``QUESTION_RULES`` runs them in order (later rules see
what earlier ones normalized). ``QuestionnaireRule``s then check the file as a whole: coverage
of the control catalog is one of them, switched on by the questionnaire's own ``coverage``
field, not by a list of keys in Python. Django's password validators are the model: to add a
check, add a class to the list.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..scoring.vocabulary import EVIDENCE_KINDS
from .qtypes import FREE_TYPES, OPTION_TYPES, QUESTION_TYPES

RATINGS = ("low", "medium", "high", "critical")
KEY_RE = re.compile(r"^[a-z0-9_]+$")
SCORE_MODES = ("mean", "sum")
OPTION_FIELDS = frozenset({"value", "label", "score", "exclusive"})


def is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def as_value(value: Any) -> tuple[str | None, str | None]:
    """Coerce an option-like value to a string; returns (value, error)."""
    if isinstance(value, bool):
        return None, (f'YAML boolean {value!r}; quote the value (for example "yes" or "no")')
    if isinstance(value, str):
        if value.strip() == "":
            return None, "must not be empty"
        return value, None
    if is_number(value):
        return str(value), None
    return None, f"must be a string, not {type(value).__name__}"


@dataclass
class QuestionContext:
    """What a rule may know besides the raw question: the catalog and where it is."""

    control_refs: set[str]
    report: Callable[[str | None, str], None]  # (field, message)
    normalized: dict[str, Any] = field(default_factory=dict)


class QuestionRule:
    """Check and normalize some fields of one question."""

    fields: tuple[str, ...] = ()

    def apply(self, q: dict, ctx: QuestionContext) -> dict[str, Any]:
        raise NotImplementedError


class TextRule(QuestionRule):
    """The question needs text; help is optional text."""

    fields = ("text", "help")

    def apply(self, q, ctx):
        text = q.get("text")
        if not nonempty_str(text):
            ctx.report("text", "missing question text")
            text = ""
        help_text = q.get("help", "") or ""
        if not isinstance(help_text, str):
            ctx.report("help", "must be text")
            help_text = ""
        return {"text": text.strip(), "help": help_text.strip()}


class TypeRule(QuestionRule):
    """The type is one of the registry's (catalog/qtypes.py)."""

    fields = ("type",)

    def apply(self, q, ctx):
        qtype = q.get("type")
        if qtype not in QUESTION_TYPES:
            ctx.report("type", f"unknown type {qtype!r} (one of {', '.join(QUESTION_TYPES)})")
        return {"type": qtype}


class FlagsRule(QuestionRule):
    """required (default true), allows_na (default false) and scored (default true) are booleans."""

    fields = ("required", "allows_na", "scored")

    def apply(self, q, ctx):
        out = {}
        for name, default in (("required", True), ("allows_na", False), ("scored", True)):
            value = q.get(name, default)
            if not isinstance(value, bool):
                ctx.report(name, "must be true or false")
                value = default
            out[name] = value
        if not out["scored"] and ctx.normalized.get("type") in FREE_TYPES:
            ctx.report("scored", "only option questions can be marked unscored")
        return out


class OptionsRule(QuestionRule):
    """Option questions have options (value, label, score in [0, 1]; exclusive for
    multi_choice); free-text questions have none; an unscored question's options need no score."""

    fields = ("options",)

    def apply(self, q, ctx):
        qtype = ctx.normalized.get("type")
        scored = ctx.normalized.get("scored", True)
        raw = q.get("options")
        options: list[dict] = []
        if qtype in OPTION_TYPES:
            if not isinstance(raw, list) or not raw:
                ctx.report("options", f"a {qtype} question needs a non-empty list of options")
                raw = []
            seen: set[str] = set()
            for i, opt in enumerate(raw):
                options.append(self._option(i, opt, qtype, scored, seen, ctx))
            options = [o for o in options if o is not None]
        elif raw not in (None, []) and qtype in FREE_TYPES:
            ctx.report("options", f"a {qtype} question must not have options")
        return {"options": options}

    @staticmethod
    def _option(i, opt, qtype, scored, seen, ctx) -> dict | None:
        where = f"options[{i}]"
        if not isinstance(opt, dict):
            ctx.report(where, "must be a mapping with value, label and score")
            return None
        for extra in sorted(set(map(str, opt)) - OPTION_FIELDS):
            ctx.report(f"{where}.{extra}", "unknown field")
        value, err = as_value(opt.get("value"))
        if err:
            ctx.report(f"{where}.value", err if "value" in opt else "missing value")
        elif value in seen:
            ctx.report(f"{where}.value", f"duplicate option value {value!r}")
        else:
            seen.add(value)
        label = opt.get("label")
        if not nonempty_str(label):
            ctx.report(f"{where}.label", "missing label")
            label = ""
        score = opt.get("score")
        if not scored:
            if score not in (None, 0, 0.0):
                ctx.report(f"{where}.score", "an unscored question's options carry no score")
            score = 0.0
        elif "score" not in opt or score is None:
            ctx.report(f"{where}.score", "missing score")
            score = 0.0
        elif not is_number(score):
            ctx.report(f"{where}.score", f"must be a number between 0 and 1, not {score!r}")
            score = 0.0
        elif not 0 <= score <= 1:
            ctx.report(f"{where}.score", "must be between 0 and 1")
        out = {"value": value or "", "label": str(label).strip(), "score": float(score)}
        exclusive = opt.get("exclusive", False)
        if not isinstance(exclusive, bool):
            ctx.report(f"{where}.exclusive", "must be true or false")
        elif exclusive:
            if qtype != "multi_choice":
                ctx.report(f"{where}.exclusive", "only multi_choice options can be exclusive")
            out["exclusive"] = True
        return out


class ScoreModeRule(QuestionRule):
    """score_mode (multi_choice only): mean of the chosen options, or their capped sum."""

    fields = ("score_mode",)

    def apply(self, q, ctx):
        mode = q.get("score_mode", "mean")
        if mode not in SCORE_MODES:
            ctx.report("score_mode", f"must be one of {', '.join(SCORE_MODES)}, not {mode!r}")
            mode = "mean"
        # (a normalized question carries the default "mean" whatever its type)
        if mode != "mean" and ctx.normalized.get("type") != "multi_choice":
            ctx.report("score_mode", "only multi_choice questions have a score_mode")
        return {"score_mode": mode}


class EvidenceRule(QuestionRule):
    """Evidence kinds come from the vocabulary, each once."""

    fields = ("evidence_kinds",)

    def apply(self, q, ctx):
        evidence = q.get("evidence_kinds", []) or []
        if not isinstance(evidence, list):
            ctx.report("evidence_kinds", "must be a list")
            evidence = []
        clean: list[str] = []
        for i, kind in enumerate(evidence):
            if kind not in EVIDENCE_KINDS:
                ctx.report(
                    f"evidence_kinds[{i}]",
                    f"unknown evidence kind {kind!r} (one of {', '.join(EVIDENCE_KINDS)})",
                )
            elif kind in clean:
                ctx.report(f"evidence_kinds[{i}]", f"duplicate evidence kind {kind!r}")
            else:
                clean.append(kind)
        return {"evidence_kinds": clean}


class ShowIfRule(QuestionRule):
    """show_if is a list of {question, in: [values]} (the file-level rule checks the targets)."""

    fields = ("show_if",)

    def apply(self, q, ctx):
        raw = q.get("show_if")
        if raw is None:
            return {"show_if": None}
        if not isinstance(raw, list) or not raw:
            ctx.report("show_if", "must be a non-empty list of {question, in} conditions")
            return {"show_if": None}
        show_if = []
        for i, cond in enumerate(raw):
            if not isinstance(cond, dict):
                ctx.report(f"show_if[{i}]", "must be a mapping with question and in")
                continue
            for extra in sorted(set(map(str, cond)) - {"question", "in"}):
                ctx.report(f"show_if[{i}].{extra}", "unknown field")
            target = cond.get("question")
            if not isinstance(target, str) or not target:
                ctx.report(f"show_if[{i}].question", "missing question key")
                target = ""
            vals = cond.get("in")
            clean: list[str] = []
            if not isinstance(vals, list) or not vals:
                ctx.report(f"show_if[{i}].in", "must be a non-empty list of option values")
            else:
                for j, v in enumerate(vals):
                    sv, err = as_value(v)
                    if err:
                        ctx.report(f"show_if[{i}].in[{j}]", err)
                    else:
                        clean.append(sv)
            show_if.append({"question": target, "in": clean})
        return {"show_if": show_if}


class ControlsRule(QuestionRule):
    """Controls are known Annex A refs, each once, with weights > 0."""

    fields = ("controls",)

    def apply(self, q, ctx):
        raw = q.get("controls", []) or []
        if not isinstance(raw, list):
            ctx.report("controls", "must be a list of {ref, weight}")
            raw = []
        controls: list[dict] = []
        seen: set[str] = set()
        for i, c in enumerate(raw):
            if not isinstance(c, dict):
                ctx.report(f"controls[{i}]", "must be a mapping with ref and weight")
                continue
            for extra in sorted(set(map(str, c)) - {"ref", "weight"}):
                ctx.report(f"controls[{i}].{extra}", "unknown field")
            ref = c.get("ref")
            if not isinstance(ref, str) or ref not in ctx.control_refs:
                ctx.report(f"controls[{i}].ref", f"unknown Annex A control {ref!r}")
                ref = str(ref)
            elif ref in seen:
                ctx.report(f"controls[{i}].ref", f"control {ref} is listed twice")
            seen.add(ref)
            weight = c.get("weight", 1.0)
            if not is_number(weight):
                ctx.report(
                    f"controls[{i}].weight", f"must be a number greater than 0, not {weight!r}"
                )
                weight = 1.0
            elif weight <= 0:
                ctx.report(f"controls[{i}].weight", "must be greater than 0")
            controls.append({"ref": ref, "weight": float(weight)})
        if controls and not ctx.normalized.get("scored", True):
            ctx.report("controls", "an unscored question maps to no control")
        return {"controls": controls}


class WeightRule(QuestionRule):
    """The question's own weight is a number > 0 (default 1)."""

    fields = ("weight",)

    def apply(self, q, ctx):
        weight = q.get("weight", 1.0)
        if not is_number(weight):
            ctx.report("weight", f"must be a number greater than 0, not {weight!r}")
            weight = 1.0
        elif weight <= 0:
            ctx.report("weight", "must be greater than 0")
        return {"weight": float(weight)}


class KnockoutRule(QuestionRule):
    """A knockout names option values of the question and a minimum rating."""

    fields = ("knockout",)

    def apply(self, q, ctx):
        raw = q.get("knockout")
        if raw is None:
            return {"knockout": None}
        if not isinstance(raw, dict):
            ctx.report("knockout", "must be a mapping with values and min_rating")
            return {"knockout": None}
        is_option = ctx.normalized.get("type") in OPTION_TYPES
        if not is_option:
            ctx.report("knockout", "only option questions can have a knockout")
        for extra in sorted(set(map(str, raw)) - {"values", "min_rating"}):
            ctx.report(f"knockout.{extra}", "unknown field")
        offered = [o["value"] for o in ctx.normalized.get("options", [])]
        vals = raw.get("values")
        clean = []
        if not isinstance(vals, list) or not vals:
            ctx.report("knockout.values", "must be a non-empty list of option values")
        else:
            for j, v in enumerate(vals):
                sv, err = as_value(v)
                if err:
                    ctx.report(f"knockout.values[{j}]", err)
                elif is_option and sv not in offered:
                    ctx.report(f"knockout.values[{j}]", f"{sv!r} is not an option of this question")
                else:
                    clean.append(sv)
        rating = raw.get("min_rating")
        if rating not in RATINGS:
            ctx.report(
                "knockout.min_rating", f"must be one of {', '.join(RATINGS)}, not {rating!r}"
            )
        return {"knockout": {"values": clean, "min_rating": rating}}


# Languages a questionnaire may carry translated text for (English is the text itself).
TRANSLATED_LANGUAGES = ("de", "fr")
TRANSLATION_LIMIT = 5000


def check_translations(raw, fields: tuple[str, ...], report, where: str = "translations") -> dict:
    """Validate `{lang: {field: text}}`; return the cleaned mapping (unknown parts reported)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        report(where, "must map a language code (de, fr) to translated fields")
        return {}
    clean: dict[str, dict] = {}
    for lang, entry in raw.items():
        if lang not in TRANSLATED_LANGUAGES:
            report(
                f"{where}.{lang}", f"unknown language (one of {', '.join(TRANSLATED_LANGUAGES)})"
            )
            continue
        if not isinstance(entry, dict):
            report(f"{where}.{lang}", "must be a mapping of translated fields")
            continue
        out = {}
        for name, text in entry.items():
            if name not in fields:
                report(f"{where}.{lang}.{name}", "unknown field")
            elif name == "options":
                continue  # checked by the caller, which knows the option values
            elif not nonempty_str(text) or len(text) > TRANSLATION_LIMIT:
                report(
                    f"{where}.{lang}.{name}",
                    f"must be text of at most {TRANSLATION_LIMIT} characters",
                )
            else:
                out[name] = text.strip()
        if isinstance(entry.get("options"), dict):
            out["options"] = entry["options"]
        clean[lang] = out
    return clean


class TranslationsRule(QuestionRule):
    """Optional translated text per language: text, help and option labels, English as fallback."""

    fields = ("translations",)

    def apply(self, q, ctx):
        clean = check_translations(q.get("translations"), ("text", "help", "options"), ctx.report)
        values = {str(o.get("value")) for o in q.get("options") or [] if isinstance(o, dict)}
        for lang, entry in clean.items():
            labels = entry.pop("options", None)
            if labels is None:
                continue
            good = {}
            for value, label in labels.items():
                if str(value) not in values:
                    ctx.report(
                        f"translations.{lang}.options.{value}", "not an option of this question"
                    )
                elif not nonempty_str(label) or len(label) > TRANSLATION_LIMIT:
                    ctx.report(f"translations.{lang}.options.{value}", "must be a label")
                else:
                    good[str(value)] = label.strip()
            entry["options"] = good
        return {"translations": {k: v for k, v in clean.items() if v}}


QUESTION_RULES: tuple[QuestionRule, ...] = (
    TranslationsRule(),
    TextRule(),
    TypeRule(),
    FlagsRule(),
    OptionsRule(),
    ScoreModeRule(),
    EvidenceRule(),
    ShowIfRule(),
    ControlsRule(),
    WeightRule(),
    KnockoutRule(),
)
QUESTION_FIELDS = frozenset({"key"} | {f for r in QUESTION_RULES for f in r.fields})


# ---- whole-file rules ----------------------------------------------------------------------------


@dataclass
class FileContext:
    """A parsed questionnaire for the file-level rules."""

    questions: list[dict]  # normalized
    raw: list[dict]  # raw questions, same order
    coverage: dict[str, Any]
    control_refs: set[str]
    report: Callable[..., None]  # (key, field, message, *, kind="question", raw=None)


class QuestionnaireRule:
    """Check the questionnaire as a whole."""

    def check(self, ctx: FileContext) -> None:
        raise NotImplementedError


class MappedQuestionsRule(QuestionnaireRule):
    """``coverage.questions: mapped``: every scored option question maps to a control."""

    def check(self, ctx):
        if ctx.coverage.get("questions") != "mapped":
            return
        for raw, q in zip(ctx.raw, ctx.questions, strict=True):
            if q["type"] in OPTION_TYPES and q["scored"] and not q["controls"]:
                ctx.report(q["key"], "controls", "a scored question must map to a control",
                           raw=raw)  # fmt: skip


class ControlCoverageRule(QuestionnaireRule):
    """``coverage.controls: all``: every control of the catalog is carried by some question;
    ``coverage.per_control: [min, max]``: by at least min and at most max scored questions."""

    def check(self, ctx):
        counts: dict[str, int] = {}
        for q in ctx.questions:
            if q["type"] in OPTION_TYPES and q["scored"]:
                for c in q["controls"]:
                    counts[c["ref"]] = counts.get(c["ref"], 0) + 1
        if ctx.coverage.get("controls") == "all":
            for ref in sorted(ctx.control_refs - set(counts), key=ref_sort_key):
                ctx.report(ref, "controls", "Annex A control is not covered by any question",
                           kind="control")  # fmt: skip
        bounds = ctx.coverage.get("per_control")
        if bounds:
            lo, hi = bounds
            for ref in sorted(ctx.control_refs, key=ref_sort_key):
                n = counts.get(ref, 0)
                if n and not lo <= n <= hi:
                    ctx.report(ref, "controls",
                               f"carried by {n} scored questions (expected {lo} to {hi})",
                               kind="control")  # fmt: skip


FILE_RULES: tuple[QuestionnaireRule, ...] = (MappedQuestionsRule(), ControlCoverageRule())


def ref_sort_key(ref: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in ref.replace("A.", "").split("."))


def check_coverage_field(raw: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Parse the questionnaire's ``coverage`` field; returns (coverage, [(field, message)])."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, [("coverage", "must be a mapping like {controls: all, questions: mapped}")]
    problems = []
    for extra in sorted(set(map(str, raw)) - {"controls", "questions", "per_control"}):
        problems.append((f"coverage.{extra}", "unknown field"))
    out: dict[str, Any] = {}
    if "controls" in raw:
        if raw["controls"] != "all":
            problems.append(("coverage.controls", "must be 'all'"))
        else:
            out["controls"] = "all"
    if "questions" in raw:
        if raw["questions"] != "mapped":
            problems.append(("coverage.questions", "must be 'mapped'"))
        else:
            out["questions"] = "mapped"
    if "per_control" in raw:
        pc = raw["per_control"]
        if (
            not isinstance(pc, list)
            or len(pc) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in pc)
            or pc[0] > pc[1]
        ):
            problems.append(("coverage.per_control", "must be [min, max] with 1 <= min <= max"))
        else:
            out["per_control"] = [int(pc[0]), int(pc[1])]
    return out, problems

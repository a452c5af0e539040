"""What a question type is, written once: how a posted value parses, how a value validates,
its length limits, its JSON schema and how it renders.

The catalog validator, the answer service, the web form, the API schema, the portal template
(``templates/portal/types/_<widget>.html``) and the portal script (``data-widget``) all read
this registry. Adding a type is one entry here and a template partial.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext, ngettext


class AnswerRejected(ValueError):
    """A value that does not fit its question: ``message`` for the page, ``field`` beside it."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class QuestionType:
    """One question type: options or free input, one value or a list, limits and rendering."""

    name: str
    label: str
    widget: str  # template partial and the portal script's input kind
    has_options: bool = False
    multiple: bool = False
    max_length: int | None = None
    hint: str = ""  # what the answer looks like, for people (aria labels, errors)

    def parse_form(self, raw: Sequence[str]) -> Any:
        """Turn the strings a form posted for one question into a value (None: no answer)."""
        if self.multiple:
            return [v for v in raw if v != ""]
        value = raw[0] if raw else None
        if value is None:
            return None
        if self.widget != "textarea":
            value = value.strip()
        if value == "":
            return "" if self.widget in ("text", "textarea") else None
        if self.name == "number":
            try:
                number = float(value.replace(",", "."))
            except ValueError:
                raise AnswerRejected(
                    gettext("Enter a number, e.g. 12 or 3.5."), gettext("A number.")
                ) from None
            if not math.isfinite(number):
                raise AnswerRejected(gettext("Enter a finite number."), gettext("A number."))
            return int(number) if number.is_integer() else number
        return value

    def validate(self, value: Any, options: Sequence[Mapping[str, Any]] = ()) -> Any:
        """Check a value given as JSON (API) or parsed from a form; return what is stored."""
        if self.has_options:
            values = [o["value"] for o in options]
            if self.multiple:
                return self._validate_choices(value, options, values)
            if not isinstance(value, str) or value not in values:
                listed = ", ".join(values)
                raise AnswerRejected(
                    gettext("Answer must be one of: %(values)s.", values=listed),
                    gettext("One of: %(values)s.", values=listed),
                )
            return value
        if self.name in ("text", "long_text"):
            if not isinstance(value, str):
                raise AnswerRejected(gettext("Answer must be text."), gettext("Text."))
            if self.max_length and len(value) > self.max_length:
                raise AnswerRejected(
                    gettext("Answer is longer than %(num)s characters.", num=self.max_length),
                    gettext("Too long."),
                )
            return value.strip()
        if self.name == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise AnswerRejected(gettext("Answer must be a number."), gettext("A number."))
            if not math.isfinite(value):
                raise AnswerRejected(gettext("Answer must be a number."), gettext("A number."))
            return value
        if self.name == "date":
            if isinstance(value, str) and len(value) == 10:
                try:
                    return date.fromisoformat(value).isoformat()
                except ValueError:
                    pass
            raise AnswerRejected(
                gettext("Answer must be a date in the form YYYY-MM-DD."), gettext("YYYY-MM-DD.")
            )
        raise AnswerRejected(
            gettext("Question type %(type)s cannot be answered.", type=self.name),
            gettext("Unsupported."),
        )

    def _validate_choices(self, value, options, values) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise AnswerRejected(
                gettext("Answer must be a list of option values."), gettext("A list.")
            )
        unknown = [v for v in value if v not in values]
        if unknown:
            raise AnswerRejected(
                ngettext(
                    "Unknown option: %(values)s.",
                    "Unknown options: %(values)s.",
                    len(unknown),
                    values=", ".join(unknown),
                ),
                gettext("Allowed: %(values)s.", values=", ".join(values)),
            )
        chosen = [v for v in values if v in value]  # canonical order, no duplicates
        exclusive = [o for o in options if o.get("exclusive") and o["value"] in chosen]
        if exclusive and len(chosen) > 1:
            label = exclusive[0].get("label") or exclusive[0]["value"]
            raise AnswerRejected(
                gettext("“%(label)s” cannot be combined with other choices.", label=label),
                gettext("“%(label)s” excludes the others.", label=label),
            )
        return chosen

    def json_schema(self, options: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
        """The JSON schema of an answer value of this type."""
        if self.has_options:
            one = {"type": "string"}
            if options:
                one["enum"] = [o["value"] for o in options]
            return {"type": "array", "items": one} if self.multiple else one
        if self.name == "number":
            return {"type": "number"}
        if self.name == "date":
            return {"type": "string", "format": "date"}
        return {"type": "string", "maxLength": self.max_length or 2000}


QUESTION_TYPES: dict[str, QuestionType] = {
    t.name: t
    for t in (
        QuestionType("yes_no", "Yes or no", "radio", has_options=True, hint="one option"),
        QuestionType(
            "yes_no_partial", "Yes, partly or no", "radio", has_options=True, hint="one option"
        ),
        QuestionType(
            "single_choice", "One of several", "radio", has_options=True, hint="one option"
        ),
        QuestionType(
            "multi_choice",
            "Any of several",
            "checkbox",
            has_options=True,
            multiple=True,
            hint="any options",
        ),  # fmt: skip
        QuestionType("text", "Short text", "text", max_length=2000, hint="text"),
        QuestionType("long_text", "Long text", "textarea", max_length=20000, hint="text"),
        QuestionType("number", "Number", "number", hint="a number"),
        QuestionType("date", "Date", "date", hint="a date"),
    )
}
OPTION_TYPES = frozenset(n for n, t in QUESTION_TYPES.items() if t.has_options)
FREE_TYPES = frozenset(QUESTION_TYPES) - OPTION_TYPES


def question_type(name: str) -> QuestionType:
    """The registered type (KeyError for an unknown one: the validator refuses those on load)."""
    return QUESTION_TYPES[name]


def answer_value_schema() -> dict[str, Any]:
    """The JSON schema of an answer value of any type (for the API document)."""
    schemas, seen = [], set()
    for t in QUESTION_TYPES.values():
        s = t.json_schema()
        key = repr(sorted(s.items()))
        if key not in seen:
            seen.add(key)
            schemas.append(s)
    return {"anyOf": [*schemas, {"type": "null"}]}

"""Input rules shared by the API schemas, the web forms and the services: database-sized
integers, no control characters, one-line names, web addresses and mail headers."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# Ids and counters are 32-bit signed integers on PostgreSQL; anything larger cannot exist.
MAX_INT = 2**31 - 1
MAX_ID_DIGITS = len(str(MAX_INT))


def _up_to(limit: int) -> str:
    """A regular expression matching exactly the decimal numbers 0..limit (no leading zeros
    past limit's length), so that a URL rule does not even match a larger id."""
    digits = str(limit)
    alternatives = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, d in enumerate(digits):
        rest = len(digits) - i - 1
        low = "1" if i == 0 else "0"
        if int(d) > int(low):
            tail = rf"\d{{{rest}}}" if rest else ""
            alternatives.append(f"{digits[:i]}[{low}-{int(d) - 1}]{tail}")
    alternatives.append(digits)
    return "(?:" + "|".join(alternatives) + ")"


ID_REGEX = _up_to(MAX_INT)
# Line breaks and tabs are fine in multi-line text; every other control character is refused.
CONTROL_MESSAGE = "Contains control characters (such as NUL); remove them."
LINE_MESSAGE = "Must be a single line (no line breaks or control characters)."
URL_MESSAGE = "Enter a web address starting with http:// or https://, e.g. https://example.com."


# Unicode categories Cc (C0 and C1 controls, DEL) and Cs (lone surrogates: valid JSON escapes,
# invalid UTF-8), as character classes: a regular expression scans long text quickly.
_REFUSED_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_REFUSED_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_chars(text: str, multiline: bool = True) -> bool:
    """Whether text holds a character no field accepts (multiline=False also refuses CR/LF/tab)."""
    return (_REFUSED_IN_TEXT if multiline else _REFUSED_IN_LINE).search(text) is not None


def control_char_fields(data, path: str = "", depth: int = 0) -> dict[str, str]:
    """Walk decoded input (dicts, lists, strings; keys too) and name each place with control
    characters, e.g. {"intake.region": "..."}."""
    found: dict[str, str] = {}
    if depth > 64:
        found[path or "body"] = "Nested too deeply."
        return found
    if isinstance(data, str):
        if has_control_chars(data):
            found[path or "body"] = CONTROL_MESSAGE
    elif isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and has_control_chars(key, multiline=False):
                found[path or "body"] = "A field name contains control characters."
                continue
            found.update(control_char_fields(value, where, depth + 1))
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            found.update(control_char_fields(value, f"{path}.{i}" if path else str(i), depth + 1))
    return found


def one_line(text: str) -> str:
    """Return text stripped, or raise ValueError if it spans lines or holds control characters."""
    if has_control_chars(text, multiline=False):
        raise ValueError(LINE_MESSAGE)
    return text.strip()


def bounded_int(text: str | None) -> int | None:
    """Parse a decimal id or page number from a URL or form; None when absent or out of range."""
    if text is None:
        return None
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > MAX_ID_DIGITS:
        return None
    value = int(text)
    return value if value <= MAX_INT else None


def normalise_url(value: str | None) -> str:
    """Return a web address with an http(s) scheme ("example.com" gets https://), or "" when
    empty; raise ValueError for any other scheme, a missing host, spaces or control characters."""
    text = (value or "").strip()
    if not text:
        return ""
    if has_control_chars(text, multiline=False) or re.search(r"\s", text):
        raise ValueError(URL_MESSAGE)
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)", text):
            raise ValueError(URL_MESSAGE)  # javascript:, data:, mailto: ... (host:port is fine)
        text = "https://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        raise ValueError(URL_MESSAGE) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(URL_MESSAGE)
    if len(text) > 500:
        raise ValueError("The web address is longer than 500 characters.")
    return text


def is_web_url(value: str | None) -> bool:
    """Whether a stored address is safe to render as a link (http or https only)."""
    try:
        return bool(value) and normalise_url(value) == value.strip()
    except ValueError:
        return False


def header_text(text: str, limit: int = 200) -> str:
    """Make text safe for a mail header: every control character and run of whitespace becomes
    one space (no header injection), and overlong text is cut with an ellipsis."""
    clean = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch for ch in text
    )
    clean = re.sub(r"\s+", " ", clean).strip()
    return clean if len(clean) <= limit else clean[: limit - 1].rstrip() + "…"


def refuse_control_chars(fields: dict[str, str]) -> None:
    """Refuse (400) input with NUL or other control characters, naming every place."""
    if fields:
        from .services.errors import BadInput

        raise BadInput(
            "Some values contain control characters (such as NUL), which are never accepted: "
            + ", ".join(sorted(fields))
            + ".",
            fields,
        )


def check_request_text() -> None:
    """Refuse control characters in the URL path, the query string and posted form fields."""
    from flask import request

    found = {}
    for name, value in (request.view_args or {}).items():
        found.update(control_char_fields(value, name))
    sources = [request.args]
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        sources.append(request.form)
    for source in sources:
        for name, values in source.lists():
            found.update(control_char_fields(name, "field name"))
            for value in values:
                found.update(control_char_fields(value, name))
    refuse_control_chars(found)

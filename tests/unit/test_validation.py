"""The shared input rules, without an app: ids, control characters, URLs, mail headers."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from vendorassure.validation import (
    ID_REGEX,
    MAX_INT,
    bounded_int,
    control_char_fields,
    has_control_chars,
    header_text,
    is_web_url,
    normalise_url,
    one_line,
)


def test_the_id_pattern_matches_exactly_the_numbers_a_database_id_can_hold():
    rng = random.Random(7)
    numbers = [0, 9, 10, MAX_INT - 1, MAX_INT, MAX_INT + 1, 2**32, 10**10, 10**11]
    numbers += [rng.randint(0, 10**11) for _ in range(20000)]
    for n in numbers:
        assert bool(re.fullmatch(ID_REGEX, str(n))) == (n <= MAX_INT), n
    assert bounded_int(str(MAX_INT)) == MAX_INT
    for bad in (str(MAX_INT + 1), "9" * 5000, "-1", "1.0", "\u00b2", "\u0661", "", None):
        assert bounded_int(bad) is None, bad


def test_control_characters_are_every_cc_and_cs_character_but_tab_and_line_breaks():
    for code in list(range(0x250)) + list(range(0xD7F0, 0xE010)):
        ch = chr(code)
        refused = unicodedata.category(ch) in ("Cc", "Cs")
        assert has_control_chars(ch) == (refused and ch not in "\t\n\r"), hex(code)
        assert has_control_chars(ch, multiline=False) == refused, hex(code)
    assert control_char_fields({"a": ["ok", "x\x00"], "b\x00": 1, "c": {"d": "\x1b"}}) == {
        "a.1": "Contains control characters (such as NUL); remove them.",
        "body": "A field name contains control characters.",
        "c.d": "Contains control characters (such as NUL); remove them.",
    }
    assert one_line("  Acme AI ") == "Acme AI"
    with pytest.raises(ValueError):
        one_line("Acme\r\nBcc: x")


@pytest.mark.parametrize(
    "given, stored",
    [
        ("https://acme.example", "https://acme.example"),
        ("http://acme.example/path?q=1", "http://acme.example/path?q=1"),
        ("acme.example", "https://acme.example"),
        ("acme.example:8443/x", "https://acme.example:8443/x"),
        ("  ", ""),
    ],
)
def test_websites_are_http_or_https(given, stored):
    assert normalise_url(given) == stored
    assert is_web_url(stored) == bool(stored)


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "javascript://%0aalert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox",
        "ftp://acme.example",
        "https://",
        "https://acme.example:99999",
        "https://acme .example",
        "https://acme.example/\x00",
        "https://" + "a" * 500 + ".example",
    ],
)
def test_other_schemes_and_broken_addresses_are_refused(bad):
    with pytest.raises(ValueError):
        normalise_url(bad)
    assert not is_web_url(bad)


def test_mail_header_text_is_one_clean_line():
    assert header_text("Acme\r\nBcc: victim@example.com") == "Acme Bcc: victim@example.com"
    assert header_text("A\u2028B\x00C\tD") == "A B C D"
    long = header_text("x" * 500)
    assert len(long) == 200 and long.endswith("…")

"""The vendor-facing side speaks English, German and French: every string a vendor reads in the
portal and the emails is marked for translation and translated, placeholders intact, and the
committed compiled catalogs (.mo) match their sources (.po)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "vendorassure/translations"
LANGUAGES = ("de", "fr")
# Vendor-facing pages outside templates/portal: the supply-chain portal pages and the partials
# the portal includes from templates/chain.
VENDOR_CHAIN_TEMPLATES = [
    ROOT / "templates/chain" / name
    for name in ("portal_changes.html", "portal_packages.html", "_report_change_link.html",
                 "_assessment_origin.html", "_change_events.html")
]  # fmt: skip
VENDOR_TEMPLATES = sorted(
    [*(ROOT / "templates/portal").rglob("*.html"), *(ROOT / "templates/email").glob("*.html"),
     ROOT / "templates/base.html", ROOT / "templates/main/vendor_findings.html",
     *VENDOR_CHAIN_TEMPLATES]
)  # fmt: skip
VENDOR_PYTHON = [
    ROOT / "vendorassure" / p
    for p in ("web/portal/routes.py", "web/portal/forms.py", "services/notify.py",
              "services/answer_import.py", "i18n.py", "web/chain/forms.py", "web/chain/routes.py",
              "web/main/routes.py", "catalog/qtypes.py", "services/assessments.py",
              "services/evidence.py", "services/findings.py", "services/values.py")
]  # fmt: skip
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "N_": None}
# Words in the templates that are the same in every language (units, hash names).
SAME_EVERYWHERE = {"KB", "sha256", "VendorAssure"}


def _messages():
    for path in VENDOR_TEMPLATES + VENDOR_PYTHON:
        method = "jinja2" if path.suffix == ".html" else "python"
        with path.open("rb") as handle:
            for _lineno, message, _comments, _context in _extract(method, handle):
                yield path.relative_to(ROOT), message


def _extract(method, handle):
    from babel.messages.extract import extract

    options = {"extensions": "jinja2.ext.i18n"} if method == "jinja2" else {}
    return extract(method, handle, keywords=KEYWORDS, options=options)


def _catalog(lang):
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def _placeholders(text) -> set[str]:
    return set(re.findall(r"%\(\w+\)s|\{\w+\}", text))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_vendor_facing_message_is_translated_with_its_placeholders(lang):
    catalog = _catalog(lang)
    problems, seen = [], 0
    for where, message in _messages():
        seen += 1
        msgid = message if isinstance(message, str) else message[0]
        entry = catalog.get(message if isinstance(message, str) else message[0])
        strings = (
            [entry.string] if entry and isinstance(entry.string, str) else list(entry.string)
        ) if entry else []  # fmt: skip
        if not entry or not all(strings) or entry.fuzzy:
            problems.append(f"{where}: untranslated in {lang}: {msgid!r}")
            continue
        wanted = _placeholders(msgid if isinstance(message, str) else message[1])
        for s in strings:
            if _placeholders(s) != wanted and wanted - {"%(num)s"} != _placeholders(s):
                problems.append(f"{where}: placeholders differ in {lang}: {msgid!r} -> {s!r}")
    assert seen > 200
    assert problems == [], "\n".join(problems)


def _visible_text(source: str) -> list[str]:
    """Text a reader sees that is written into the template itself (not produced by _())."""
    text = re.sub(r"\{#.*?#\}|&\w+;", " ", source, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    attrs = re.findall(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"', text)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    found = [a for a in attrs if re.search(r"[A-Za-zÀ-ÿ]{2,}", re.sub(r"\{\{.*?\}\}", "", a))]
    for chunk in re.findall(r">([^<>]+)<", text):
        words = [w for w in re.findall(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9]+", chunk)]
        if [w for w in words if w not in SAME_EVERYWHERE]:
            found.append(chunk.strip())
    return found


def test_the_vendor_facing_chain_templates_are_checked():
    assert all(p.is_file() for p in VENDOR_CHAIN_TEMPLATES)
    assert set(VENDOR_CHAIN_TEMPLATES) <= set(VENDOR_TEMPLATES)


def test_no_portal_or_email_template_has_text_outside_the_translation_markers():
    problems = {str(p.relative_to(ROOT)): _visible_text(p.read_text()) for p in VENDOR_TEMPLATES}
    assert {k: v for k, v in problems.items() if v} == {}


def test_the_checker_catches_a_forgotten_string():
    assert _visible_text("<p>{{ _('Fine') }}</p><p>Forgotten words</p>") == ["Forgotten words"]
    assert _visible_text('<span title="Required">*</span>') == ["Required"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_committed_compiled_catalogs_match_their_sources(lang):
    out = io.BytesIO()
    write_mo(out, _catalog(lang), use_fuzzy=False)
    committed = (CATALOGS / lang / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert committed == out.getvalue(), "run `make translations` and commit the .mo files"

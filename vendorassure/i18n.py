"""Languages of the vendor-facing side (portal, emails, vendor workbooks): Flask-Babel with
message catalogs in vendorassure/translations/, the language chosen per contact, else by the
browser, else English."""

from __future__ import annotations

from flask import has_request_context, request

# The languages a vendor can read the portal, emails and workbooks in; English is the source.
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch", "fr": "Français"}
DEFAULT = "en"
API_PREFIX = "/api/"


def normalise(code: str | None) -> str | None:
    """A supported language code for CODE ("de-CH" -> "de"), or None."""
    if not code:
        return None
    base = str(code).strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


def select_locale() -> str:
    """A vendor contact's language, else the browser's best match, else English. Staff pages
    are English (their pages are not translated, so shared messages must not switch language
    inside them), and the API answers in English whoever calls it (its messages are a contract,
    DESIGN.md section 7)."""
    from flask_login import current_user

    if has_request_context() and request.path.startswith(API_PREFIX):
        return DEFAULT
    if current_user and getattr(current_user, "is_authenticated", False):
        if getattr(current_user, "role", None) != "vendor":
            return DEFAULT
        chosen = normalise(getattr(current_user, "language", None))
        if chosen:
            return chosen
    if has_request_context():
        return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT)
    return DEFAULT


def check_language(code) -> str | None:
    """A contact's language as given by a form or the API: "" or None (the browser's), or a code
    of LANGUAGES; anything else is refused with a field message."""
    from .services.errors import InvalidValues

    if code in (None, ""):
        return None
    if not isinstance(code, str) or code not in LANGUAGES:
        raise InvalidValues(
            f"Language must be one of: {', '.join(LANGUAGES)}.", {"language": "Unknown language."}
        )
    return code


def language_of(user) -> str:
    """The language to write to a user in (emails): their own choice, else English."""
    return normalise(getattr(user, "language", None)) or DEFAULT


def register(app) -> None:
    """Choose the language per request; the page language for <html lang>."""
    from flask_babel import get_locale, refresh

    # Flask-Babel caches the locale on the app context; where one context serves several
    # requests (tests, embedded callers) each request must choose again.
    app.before_request(refresh)

    @app.context_processor
    def _locale():
        return {
            "current_locale": lambda: str(get_locale() or DEFAULT),
            "localized": localized,
            "option_label": option_label,
        }


def _current() -> str:
    from flask_babel import get_locale

    return str(get_locale() or DEFAULT)


def _translations(obj) -> dict:
    found = obj.get("translations") if isinstance(obj, dict) else getattr(obj, "translations", None)
    return found if isinstance(found, dict) else {}


def localized(obj, field: str, lang: str | None = None) -> str:
    """A question's or section's FIELD in the reader's language, English when not translated."""
    lang = lang or _current()
    english = obj.get(field) if isinstance(obj, dict) else getattr(obj, field, "")
    if lang == DEFAULT:
        return english or ""
    return _translations(obj).get(lang, {}).get(field) or english or ""


def option_label(question, option: dict, lang: str | None = None) -> str:
    """An option's label in the reader's language, English when not translated."""
    lang = lang or _current()
    labels = _translations(question).get(lang, {}).get("options", {}) if lang != DEFAULT else {}
    return labels.get(str(option.get("value"))) or option.get("label", "")


def lower_label(text: str) -> str:
    """A translated status word inside a sentence: lower case, except in German (nouns and
    "In Bearbeitung" keep their capitals)."""
    return text if _current() == "de" else text.lower()


def N_(text: str) -> str:
    """Mark a word for the message catalogs where it is translated later (`_(value|label)`)."""
    return text


# Words that reach the vendor through data rather than a template literal: status and
# verification badges (the `label` filter), evidence kinds and change kinds
# (questionnaires/vocabulary.yaml) and the answer hints of the question types. Listed here so
# `make translations` extracts them.
VOCABULARY = (
    N_("Draft"), N_("Sent"), N_("In progress"), N_("Submitted"), N_("Under review"),
    N_("Completed"), N_("Changes requested"), N_("Cancelled"),
    N_("Pending"), N_("Accepted"), N_("Rejected"),
    N_("Low"), N_("Medium"), N_("High"), N_("Critical"),
    N_("Open"), N_("Remediating"), N_("Closed"), N_("Risk accepted"),
    N_("ISO/IEC 42001 certificate"), N_("ISO/IEC 27001 certificate"),
    N_("ISO/IEC 27701 certificate"), N_("SOC 2 Type II report"), N_("Policy or procedure"),
    N_("Contract, data processing agreement or terms"), N_("Test, evaluation or red-team report"),
    N_("Model or system card"), N_("Other document"),
    N_("Model changed"), N_("New sub-processor"), N_("Incident"),
    N_("Certificate suspended or withdrawn"), N_("Other change"),
    N_("one option"), N_("any options"), N_("text"), N_("a number"), N_("a date"),
)  # fmt: skip

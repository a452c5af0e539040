"""Languages of the vendor-facing side (portal, emails, vendor workbooks): Flask-Babel with
message catalogs in vendorassure/translations/, the language chosen per contact, else by the
browser, else English."""

from __future__ import annotations

from flask import has_request_context, request

# The languages a vendor can read the portal, emails and workbooks in; English is the source.
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch", "fr": "Français"}
DEFAULT = "en"


def normalise(code: str | None) -> str | None:
    """A supported language code for CODE ("de-CH" -> "de"), or None."""
    if not code:
        return None
    base = str(code).strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


def select_locale() -> str:
    """The signed-in user's language, else the browser's best match, else English."""
    from flask_login import current_user

    if current_user and getattr(current_user, "is_authenticated", False):
        chosen = normalise(getattr(current_user, "language", None))
        if chosen:
            return chosen
    if has_request_context():
        return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT)
    return DEFAULT


def language_of(user) -> str:
    """The language to write to a user in (emails): their own choice, else English."""
    return normalise(getattr(user, "language", None)) or DEFAULT

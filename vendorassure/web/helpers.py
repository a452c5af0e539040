"""Shared web helpers: role guard, safe redirects, template filters."""

from __future__ import annotations

import functools
from datetime import date
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_required

from ..scoring.vocabulary import load_vocabulary
from ..services.errors import ServiceError
from ..validation import check_request_text, control_char_fields, is_web_url, refuse_control_chars

RATING_LABELS = dict(load_vocabulary().sections["ratings"])


def roles_required(*roles: str):
    """Require a signed-in user with one of the roles (403 otherwise)."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in roles:
                abort(403, f"The {current_user.role} role may not open this page.")
            return view(*args, **kwargs)

        wrapper.allowed_roles = roles
        return wrapper

    return decorator


def safe_next(target: str | None, default: str) -> str:
    """Only follow a `next` that stays on this site (a path, no scheme, no host)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def home_for(user) -> str:
    if user.role == "vendor":
        return url_for("portal.index")
    if user.role == "risk":
        return url_for("review.queue")
    return url_for("main.dashboard")


def apply_errors(form, exc: ServiceError) -> None:
    """Put a service error's field messages beside the form's fields, the rest in a flash."""
    placed = False
    for name, message in (exc.fields or {}).items():
        field = getattr(form, name.split(".")[0], None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), str(message)]
            placed = True
    flash(exc.message, "error")
    return placed


def back(default_endpoint: str, **values):
    return redirect(safe_next(request.form.get("next"), url_for(default_endpoint, **values)))


def register(app) -> None:
    @app.template_filter("datefmt")
    def datefmt(value, fmt: str | None = None):
        """A date as "31 Dec 2026", with the month in the page's language; or strftime FMT."""
        if not value:
            return "—"
        if fmt:
            return value.strftime(fmt)
        from flask_babel import format_date

        return format_date(value, "d MMM y")

    @app.template_filter("isodate")
    def isodate(value):
        """A YYYY-MM-DD string (as kept in JSON snapshots) back as a date."""
        return date.fromisoformat(value) if isinstance(value, str) and value else value

    @app.template_filter("label")
    def label(value: str | None, kind: str = ""):
        from ..labels import label as words

        return words(value, kind)

    @app.template_global()
    def now_utc():
        from ..models._base import utcnow

        return utcnow()

    @app.template_global()
    def days_left(due) -> int | None:
        return (due - date.today()).days if due else None

    @app.context_processor
    def inject():
        from ..catalog.qtypes import QUESTION_TYPES

        return {"RATING_LABELS": RATING_LABELS, "question_types": QUESTION_TYPES}

    @app.template_filter("web_url")
    def web_url(value: str | None) -> str | None:
        """A stored address as a link target only if it is http(s) (never javascript: ...)."""
        return value if is_web_url(value) else None

    @app.before_request
    def refuse_control_characters():
        """Refuse NUL and other control characters anywhere in a web request (400).

        The API does the same inside its endpoint decorator, after authentication."""
        if request.path.startswith("/api/"):
            return
        check_request_text()
        if request.is_json:
            refuse_control_chars(control_char_fields(request.get_json(silent=True)))

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"])
        if request.endpoint != "static" and _signed_in():
            # Pages and answers for a signed-in user must not outlive the session in a
            # browser or proxy cache (shared computers, back button after sign-out).
            if "no-store" not in headers.get("Cache-Control", ""):
                headers["Cache-Control"] = "private, no-store"
            headers["Pragma"] = "no-cache"
            response.vary.add("Cookie")
        hsts = current_app.config.get("HSTS_HEADER")
        if hsts:
            headers.setdefault("Strict-Transport-Security", hsts)
        return response


def _signed_in() -> bool:
    """Whether the request carried a session sign-in or a bearer token (without loading the
    user: tests share one app context, and a cached anonymous user would stick)."""
    if request.path.startswith("/api/"):
        return g.get("api_user") is not None
    return session.get("_user_id") is not None


def opts(pairs) -> list:
    """Turn (value, label) pairs into WTForms SelectChoice objects (tuples are deprecated)."""
    from wtforms import SelectChoice

    return [SelectChoice(value=value, label=label) for value, label in pairs]

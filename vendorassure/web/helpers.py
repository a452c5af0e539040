"""Shared web helpers: role guard, safe redirects, template filters."""

from __future__ import annotations

import functools
from datetime import date
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from ..services.errors import ServiceError

RATING_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"}


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
    def datefmt(value, fmt: str = "%d %b %Y"):
        return value.strftime(fmt) if value else "—"

    @app.template_filter("label")
    def label(value: str | None):
        return (value or "—").replace("_", " ").capitalize()

    @app.template_global()
    def now_utc():
        from ..models._base import utcnow

        return utcnow()

    @app.template_global()
    def days_left(due) -> int | None:
        return (due - date.today()).days if due else None

    @app.context_processor
    def inject():
        return {"RATING_LABELS": RATING_LABELS}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        return response


def opts(pairs) -> list:
    """Turn (value, label) pairs into WTForms SelectChoice objects (tuples are deprecated)."""
    from wtforms import SelectChoice

    return [SelectChoice(value=value, label=label) for value, label in pairs]

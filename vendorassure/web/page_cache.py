"""Whole pages and API reads served from a snapshot while the tables they read are unchanged.

``@page_cache`` (under the route's role check) keeps a GET's 200 response body in
``queries.snapshot`` under the page, its arguments, the day, the language and the signed-in
user, so each user only ever gets what was rendered for them. What is per request stays out
of the stored body: the CSRF token and the inbox badge are rendered as placeholders (a
marker derived from the secret key, so no stored text can forge one) and filled in on the
way out. A page is not kept when the request has flash messages to show, when its view
writes, changes the session or sets a cookie, when it answers anything but 200, or when its
query is a one-off (many or long arguments).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import zlib
from datetime import date

from flask import Response, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..queries import snapshot

CSRF_FIELD = "csrf_token"  # Flask-WTF keeps the request's token on `g` under this name
CACHEABLE = ("text/html", "application/json")


class _Uncacheable(Exception):
    def __init__(self, response: Response):
        self.response = response


def hole(name: str) -> str:
    """The placeholder of a per-request part of a page (alphanumeric: never escaped)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return "vahole" + hmac.new(secret, name.encode(), hashlib.sha256).hexdigest()[:24]


def filling() -> bool:
    """Whether the page being rendered will be kept: per-request parts become placeholders."""
    return bool(g.get("page_cache_filling"))


def _user():
    if request.blueprint == "api" or request.path.startswith("/api/"):
        return g.get("api_user")
    return current_user if getattr(current_user, "is_authenticated", False) else None


MAX_ARGS, MAX_ARG_LENGTH = 12, 200  # beyond these a query is one-off: rendered, not kept


def _keepable_args() -> bool:
    items = list(request.args.items(multi=True))
    return len(items) <= MAX_ARGS and all(len(v) <= MAX_ARG_LENGTH for _, v in items)


def _key_params(user) -> dict:
    from flask_babel import get_locale

    return {
        "endpoint": request.endpoint,
        "host": request.host,
        "path": request.path,
        "args": sorted(request.args.items(multi=True)),
        "user": [user.id, user.role, user.session_version, user.display_name, user.email],
        "locale": str(get_locale()),
    }


def page_cache(view):
    """Serve the view's GET response from a snapshot (see the module's text)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        user = _user()
        if (
            request.method not in ("GET", "HEAD")
            or user is None
            or session.get("_flashes")
            or not _keepable_args()
        ):
            return view(*args, **kwargs)

        def compute() -> dict:
            before = dict(session)
            saved = g.pop(CSRF_FIELD, None)
            g.page_cache_filling = True
            setattr(g, CSRF_FIELD, hole("csrf"))
            try:
                response = current_app.make_response(view(*args, **kwargs))
            finally:
                g.pop("page_cache_filling", None)
                g.pop(CSRF_FIELD, None)
                if saved is not None:
                    setattr(g, CSRF_FIELD, saved)
            if (
                response.status_code != 200
                or response.is_streamed
                or response.direct_passthrough
                or response.mimetype not in CACHEABLE
                or "Set-Cookie" in response.headers
                or dict(session) != before
            ):
                raise _Uncacheable(response)
            headers = [
                [k, v]
                for k, v in response.headers.items()
                if k.lower() not in ("content-length", "content-type", "set-cookie", "vary")
            ]
            return {
                "body": _pack(response.get_data()),
                "mimetype": response.mimetype,
                "headers": headers,
            }

        try:
            page = snapshot.cached(
                f"page:{request.endpoint}", date.today(), _key_params(user), compute
            )
        except _Uncacheable as skipped:
            return _filled(skipped.response)
        response = Response(_unpack(page["body"]), status=200, mimetype=page["mimetype"])
        for k, v in page["headers"]:
            response.headers.add(k, v)
        return _filled(response)

    return wrapper


def _pack(body: bytes) -> str:
    """A page body as kept: compressed (pages are mostly markup, about a tenth of their size)."""
    return base64.b64encode(zlib.compress(body, 1)).decode("ascii")


def _unpack(kept: str) -> bytes:
    return zlib.decompress(base64.b64decode(kept))


def _filled(response: Response) -> Response:
    """The page with its per-request parts in place of their placeholders."""
    if response.mimetype != "text/html" or response.is_streamed or response.direct_passthrough:
        return response
    body = response.get_data(as_text=True)
    csrf, badge = hole("csrf"), hole("inbox-badge")
    if csrf not in body and badge not in body:
        return response
    if csrf in body:
        body = body.replace(csrf, generate_csrf())
    if badge in body:
        from .inbox.routes import badge_html

        body = body.replace(badge, str(badge_html(g.get("inbox_unread"))))
    response.set_data(body)
    return response

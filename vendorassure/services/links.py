"""The one link builder for links that leave the app (emails): built from the route table and
BASE_URL, never from the Host header and never from paths typed in services."""

from __future__ import annotations

from flask import current_app


def url(endpoint: str, **values) -> str:
    """The absolute URL of a view, e.g. url("portal.assessment_answer", assessment_id=3)."""
    adapter = current_app.url_map.bind("localhost", url_scheme="http")
    path = adapter.build(endpoint, values, force_external=False)
    return f"{current_app.config['BASE_URL']}{path}"


def base() -> str:
    """The app's public address (BASE_URL), for emails and documents that name the instance."""
    return current_app.config["BASE_URL"]

"""Response headers: signed-in responses are never cached, HSTS once cookies are secure, and a
Content-Security-Policy that stays strict because no page needs inline script."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login
from tests.web import test_permissions as perm
from tests.web.test_permissions import PUBLIC, WEB, _rules, _url
from vendorassure import create_app
from vendorassure.config import DEFAULT_CSP, check_csp, hsts_header

world = perm.world  # the permission matrix's fixture: one vendor with one of everything
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def _pages(app, make, world, role):
    """(url, response) for every GET page the role may open."""
    user = world["contact"] if role == "vendor" else make.user(role)
    client = app.test_client()
    login(client, user)
    for rule, method in _rules(app):
        allowed = WEB.get(rule.endpoint)
        if method != "GET" or allowed is None or allowed == PUBLIC or role not in allowed:
            continue
        url = _url(rule, world)
        yield url, client.get(url)


@pytest.mark.parametrize("role", ["admin", "procurement", "risk", "vendor"])
def test_signed_in_pages_are_not_cached_and_run_no_inline_script(app, make, world, role):
    seen = 0
    for url, response in _pages(app, make, world, role):
        assert "no-store" in response.headers.get("Cache-Control", ""), url
        csp = response.headers["Content-Security-Policy"]
        check_csp(csp)  # raises if script-src allowed inline or foreign scripts
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html).group(0))
            assert not HANDLER.search(html), (url, HANDLER.search(html).group(0))
            assert "javascript:" not in html.lower(), url
        seen += 1
    assert seen >= 5


def test_api_answers_for_a_token_are_not_cached(make, api):
    client = api(make.user("risk"))
    for path in ("/me", "/vendors", "/portfolio/summary", "/portfolio/export.xlsx"):
        assert "no-store" in client.get(path).headers["Cache-Control"], path
    assert "no-store" in client.get("/vendors/99").headers["Cache-Control"]  # errors too


def test_static_files_and_the_public_openapi_may_be_cached(client):
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")
    assert "no-store" not in client.get("/api/v1/openapi.json").headers.get("Cache-Control", "")


def test_hsts_is_sent_only_with_secure_cookies(app, client, database_url):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SESSION_COOKIE_SECURE": True}
    )
    response = secure.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert secure.config["REMEMBER_COOKIE_SECURE"] is True
    config = {"SESSION_COOKIE_SECURE": True, "HSTS_MAX_AGE": 600, "HSTS_INCLUDE_SUBDOMAINS": True}
    assert hsts_header(config) == "max-age=600; includeSubDomains"
    assert hsts_header({**config, "HSTS_MAX_AGE": 0}) is None
    assert hsts_header({**config, "SESSION_COOKIE_SECURE": False}) is None


def test_a_policy_that_allows_inline_script_refuses_to_start(database_url):
    check_csp(DEFAULT_CSP)
    for bad in (
        "default-src 'self'; script-src 'self' 'unsafe-inline'",
        "default-src *",
        "script-src 'self' https:",
        "style-src 'self'",
    ):
        with pytest.raises(ValueError, match="CONTENT_SECURITY_POLICY"):
            create_app(
                {
                    "TESTING": True,
                    "SQLALCHEMY_DATABASE_URI": database_url,
                    "CONTENT_SECURITY_POLICY": bad,
                }
            )

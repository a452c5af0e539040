"""Browser tests: Playwright (pytest-playwright) driving Debian's Chromium against a live server."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def live_server(app, live_port):
    server = make_server("127.0.0.1", live_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    yield url
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1360, "height": 900}}


@pytest.fixture(autouse=True)
def _real_csrf(app):
    """Browser tests run with CSRF protection on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield


@pytest.fixture
def shot(page):
    """shot(name) saves a full-page screenshot under tests/browser/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)

    def _shot(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def sign_out(page) -> None:
    page.click("text=Sign out")


def show_question(page, key: str) -> None:
    """Page on through the questionnaire's sections ("Next") until question KEY is on screen."""
    for _ in range(40):
        if page.locator(f"#q-{key}").count():
            return
        page.click("#next-section")
        page.wait_for_load_state()
    raise AssertionError(f"question {key} is on no section page")


def open_review(page) -> None:
    """Page on to the last page: evidence, the missing list and the submit button."""
    for _ in range(40):
        if page.locator("#submit").count():
            return
        page.click("#next-section")
        page.wait_for_load_state()
    raise AssertionError("no review page")

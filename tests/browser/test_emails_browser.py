"""The HTML invitation as a mail client shows it: the button leads to the invitation page."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from vendorassure.services import vendors as vendor_service

pytestmark = pytest.mark.browser


def test_html_invitation_shows_who_asks_and_its_button_opens_the_invitation(app, make, page):
    app.config["ORGANISATION_NAME"] = "Northwind Bank"
    try:
        buyer = make.user("procurement")
        vendor = make.vendor(name="Helix Hiring AI", actor=buyer)
        make.assessment(vendor, "iso42001-ai-vendor", actor=buyer)
        vendor_service.add_contact(buyer, vendor, "dana@helix.example", "Dana Fischer")
    finally:
        app.config["ORGANISATION_NAME"] = ""
    newest = max(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"), key=lambda p: p.stat().st_mtime)
    msg = message_from_bytes(newest.read_bytes(), policy=default_policy)
    assert msg["To"] == "dana@helix.example"
    html = msg.get_body(("html",)).get_content()
    page.set_viewport_size({"width": 700, "height": 900})
    page.set_content(html)
    expect(page.locator("text=Hello Dana Fischer,")).to_be_visible()
    button = page.locator("a:has-text('Set your password and start')")
    expect(button).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e01-invitation-html.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "e02-invitation-html-phone.png"), full_page=True)
    button.click()
    expect(page.locator("h1")).to_contain_text("Welcome")

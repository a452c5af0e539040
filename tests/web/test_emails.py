"""Emails that get opened: the invitation names the contact, the buyer, the due date, the size
and time it takes, has a button, and comes as HTML and plain text from one template."""

from __future__ import annotations

from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest

from vendorassure.config import logo_url, served_url
from vendorassure.services import vendors as vendor_service


@pytest.fixture
def outbox(app, tmp_path):
    before = app.config["MAIL_OUTBOX_DIR"], app.config.get("ORGANISATION_NAME")
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    app.config["ORGANISATION_NAME"] = "Northwind Bank"

    def messages():
        return [
            message_from_bytes(p.read_bytes(), policy=default_policy)
            for p in sorted((tmp_path / "outbox").glob("*.eml"))
        ]

    yield messages
    app.config["MAIL_OUTBOX_DIR"], app.config["ORGANISATION_NAME"] = before


def _parts(msg):
    return (
        msg.get_body(("plain",)).get_content(),
        msg.get_body(("html",)).get_content(),
    )


def test_invitation_names_contact_buyer_due_date_size_and_time_with_a_button(app, make, outbox):
    buyer = make.user("procurement")
    vendor = make.vendor(name="Helix Hiring AI", actor=buyer)
    a = make.assessment(vendor, "iso42001-ai-vendor", actor=buyer)
    a.due_date = date.today() + timedelta(days=21)
    from vendorassure.extensions import db

    db.session.commit()
    vendor_service.add_contact(buyer, vendor, "dana@helix.example", "Dana Fischer")
    [msg] = outbox()
    text, html = _parts(msg)
    assert msg["Subject"].startswith("Northwind Bank asks Helix Hiring AI to complete")
    assert "ISO/IEC 42001 AI vendor assessment" in msg["Subject"]
    for part in (text, html):
        assert "Hello Dana Fischer," in part
        assert "Northwind Bank asks Helix Hiring AI" in part
        assert "questionnaire for Helix" not in part
        assert a.due_date.strftime("%B") in part and "21 days from today" in part
        assert "at least" in part and "required questions" in part and "sections" in part
        assert "about" in part and "hours" in part
    link = text.split("Set your password and start:\n")[1].split()[0]
    assert link.startswith(app.config["BASE_URL"] + "/invite/")
    assert f'href="{link}"' in html and ">Set your password and start</a>" in html
    assert "<strong" in html and "Northwind Bank" in html.split("</td>")[0]  # the header
    assert "&lt;" not in text and "<p" not in text  # the text part is text, not HTML


def test_names_in_the_html_part_are_escaped(app, make, outbox):
    buyer = make.user("procurement")
    vendor = make.vendor(name="<b>Evil</b> & Co", actor=buyer)
    make.assessment(vendor, "iso42001-ai-vendor-lite", actor=buyer)
    vendor_service.add_contact(buyer, vendor, "eve@evil.example", "Eve <script>")
    text, html = _parts(outbox()[0])
    assert "<b>Evil</b>" not in html and "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in html
    assert "<script>" not in html and "Eve <script>" in text


def test_the_logo_comes_from_settings(app, make, outbox):
    app.config["ORGANISATION_LOGO_URL"] = "https://bank.example/logo.png"
    try:
        buyer = make.user("procurement")
        vendor = make.vendor(actor=buyer)
        vendor_service.add_contact(buyer, vendor, "lee@v.example", "Lee")
    finally:
        app.config["ORGANISATION_LOGO_URL"] = ""
    _, html = _parts(outbox()[0])
    assert '<img src="https://bank.example/logo.png" alt="Northwind Bank"' in html
    with pytest.raises(ValueError, match="http"):
        logo_url("javascript:alert(1)")


def test_reminders_and_resets_come_with_both_parts_and_a_button(app, make, outbox):
    from vendorassure.services.notify import send_reminder

    vendor = make.vendor()
    a = make.assessment(vendor, "iso42001-ai-vendor-lite")
    send_reminder("x@v.example", a, "before_due", a.due_date - timedelta(days=3))
    text, html = _parts(outbox()[0])
    assert "in 3 days" in text and "Continue answering:\n" in text
    assert f'/portal/assessments/{a.id}"' in html and "Continue answering</a>" in html


@pytest.mark.parametrize(
    "env,url",
    [
        ({}, "http://127.0.0.1:5000"),
        ({"PORT": "5055"}, "http://127.0.0.1:5055"),
        ({"BIND": "0.0.0.0:8080"}, "http://127.0.0.1:8080"),
        ({"BIND": "10.0.0.5:9000", "PORT": "1"}, "http://10.0.0.5:9000"),
        ({"HOST": "localhost", "PORT": "7000"}, "http://localhost:7000"),
    ],
)
def test_base_url_defaults_to_the_address_make_run_serves(env, url):
    assert served_url(env) == url


def test_make_run_passes_the_port_to_the_app():
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    assert "BIND=$(HOST):$(PORT)" in makefile


def test_the_portal_speaks_the_browsers_language(app, make, client):
    from tests.conftest import login

    vendor = make.vendor()
    a = make.assessment(vendor, "iso42001-ai-vendor-lite")
    login(client, make.user("vendor", vendor=vendor))
    de = client.get(f"/portal/assessments/{a.id}", headers={"Accept-Language": "de-CH,de;q=0.9"})
    page = de.get_data(as_text=True)
    assert (
        '<html lang="de">' in page and "Abschnitt 1 von" in page and "Antworten speichern" in page
    )
    fr = client.get("/portal/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Vos évaluations" in fr and "Continuer à répondre" in fr
    en = client.get("/portal/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "Your assessments" in en

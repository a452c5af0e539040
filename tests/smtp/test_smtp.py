"""Invitation and reminder emails go through a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import socket
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from tests.conftest import PASSWORD
from vendorassure.services import reminders
from vendorassure.services import vendors as vendor_service


class Inbox:
    """An aiosmtpd handler that keeps every message that arrives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture(autouse=True)
def _no_reminders_left(app):
    from sqlalchemy import delete

    from vendorassure.extensions import db
    from vendorassure.models import Reminder

    yield
    db.session.rollback()
    db.session.execute(delete(Reminder))
    db.session.commit()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        yield inbox
    finally:
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25)
        controller.stop()


def test_invitation_arrives_over_smtp_and_its_link_works(app, make, smtp_server):
    buyer = make.user("procurement")
    vendor = make.vendor(name="Brightline AI", actor=buyer)
    vendor_service.add_contact(buyer, vendor, "dana@brightline.example", "Dana")
    assert len(smtp_server.messages) == 1
    mail_from, rcpt, content = smtp_server.messages[0]
    assert rcpt == ["dana@brightline.example"]
    msg = message_from_bytes(content, policy=default_policy)
    assert msg["To"] == "dana@brightline.example"
    assert "Brightline AI" in msg["Subject"]
    body = msg.get_body(("plain",)).get_content()
    assert msg.get_body(("html",)) is not None  # and an HTML part from the same template
    link = "/invite/" + body.split("/invite/")[1].split()[0]
    assert f"{app.config['BASE_URL']}{link}" in body and "expires in 14 days" in body
    client = app.test_client()
    assert client.get(link).status_code == 200
    r = client.post(link, data={"name": "Dana", "password": PASSWORD, "confirm": PASSWORD})
    assert r.status_code == 302
    assert app.test_client().get(link).status_code == 410  # single use


def test_reminder_arrives_over_smtp_once(app, make, smtp_server):
    vendor = make.vendor()
    assessment = make.assessment(vendor)
    make.user("vendor", vendor=vendor, email="ops@vendor.example")
    today = assessment.due_date - timedelta(days=2)
    reminders.send_reminders(today)
    reminders.send_reminders(today)
    assert [m[1] for m in smtp_server.messages] == [["ops@vendor.example"]]
    msg = message_from_bytes(smtp_server.messages[0][2], policy=default_policy)
    assert "due in 2 days" in msg["Subject"]
    assert f"/portal/assessments/{assessment.id}" in msg.get_body(("plain",)).get_content()
    assert date.today() <= assessment.due_date

"""The one place that sends email: `send_mail` queues a message as a job, `deliver` (run by the
job) sends it over SMTP when configured, otherwise writes an .eml file to the outbox folder."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from ..validation import has_control_chars, header_text


def build_message(
    to: str, subject: str, body: str, message_id: str | None = None, html: str | None = None
) -> EmailMessage:
    """Build one message (plain text, plus an HTML alternative when given); the subject (which
    quotes vendor names) is cleaned of line breaks."""
    if has_control_chars(to, multiline=False):
        raise ValueError("A recipient address cannot contain line breaks.")
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = header_text(subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id or make_msgid(domain="vendorassure.local")
    # Plain text stays readable as sent (8bit: every mail server of this century takes it);
    # the HTML part, with its long lines, is encoded by the library.
    msg.set_content(body, cte="8bit" if not body.isascii() else None)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def send_mail(to: str, subject: str, body: str, html: str | None = None) -> str:
    """Queue one message for delivery (retried if the mail server is away); return its Message-ID.

    The message is checked now, so a bad address fails the caller, not the job. Its Message-ID
    is fixed here and its job keyed by it: a retried delivery is the same message, sent once."""
    from .. import jobs

    message_id = make_msgid(domain="vendorassure.local")
    build_message(to, subject, body, message_id, html)
    jobs.enqueue(
        "mail.deliver",
        key=f"mail:{message_id}",
        to=to,
        subject=subject,
        body=body,
        message_id=message_id,
        **({"html": html} if html else {}),
    )
    return message_id


def deliver(
    to: str, subject: str, body: str, message_id: str | None = None, html: str | None = None
) -> str:
    """Send one message now; return where it went (smtp host or outbox file path)."""
    cfg = current_app.config
    msg = build_message(to, subject, body, message_id, html)
    if cfg.get("MAIL_SERVER"):
        host, port = cfg["MAIL_SERVER"], cfg["MAIL_PORT"]
        if cfg.get("MAIL_USE_SSL"):
            smtp = smtplib.SMTP_SSL(host, port, context=ssl.create_default_context(), timeout=20)
        else:
            smtp = smtplib.SMTP(host, port, timeout=20)
        with smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            smtp.send_message(msg)
        return f"smtp://{host}:{port}"
    outbox = Path(cfg["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{msg['Date'][5:16].replace(' ', '-')}-{uuid.uuid4().hex[:12]}.eml"
    path.write_bytes(bytes(msg))
    return str(path)

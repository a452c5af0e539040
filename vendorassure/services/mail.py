"""Send email over SMTP when configured, otherwise write .eml files to the outbox folder."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from ..validation import has_control_chars, header_text


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    """Build one message; the subject (which quotes vendor names) is cleaned of line breaks."""
    if has_control_chars(to, multiline=False):
        raise ValueError("A recipient address cannot contain line breaks.")
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = header_text(subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="vendorassure.local")
    msg.set_content(body)
    return msg


def send_mail(to: str, subject: str, body: str) -> str:
    """Deliver one message; return where it went (smtp host or outbox file path)."""
    cfg = current_app.config
    msg = build_message(to, subject, body)
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

"""The emails the platform sends, with their wording in one place."""

from __future__ import annotations

from flask import current_app

from .mail import send_mail


def invitation_link(token: str) -> str:
    return f"{current_app.config['BASE_URL']}/invite/{token}"


def send_invitation(inv, token: str, vendor) -> str:
    """Email an invitation link to a vendor contact; return the link."""
    link = invitation_link(token)
    days = current_app.config["INVITATION_TTL_DAYS"]
    body = (
        f"Hello,\n\n"
        f"You have been invited to answer an AI vendor assurance questionnaire for {vendor.name}.\n\n"
        f"Open this link to set your password and start:\n{link}\n\n"
        f"The link works once and expires in {days} days ({inv.expires_at:%Y-%m-%d}).\n"
        f"If you did not expect this email you can ignore it.\n\n-- VendorAssure\n"
    )
    send_mail(inv.email, f"{vendor.name}: AI vendor assessment invitation", body)
    return link


def send_status_mail(to: str, subject: str, body: str) -> None:
    send_mail(to, subject, body + "\n\n-- VendorAssure\n")

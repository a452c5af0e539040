"""The emails the platform sends, with their wording in one place."""

from __future__ import annotations

from datetime import date

from flask import current_app

from . import links
from .mail import send_mail


def invitation_link(token: str) -> str:
    return links.url("auth.invitation_accept", token=token)


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


def vendor_recipients(vendor) -> list[str]:
    """The addresses of a vendor's contacts who can sign in (active, password set)."""
    return [c.email for c in vendor.contacts if c.active and c.password_hash]


def mail_vendor_contacts(vendor, subject: str, body: str) -> int:
    """Send one status mail to each of a vendor's contacts who can sign in; return how many."""
    recipients = vendor_recipients(vendor)
    for email in recipients:
        send_status_mail(email, subject, body)
    return len(recipients)


def send_reminder(to: str, assessment, stage: str, today: date) -> None:
    """Email a due-date reminder: stage is before_due or overdue."""
    left = (assessment.due_date - today).days
    link = links.url("portal.assessment_answer", assessment_id=assessment.id)
    title = assessment.questionnaire.title
    if stage == "overdue":
        subject = f"Overdue: {title} for {assessment.vendor.name}"
        body = (
            f"The questionnaire {title} was due on {assessment.due_date.isoformat()} "
            f"({-left} day(s) ago) and has not been submitted yet.\n\n"
            f"Your saved answers are waiting for you: {link}"
        )
    else:
        when = "today" if left == 0 else f"in {left} day(s)"
        subject = f"Reminder: {title} is due {when}"
        body = (
            f"The questionnaire {title} for {assessment.vendor.name} is due on "
            f"{assessment.due_date.isoformat()} ({when}).\n\n"
            f"Continue where you left off: {link}"
        )
    send_status_mail(to, subject, body)


def password_reset_link(token: str) -> str:
    return links.url("auth.password_reset", token=token)


def send_password_reset(user, reset, token: str) -> str:
    """Email a single-use password-reset link; return the link."""
    link = password_reset_link(token)
    minutes = current_app.config["PASSWORD_RESET_TTL_MINUTES"]
    body = (
        f"Hello,\n\n"
        f"Someone (we hope you) asked to choose a new VendorAssure password for {user.email}.\n\n"
        f"Open this link to choose it:\n{link}\n\n"
        f"The link works once and expires in {minutes} minutes ({reset.expires_at:%Y-%m-%d %H:%M} UTC).\n"
        f"Choosing a new password signs you out everywhere and ends your API tokens.\n"
        f"If you did not ask for this, ignore this email: your password stays as it is."
    )
    send_status_mail(user.email, "VendorAssure: choose a new password", body)
    return link


def send_sso_reminder(user) -> None:
    """Tell a staff member who asked for a reset that they sign in through single sign-on."""
    body = (
        f"Hello,\n\n"
        f"Someone (we hope you) asked to reset the VendorAssure password for {user.email}.\n\n"
        f"Your organisation signs in to VendorAssure with single sign-on, so there is no password "
        f'to reset here. Use "{current_app.config["OIDC_LABEL"]}" on {links.url("auth.login")}.\n'
        f"If you did not ask for this, you can ignore this email."
    )
    send_status_mail(user.email, "VendorAssure: you sign in with single sign-on", body)

"""The emails the platform sends, with their wording in one place.

Every email is one Jinja template under templates/email/ that extends email/_layout.html and is
rendered twice, as the HTML part and as the plain-text part (`render_mail`); `send_templated`
queues both. The buyer's organisation name and logo come from the ORGANISATION_NAME and
ORGANISATION_LOGO_URL settings, the language from the recipient (docs/OPERATIONS.md, "Email")."""

from __future__ import annotations

import re
from datetime import date

from flask import current_app
from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _

from ..catalog.numbering import estimated_minutes, required_range
from ..i18n import DEFAULT, language_of
from ..settings_defaults import setting
from . import links
from .mail import send_mail


def _text_env():
    """The app's Jinja environment without HTML escaping, for the plain-text parts."""
    env = current_app.extensions.get("va_mail_text_env")
    if env is None:
        env = current_app.jinja_env.overlay(autoescape=False)
        current_app.extensions["va_mail_text_env"] = env
    return env


def _tidy_text(text: str) -> str:
    lines = [line if line == "-- " else line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render_mail(template: str, subject: str, language: str = DEFAULT, **context) -> tuple[str, str]:
    """Render one email template as (plain text, HTML) in LANGUAGE."""
    cfg = current_app.config
    context = {
        "org_name": setting("ORGANISATION_NAME") or "VendorAssure",
        "logo_url": cfg.get("ORGANISATION_LOGO_URL") or "",
        "base_url": links.base(),
        "subject": subject,
        "lang": language,
        **context,
    }
    with force_locale(language):
        html = current_app.jinja_env.get_template(template).render(html=True, **context)
        text = _text_env().get_template(template).render(html=False, **context)
    return _tidy_text(text), html


def send_templated(to: str, subject: str, template: str, language: str = DEFAULT, **context) -> str:
    """Queue one email from a template (HTML and plain-text parts); return its Message-ID."""
    text, html = render_mail(template, subject, language, **context)
    return send_mail(to, subject, text, html=html)


def invitation_link(token: str) -> str:
    return links.url("auth.invitation_accept", token=token)


def _invitation_facts(assessment, language: str) -> list[tuple[str, str]]:
    """What the contact needs to plan: who asks, what, by when, how long it takes."""
    questions = assessment.questionnaire.questions
    sections = len({q.section for q in questions})
    low, high = required_range(questions)
    days = (assessment.due_date - date.today()).days
    size = (
        _("%(n)s required questions", n=high)
        if low == high
        else _(
            "at least %(low)s, up to %(high)s required questions depending on your answers",
            low=low,
            high=high,
        )
    )
    hours = max(1, round(estimated_minutes(questions) / 60))
    return [
        (_("Questionnaire"), assessment.questionnaire.title),
        (
            _("Due"),
            format_date(assessment.due_date, "long")
            + " ("
            + ngettext("%(num)s day from today", "%(num)s days from today", days)
            + ")",
        ),
        (_("Size"), ngettext("%(num)s section", "%(num)s sections", sections) + "; " + size),
        (
            _("Time"),
            ngettext(
                "about %(num)s hour, in as many sittings as you like",
                "about %(num)s hours, in as many sittings as you like",
                hours,
            ),
        ),
    ]


def send_invitation(inv, token: str, vendor) -> str:
    """Email an invitation link to a vendor contact; return the link."""
    from ..extensions import db
    from ..models import Assessment

    link = invitation_link(token)
    language = language_of(inv.user)
    assessment = db.session.get(Assessment, inv.assessment_id) if inv.assessment_id else None
    org = setting("ORGANISATION_NAME") or "VendorAssure"
    with force_locale(language):
        facts = _invitation_facts(assessment, language) if assessment else []
        expires = format_date(inv.expires_at.date(), "long")
        if assessment:
            subject = _(
                "%(org)s asks %(vendor)s to complete “%(title)s” by %(date)s",
                org=org,
                vendor=vendor.name,
                title=assessment.questionnaire.title,
                date=format_date(assessment.due_date, "medium"),
            )
        else:
            subject = _(
                "%(org)s invites %(vendor)s to its supplier portal", org=org, vendor=vendor.name
            )
    send_templated(
        inv.email,
        subject,
        "email/invitation.html",
        language,
        contact_name=inv.user.name if inv.user else "",
        vendor_name=vendor.name,
        facts=facts,
        link=link,
        expires_on=expires,
        expires_days=current_app.config["INVITATION_TTL_DAYS"],
    )
    return link


def send_status_mail(
    to: str, subject: str, body: str, language: str = DEFAULT, button: tuple[str, str] | None = None
) -> None:
    """Send a short message: paragraphs split on blank lines, an optional (link, label) button."""
    send_templated(
        to,
        subject,
        "email/message.html",
        language,
        paragraphs=[p.strip() for p in body.split("\n\n") if p.strip()],
        button=button,
    )


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
    """Email a due-date reminder (stage before_due or overdue) in the contact's language."""
    from sqlalchemy import select

    from ..extensions import db
    from ..models import User

    user = db.session.scalar(select(User).filter_by(email=to))
    language = language_of(user)
    left = (assessment.due_date - today).days
    link = links.url("portal.assessment_answer", assessment_id=assessment.id)
    title = assessment.questionnaire.title
    with force_locale(language):
        due = format_date(assessment.due_date, "long")
        if stage == "overdue":
            subject = _(
                "Overdue: %(title)s for %(vendor)s", title=title, vendor=assessment.vendor.name
            )
            body = (
                _(
                    "The questionnaire %(title)s was due on %(date)s and has not been submitted yet.",
                    title=title,
                    date=due,
                )
                + "\n\n"
                + _("Your saved answers are waiting for you.")
            )
        else:
            when = _("today") if left == 0 else ngettext("in %(num)s day", "in %(num)s days", left)
            subject = _("Reminder: %(title)s is due %(when)s", title=title, when=when)
            body = (
                _(
                    "The questionnaire %(title)s for %(vendor)s is due on %(date)s (%(when)s).",
                    title=title,
                    vendor=assessment.vendor.name,
                    date=due,
                    when=when,
                )
                + "\n\n"
                + _("Your answers are saved as you go: continue where you left off.")
            )
        label = _("Continue answering")
    send_status_mail(to, subject, body, language, button=(link, label))


def password_reset_link(token: str) -> str:
    return links.url("auth.password_reset", token=token)


def send_password_reset(user, reset, token: str) -> str:
    """Email a single-use password-reset link; return the link."""
    link = password_reset_link(token)
    minutes = current_app.config["PASSWORD_RESET_TTL_MINUTES"]
    body = (
        f"Hello,\n\n"
        f"Someone (we hope you) asked to choose a new VendorAssure password for {user.email}.\n\n"
        f"The link works once and expires in {minutes} minutes ({reset.expires_at:%Y-%m-%d %H:%M} UTC). "
        f"Choosing a new password signs you out everywhere and ends your API tokens.\n\n"
        f"If you did not ask for this, ignore this email: your password stays as it is."
    )
    send_status_mail(
        user.email,
        "VendorAssure: choose a new password",
        body,
        language_of(user),
        button=(link, "Choose a new password"),
    )
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

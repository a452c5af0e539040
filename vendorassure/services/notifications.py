"""Staff notifications: an in-app inbox with an unread count, and email, for what the team must
hear about (a submission, a clarification answered, a remediation plan, a certificate that
expires soon, an overdue assessment); each user chooses, per kind, the inbox, email, both or
neither. Sent after the use case commits: a notice never holds up or undoes the change."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    NOTIFICATION_KINDS,
    VENDOR_OPEN,
    Assessment,
    Evidence,
    Notification,
    NotificationPreference,
    User,
    Vendor,
)
from ..models._base import utcnow
from ..queries.evidence import expiring_within
from . import links
from .errors import InvalidValues, NotFound
from .notify import send_status_mail

EXPIRY_NOTICE_DAYS = 30


def after_commit(func, *args) -> None:
    """Send a notice for a change that is committed already: a failure is logged, never raised
    (the change stands; the notice is not worth a 500)."""
    from flask import current_app

    try:
        func(*args)
    except Exception:  # noqa: BLE001 - logged with its traceback
        db.session.rollback()
        current_app.logger.exception("Notification %s failed", getattr(func, "__name__", func))


def preferences(user: User) -> dict[str, dict[str, bool]]:
    """{kind: {"in_app": bool, "email": bool}} for every kind (unset kinds: both on)."""
    rows = db.session.scalars(select(NotificationPreference).filter_by(user_id=user.id))
    stored = {p.kind: {"in_app": p.in_app, "email": p.email} for p in rows}
    return {k: stored.get(k, {"in_app": True, "email": True}) for k in NOTIFICATION_KINDS}


def set_preferences(user: User, choices: dict[str, dict[str, bool]]) -> dict:
    """Store a user's choices (one row per kind); unknown kinds are refused."""
    unknown = sorted(set(choices) - set(NOTIFICATION_KINDS))
    if unknown:
        raise InvalidValues(
            f"Unknown notification kind(s): {', '.join(unknown)}.", {"kind": "Unknown."}
        )
    existing = {
        p.kind: p
        for p in db.session.scalars(select(NotificationPreference).filter_by(user_id=user.id))
    }
    for kind, choice in choices.items():
        pref = existing.get(kind) or NotificationPreference(user_id=user.id, kind=kind)
        pref.in_app = bool(choice.get("in_app"))
        pref.email = bool(choice.get("email"))
        db.session.add(pref)
    db.session.commit()
    return preferences(user)


def _risk_team() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.role == "risk", User.active.is_(True)).order_by(User.id)
        )
    )


def recipients_for(assessment: Assessment, include_issuer: bool = False) -> list[User]:
    """Who hears about an assessment: its reviewer, else the whole risk team; and, where asked,
    the procurement user who issued it."""
    people = [assessment.reviewer] if assessment.reviewer_id else _risk_team()
    if include_issuer and assessment.issued_by_id:
        people.append(db.session.get(User, assessment.issued_by_id))
    seen, out = set(), []
    for u in people:
        if u is not None and u.active and u.is_staff and u.id not in seen:
            seen.add(u.id)
            out.append(u)
    return out


def notify(users, kind: str, title: str, body: str, link: str = "", assessment_id=None,
           dedup_key: str | None = None) -> int:  # fmt: skip
    """Tell each user as they chose (inbox row and/or email); return how many were told.

    With a ``dedup_key`` a user is told once, however often a sweep runs (a unique row)."""
    users = list(users)
    if not users:
        return 0
    prefs = {
        (p.user_id, p.kind): p
        for p in db.session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.user_id.in_([u.id for u in users]),
                NotificationPreference.kind == kind,
            )
        )
    }
    told = 0
    for user in users:
        pref = prefs.get((user.id, kind))
        in_app = pref.in_app if pref else True
        email = pref.email if pref else True
        if dedup_key is not None:
            # Claim the notice in the database first: a second sweep (or host) finds it taken.
            row = Notification(user_id=user.id, kind=kind, title=title[:300], body=body,
                               link=link, assessment_id=assessment_id, dedup_key=dedup_key,
                               read_at=None if in_app else utcnow())  # fmt: skip
            try:
                with db.session.begin_nested():
                    db.session.add(row)
            except IntegrityError:
                continue
        elif in_app:
            db.session.add(Notification(user_id=user.id, kind=kind, title=title[:300], body=body,
                                        link=link, assessment_id=assessment_id))  # fmt: skip
        db.session.commit()
        if email:
            send_status_mail(user.email, title, f"{body}\n\n{link}" if link else body)
        told += 1 if (in_app or email) else 0
    return told


def _review_link(assessment: Assessment) -> str:
    return links.url("review.assessment_review", assessment_id=assessment.id)


def assessment_submitted(assessment: Assessment) -> int:
    """Tell the reviewer (or the risk team) and the issuer that a vendor submitted."""
    v = assessment.vendor
    return notify(
        recipients_for(assessment, include_issuer=True),
        "submitted",
        f"{v.name} submitted {assessment.questionnaire.title}",
        f"{v.name} submitted its answers to {assessment.questionnaire.title} "
        f"(assessment #{assessment.id}). It is scored and ready for review.",
        _review_link(assessment),
        assessment.id,
    )


def clarification_answered(assessment: Assessment, author: User, body: str) -> int:
    """Tell the reviewer (or the risk team) that the vendor answered in a clarification thread."""
    return notify(
        recipients_for(assessment),
        "clarification_answered",
        f"{assessment.vendor.name} answered a clarification request",
        f"{author.display_name} wrote on assessment #{assessment.id}:\n\n{body[:1000]}",
        _review_link(assessment) + "#clarifications",
        assessment.id,
    )


def remediation_plan_sent(finding) -> int:
    """Tell the finding's owner (or the reviewer, or the risk team) about a remediation plan."""
    a = db.session.get(Assessment, finding.assessment_id)
    people = [finding.owner] if finding.owner_id and finding.owner.active else recipients_for(a)
    return notify(
        people,
        "remediation_plan",
        f"{finding.vendor.name} sent a remediation plan",
        f"For the finding “{finding.title}”:\n\n{finding.vendor_response[:1000]}",
        links.url("review.finding_edit", finding_id=finding.id),
        a.id,
    )


def sweep(today: date | None = None) -> dict:
    """The day's notices: certificates on file that expire within EXPIRY_NOTICE_DAYS, and
    assessments past their due date; each told once per user (dedup keys)."""
    today = today or date.today()
    expiring = db.session.execute(
        select(Evidence, Vendor.name)
        .join(Vendor, Vendor.id == Evidence.vendor_id)
        .where(expiring_within(today, EXPIRY_NOTICE_DAYS), Vendor.status == "active")
        .order_by(Evidence.expires_on, Evidence.id)
    ).all()
    team = _risk_team()
    told_expiring = 0
    for ev, vendor_name in expiring:
        days = (ev.expires_on - today).days
        told_expiring += notify(
            team,
            "evidence_expiring",
            f"{vendor_name}: a certificate expires in {days} day(s)",
            f"{ev.original_name} ({ev.standard or 'certificate'}) of {vendor_name} expires on "
            f"{ev.expires_on:%d %B %Y}. Ask the vendor for the renewed certificate.",
            links.url("main.vendor_overview", vendor_id=ev.vendor_id),
            dedup_key=f"expiring:{ev.id}:{ev.expires_on.isoformat()}",
        )
    overdue = db.session.scalars(
        select(Assessment)
        .where(Assessment.status.in_(VENDOR_OPEN), Assessment.due_date < today)
        .order_by(Assessment.id)
    ).all()
    told_overdue = 0
    for a in overdue:
        people = [db.session.get(User, a.issued_by_id)] if a.issued_by_id else []
        people = [u for u in people if u is not None and u.active] or team
        told_overdue += notify(
            people,
            "assessment_overdue",
            f"Overdue: {a.vendor.name}, {a.questionnaire.title}",
            f"Assessment #{a.id} of {a.vendor.name} was due on {a.due_date:%d %B %Y} and has not "
            "been submitted.",
            links.url("procurement.vendor_detail", vendor_id=a.vendor_id),
            a.id,
            dedup_key=f"overdue:{a.id}:{a.due_date.isoformat()}",
        )
    return {"expiring": told_expiring, "overdue": told_overdue}


def unread_subquery(user_id_column):
    """SQL: the number of unread notifications of the user in ``user_id_column`` (to load with
    the user, so the unread badge costs no statement of its own)."""
    return (
        select(func.count())
        .where(Notification.user_id == user_id_column, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def unread_count(user) -> int:
    """How many of the user's notifications are unread (one statement)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def inbox_query(user, unread_only: bool = False):
    """The user's notifications, newest first."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt


def get_own(user, notification_id: int) -> Notification:
    """One of the user's notifications, or 404 (never another user's)."""
    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != user.id:
        raise NotFound(f"Notification {notification_id} does not exist.")
    return n


def local_path(link: str) -> str:
    """The path of a notification's link on this site (the link builder made it absolute)."""
    from urllib.parse import urlsplit

    parts = urlsplit(link)
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else "/"
    return path + (f"#{parts.fragment}" if parts.fragment else "")


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read (404 for anyone else's), or all of them."""
    stmt = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        get_own(user, notification_id)
        stmt = stmt.where(Notification.id == notification_id)
    count = db.session.execute(stmt.values(read_at=utcnow())).rowcount
    db.session.commit()
    return count

"""Browser sessions: start one, and check on every request that it is still allowed to live.

The session cookie holds Flask-Login's id "user id:session version"; raising the version on the
user row (logout, password change, deactivation, role change) ends every session of that user in
every worker and on every host, because each request compares the two in the database. Idle and
absolute lifetimes are timestamps in the signed cookie, so a captured cookie cannot extend them.
"""

from __future__ import annotations

import time

from flask import current_app, g, session
from flask_login import login_user
from sqlalchemy import select

from ..extensions import db
from ..models import User
from ..services.notifications import unread_subquery

AUTH_AT, SEEN_AT, METHOD = "_va_auth", "_va_seen", "_va_method"
PENDING = "_va_pending"
MFA_SETUP = "_va_mfa_setup"  # the TOTP secret being set up, until its first code confirms it
PENDING_SECONDS = 600
_KEYS = ("_user_id", "_fresh", "_id", "_remember", AUTH_AT, SEEN_AT, METHOD)


def start_session(user: User, method: str) -> None:
    """Sign the browser in as `user` after every required factor; a fresh cookie, new clocks."""
    user = getattr(user, "_get_current_object", lambda: user)()
    keep = {k: v for k, v in session.items() if k == "_flashes"}
    session.clear()
    session.update(keep)
    login_user(user)
    now = int(time.time())
    session[AUTH_AT] = now
    session[SEEN_AT] = now
    session[METHOD] = method
    session.permanent = True


def end_browser_session() -> None:
    """Forget the signed-in user in this cookie (server-side revocation is the version bump)."""
    for key in (*_KEYS, PENDING):
        session.pop(key, None)


def set_pending(user: User, step: str, next_url: str) -> None:
    """Remember a password that was right while the second factor is still to come."""
    end_browser_session()
    session[PENDING] = {
        "uid": user.id,
        "v": user.session_version,
        "at": int(time.time()),
        "step": step,
        "next": next_url,
    }


def pending_user() -> tuple[User | None, dict]:
    """The user half-way through sign-in (password checked), or None when that has lapsed."""
    data = session.get(PENDING)
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None, {}
    if time.time() - data.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None, {}
    user = db.session.get(User, data["uid"])
    if user is None or not user.active or user.session_version != data.get("v"):
        session.pop(PENDING, None)
        return None, {}
    return user, data


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the user only while version, activity and both lifetimes hold."""
    from ..services.mfa import second_step

    uid, _, version = (user_id or "").partition(":")
    if not uid.isdigit() or not version.isdigit():
        return None
    row = db.session.execute(
        select(User, unread_subquery(User.id)).where(User.id == int(uid))
    ).first()
    user = row[0] if row else None
    if user is not None:
        g.inbox_unread = row[1]  # the top bar's badge, in the same statement
    if user is None or not user.active or user.session_version != int(version):
        end_browser_session()
        return None
    cfg = current_app.config
    now = time.time()
    started, seen = session.get(AUTH_AT), session.get(SEEN_AT)
    if (
        not isinstance(started, int)
        or not isinstance(seen, int)
        or now - started > cfg["SESSION_ABSOLUTE_HOURS"] * 3600
        or now - seen > cfg["SESSION_IDLE_MINUTES"] * 60
    ):
        end_browser_session()
        return None
    # A role that must use a second factor needs a session that used one (SSO: the IdP's job).
    if second_step(user) and session.get(METHOD) not in ("password+mfa", "sso"):
        end_browser_session()
        return None
    if now - seen >= 30:  # rewrite the cookie at most every 30 s
        session[SEEN_AT] = int(now)
    return user

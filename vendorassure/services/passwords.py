"""Password rules, password change and the forgotten-password link."""

from __future__ import annotations

import functools
import gzip
import re
import secrets
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ApiToken, PasswordReset, User
from ..models._base import utcnow
from . import audit
from .errors import InvalidValues
from .sessions import end_sessions

# Trailing digits and punctuation ("Summer2024!") do not make a listed password safe.
_DECORATION = re.compile(r"[\d\W_]+$")
RESET_ANSWER = (
    "If an account exists for that address, we have emailed a link to choose a new password. "
    "It works once and expires soon."
)


@functools.lru_cache(maxsize=4)
def _breached(path: str) -> frozenset[str]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(Path(path), "rt", encoding="utf-8", errors="ignore") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def is_breached(password: str) -> bool:
    """Whether the password (or its stem before trailing digits/symbols) is on the shipped list."""
    listed = _breached(current_app.config["PASSWORD_BREACHED_LIST"])
    lowered = password.lower()
    stem = _DECORATION.sub("", lowered)
    return lowered in listed or (len(stem) >= 6 and stem in listed)


def check_password_rules(password, user: User | None = None) -> None:
    """Refuse a password that is too short or long, on the breached list, or the user's email."""
    cfg = current_app.config
    low, high = cfg["PASSWORD_MIN_LENGTH"], cfg["PASSWORD_MAX_LENGTH"]
    problem = None
    if not isinstance(password, str) or len(password) < low:
        problem = f"Use at least {low} characters."
    elif len(password) > high:
        problem = f"Use at most {high} characters."
    elif "\x00" in password:
        problem = "The password contains a character that cannot be used."
    elif (
        user is not None
        and user.email
        and password.lower()
        in {
            user.email.lower(),
            user.email.split("@")[0].lower(),
        }
    ):
        problem = "Do not use your email address as the password."
    elif cfg["PASSWORD_CHECK_BREACHED"] and is_breached(password):
        problem = "This password appears in lists of breached passwords; choose another."
    if problem:
        raise InvalidValues(f"Password not accepted: {problem}", {"password": problem})


def set_password(user: User, password: str) -> None:
    """Check the rules and store the new hash with the configured method; the caller commits."""
    check_password_rules(password, user)
    user.password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )
    user.password_changed_at = utcnow()


def change_password(user: User, current: str | None, new: str) -> User:
    """Change the signed-in user's password and end every other session of theirs."""
    if user.password_hash and not check_password_hash(user.password_hash, current or ""):
        raise InvalidValues(
            "The current password is not correct.", {"current_password": "Not correct."}
        )
    if user.password_hash and current == new:
        raise InvalidValues(
            "Password not accepted: choose a password different from the current one.",
            {"password": "Same as the current password."},
        )
    set_password(user, new)
    end_sessions(user)
    audit.record(user, "user.password_changed", user)
    db.session.commit()
    return user


def _reset_candidate(email: str) -> User | None:
    """The user a reset link may go to: exists, active and already has a password."""
    from .auth import normalise_email_or_none

    address = normalise_email_or_none(email)
    if address is None:
        return None
    user = db.session.scalar(select(User).filter_by(email=address))
    if user is None or not user.active or not user.password_hash:
        return None
    return user


def request_password_reset(email: str) -> str:
    """Email a single-use reset link if the address belongs to an account; same answer either way."""
    from .notify import send_password_reset, send_sso_reminder
    from .sso import password_login_allowed

    user = _reset_candidate(email)
    if user is None:
        return RESET_ANSWER
    if not password_login_allowed(user):
        send_sso_reminder(user)
        return RESET_ANSWER
    token = secrets.token_urlsafe(32)
    from .auth import hash_token

    row = PasswordReset(
        user_id=user.id,
        token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(minutes=current_app.config["PASSWORD_RESET_TTL_MINUTES"]),
    )
    db.session.add(row)
    audit.record(None, "password_reset.requested", row, details={"user_id": user.id})
    db.session.commit()
    send_password_reset(user, row, token)
    return RESET_ANSWER


def reset_state(token: str) -> tuple[PasswordReset | None, str]:
    """Return the reset row for a token and its state: valid, used, expired or unknown."""
    from .auth import hash_token

    if not isinstance(token, str) or not token or len(token) > 200:
        return None, "unknown"
    row = db.session.scalar(select(PasswordReset).filter_by(token_hash=hash_token(token)))
    if row is None:
        return None, "unknown"
    user = row.user
    if row.used_at is not None:
        return row, "used"
    # A link issued before the latest password change, or to a deactivated user, is dead.
    if (
        not user.active
        or (user.password_changed_at and user.password_changed_at > row.created_at)
        or row.expires_at <= utcnow()
    ):
        return row, "expired"
    return row, "valid"


def reset_password(token: str, password: str) -> User:
    """Set a new password through a reset link: single use; ends sessions and API tokens."""
    row, state = reset_state(token)
    if state != "valid":
        raise InvalidValues(
            f"This password-reset link is {'no longer valid' if state != 'unknown' else 'not valid'}."
            " Ask for a new one.",
            {"token": state},
        )
    user = row.user
    set_password(user, password)
    now = utcnow()
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    # Whoever made the owner forget the password may hold a token or a session: end both.
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    user.failed_logins = 0
    user.throttled_until = None
    end_sessions(user)
    audit.record(user, "user.password_reset", user)
    db.session.commit()
    return user

"""Sign-in, users, API tokens and invitations."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ROLES, VENDOR_OPEN, ApiToken, Assessment, Invitation, User, Vendor
from ..models._base import utcnow
from . import audit
from .errors import Conflict, InvalidValues, NotAuthenticated, NotFound
from .passwords import set_password
from .sessions import end_sessions

FAILURE = (
    "Email or password is incorrect, or there were too many attempts; wait a minute and try again."
)
MAX_TOKEN_DAYS = 366


@functools.lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """A hash made with the configured method, checked when there is no real one to check."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """Validate an email address and return it in canonical lower case, or raise InvalidValues."""
    try:
        return validate_email(email or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidValues(f"Email address is not valid: {exc}", {"email": str(exc)}) from None


def normalise_email_or_none(email) -> str | None:
    """The canonical address for a look-up, or None for input that cannot be one."""
    if not isinstance(email, str) or not email.strip() or len(email) > 254 or "\x00" in email:
        return None
    try:
        return normalise_email(email.strip())
    except InvalidValues:
        return email.strip().lower()


def backoff_seconds(failures: int) -> int:
    """How long an account waits after this many consecutive failures (0 while still free)."""
    cfg = current_app.config
    over = failures - cfg["LOGIN_BACKOFF_FREE_ATTEMPTS"]
    if over < 0:
        return 0
    wait = cfg["LOGIN_BACKOFF_BASE_SECONDS"] * 2 ** min(over, 20)
    return min(cfg["LOGIN_BACKOFF_MAX_SECONDS"], wait)


def throttled(user: User, now: datetime | None = None) -> bool:
    """Whether the account is waiting out its backoff."""
    return user.throttled_until is not None and user.throttled_until > (now or utcnow())


def count_failure(user: User) -> None:
    """Count one failed attempt and start (or lengthen) the account's backoff; the caller commits."""
    user.failed_logins = (user.failed_logins or 0) + 1
    wait = backoff_seconds(user.failed_logins)
    user.throttled_until = utcnow() + timedelta(seconds=wait) if wait else None


def check_password(stored: str | None, password) -> bool:
    """Check a password against a stored hash, or against a dummy one made the same way."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    given = password if isinstance(password, str) else ""
    return check_password_hash(stored or _dummy_hash(method), given) and stored is not None


def authenticate(email: str, password: str) -> User:
    """Return the user for a correct email and password; one vague error for every failure.

    Every path checks exactly one hash made with the configured method, so the answer takes as
    long for an unknown, throttled, inactive or SSO-only account as for a known one.
    """
    from .sso import password_login_allowed

    failure = NotAuthenticated(FAILURE)
    address = normalise_email_or_none(email)
    user = db.session.scalar(select(User).filter_by(email=address)) if address else None
    correct = check_password(user.password_hash if user is not None else None, password)
    if user is None or not user.password_hash:
        raise failure
    if throttled(user) or not user.active or not password_login_allowed(user):
        # Attempts while waiting are refused unseen and not counted: nobody can extend the wait.
        raise failure
    if not correct:
        count_failure(user)
        db.session.commit()
        raise failure
    return user


def sign_in(email: str, password: str) -> tuple[User, str | None]:
    """Check email and password; return the user and the step still due ("verify", "enrol")."""
    from .mfa import second_step

    user = authenticate(email, password)
    step = second_step(user)
    if step is None:
        complete_sign_in(user, "password")
    return user, step


def sign_out(user: User) -> None:
    """End every session of the user on the server side (all browsers sign in again)."""
    end_sessions(user)
    audit.record(user, "user.signed_out", user)
    db.session.commit()


def complete_sign_in(user: User, method: str = "password") -> User:
    """Record a finished sign-in (every factor checked): reset the backoff, stamp, audit, commit."""
    user.failed_logins = 0
    user.throttled_until = None
    user.last_login_at = utcnow()
    audit.record(user, "user.signed_in", user, details={"method": method})
    db.session.commit()
    return user


def create_user(
    email: str,
    role: str,
    password: str | None = None,
    name: str = "",
    vendor_id: int | None = None,
    actor=None,
    commit: bool = True,
) -> User:
    """Create a user; a vendor user must belong to an existing vendor."""
    fields = {}
    if role not in ROLES:
        fields["role"] = f"Must be one of {', '.join(ROLES)}."
    if role == "vendor" and (vendor_id is None or db.session.get(Vendor, vendor_id) is None):
        fields["vendor_id"] = "A vendor user needs an existing vendor."
    if role != "vendor" and vendor_id is not None:
        fields["vendor_id"] = "Only vendor users belong to a vendor."
    if fields:
        raise InvalidValues("; ".join(f"{k}: {v}" for k, v in fields.items()), fields)
    email = normalise_email(email)
    if db.session.scalar(select(User.id).filter_by(email=email)) is not None:
        raise InvalidValues(
            f"A user with email {email} already exists.", {"email": "Already in use."}
        )
    user = User(email=email, role=role, name=name.strip(), vendor_id=vendor_id)
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor, "user.created", user, details={"email": email, "role": role}, vendor_id=vendor_id
    )
    if commit:
        db.session.commit()
    return user


def _new_token(user: User, name: str, days: int) -> tuple[str, ApiToken]:
    name = (name or "").strip()
    if not name or len(name) > 100 or "\x00" in name:
        raise InvalidValues(
            "Give the token a name of 1 to 100 characters.", {"name": "1 to 100 characters."}
        )
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidValues(
            f"A token expires after 1 to {MAX_TOKEN_DAYS} days.",
            {"expires_in_days": f"1 to {MAX_TOKEN_DAYS}."},
        )
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(row)
    audit.record(user, "api_token.issued", row, details={"name": name, "days": days})
    db.session.commit()
    return token, row


def issue_api_token(
    email: str, password: str, name: str = "api", otp: str | None = None
) -> tuple[str, ApiToken]:
    """Exchange credentials (and the second factor, where enrolled) for a bearer token."""
    from .mfa import check_api_second_factor

    user = authenticate(email, password)
    check_api_second_factor(user, otp)
    complete_sign_in(user, "api_token")
    return _new_token(user, name or "api", current_app.config["API_TOKEN_TTL_DAYS"])


def create_api_token(
    user: User, name: str, days: int | None = None, password: str | None = None
) -> tuple[str, ApiToken]:
    """Create a bearer token for the signed-in user, expiring after `days`; only its hash is kept.

    A user who signs in with a password confirms it; an SSO-only user has none to confirm.
    """
    from .sso import password_login_allowed

    confirm = bool(user.password_hash) and password_login_allowed(user)
    if confirm and not check_password(user.password_hash, password):
        raise InvalidValues("Your password is not correct.", {"password": "Not correct."})
    return _new_token(
        user, name, current_app.config["API_TOKEN_TTL_DAYS"] if days is None else days
    )


def list_api_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones included, to see history)."""
    return list(
        db.session.scalars(
            select(ApiToken).filter_by(user_id=user.id).order_by(ApiToken.id.desc()).limit(200)
        )
    )


def revoke_api_token(user: User, token_id) -> ApiToken:
    """Revoke one of the user's own tokens; another user's token is a 404."""
    row = db.session.get(ApiToken, token_id) if isinstance(token_id, int) else None
    if row is None or row.user_id != user.id:
        raise NotFound(f"API token {token_id} does not exist.")
    if row.revoked_at is not None:
        raise Conflict("This token is already revoked.", {"token_id": "Already revoked."})
    row.revoked_at = utcnow()
    audit.record(user, "api_token.revoked", row, details={"name": row.name})
    db.session.commit()
    return row


def user_for_token(token: str) -> User | None:
    """Return the active user of a valid, unexpired, unrevoked bearer token."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(
        select(ApiToken).options(joinedload(ApiToken.user)).filter_by(token_hash=hash_token(token))
    )
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.active:
        return None
    user = row.user
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
        db.session.commit()
    return user


def latest_open_assessment_id(vendor_id: int) -> int | None:
    """The vendor's most recent assessment still open for answers (an invitation leads there)."""
    return db.session.scalar(
        select(Assessment.id)
        .filter_by(vendor_id=vendor_id)
        .where(Assessment.status.in_(VENDOR_OPEN))
        .order_by(Assessment.id.desc())
        .limit(1)
    )


def new_invitation(user: User, actor, assessment_id: int | None = None) -> tuple[str, Invitation]:
    """Create a single-use, expiring invitation for a vendor user; the caller commits."""
    token = secrets.token_urlsafe(32)
    inv = Invitation(
        user_id=user.id,
        vendor_id=user.vendor_id,
        assessment_id=assessment_id,
        email=user.email,
        token_hash=hash_token(token),
        created_by_id=getattr(actor, "id", None),
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_TTL_DAYS"]),
    )
    db.session.add(inv)
    db.session.flush()
    audit.record(
        actor,
        "invitation.created",
        inv,
        vendor_id=user.vendor_id,
        assessment_id=assessment_id,
        details={"email": user.email},
    )
    return token, inv


def invitation_state(token: str) -> tuple[Invitation | None, str]:
    """Return the invitation for a token and its state: valid, used, expired, revoked or unknown."""
    inv = db.session.scalar(select(Invitation).filter_by(token_hash=hash_token(token or "")))
    if inv is None:
        return None, "unknown"
    if inv.revoked_at is not None:
        return inv, "revoked"
    if inv.used_at is not None:
        return inv, "used"
    if inv.expires_at <= utcnow():
        return inv, "expired"
    return inv, "valid"


def accept_invitation(token: str, password: str, name: str | None = None) -> User:
    """Set the invited user's password and consume the invitation (single use)."""
    inv, state = invitation_state(token)
    if state != "valid":
        raise InvalidValues(
            f"This invitation link is {state}. Ask your contact for a new one.", {"token": state}
        )
    user = inv.user
    set_password(user, password)
    if name:
        user.name = name.strip()[:200]
    user.active = True
    inv.used_at = utcnow()
    audit.record(
        user, "invitation.accepted", inv, vendor_id=inv.vendor_id, assessment_id=inv.assessment_id
    )
    db.session.commit()
    return user


def open_invitations(user: User) -> list[Invitation]:
    """A contact's invitations that are neither used nor revoked (expired ones included)."""
    return list(
        db.session.scalars(
            select(Invitation)
            .filter_by(user_id=user.id)
            .where(Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
            .order_by(Invitation.id)
        )
    )


def contact_state(user: User) -> tuple[str, Invitation | None]:
    """Where a vendor contact stands: active, invited, expired, revoked or inactive."""
    if user.password_hash:
        return ("active" if user.active else "inactive"), None
    latest = db.session.scalar(
        select(Invitation).filter_by(user_id=user.id).order_by(Invitation.id.desc()).limit(1)
    )
    if latest is None or latest.revoked_at is not None:
        return "revoked", latest
    if latest.expires_at <= utcnow():
        return "expired", latest
    return "invited", latest


def _revoke_open(actor, user: User, reason: str) -> int:
    now = utcnow()
    rows = open_invitations(user)
    for inv in rows:
        inv.revoked_at = now
        audit.record(
            actor,
            "invitation.revoked",
            inv,
            vendor_id=inv.vendor_id,
            assessment_id=inv.assessment_id,
            details={"email": inv.email, "reason": reason},
        )
    return len(rows)


def resend_invitation(actor, user: User) -> tuple[str, Invitation]:
    """Withdraw a contact's earlier links and email a fresh one (procurement)."""
    from .access import require_role
    from .notify import send_invitation

    require_role(actor, "procurement", "admin")
    if user.role != "vendor":
        raise InvalidValues("Only vendor contacts get invitations.", {"user_id": "Not a vendor."})
    if user.password_hash:
        raise Conflict(
            f"{user.email} has already set a password and can sign in; no invitation needed.",
            {"user_id": "Already active."},
        )
    _revoke_open(actor, user, "resent")
    token, inv = new_invitation(
        user, actor, assessment_id=latest_open_assessment_id(user.vendor_id)
    )
    db.session.commit()
    send_invitation(inv, token, user.vendor)
    return token, inv


def revoke_invitation(actor, user: User) -> int:
    """Withdraw every unused invitation link of a contact (procurement); returns how many."""
    from .access import require_role

    require_role(actor, "procurement", "admin")
    count = _revoke_open(actor, user, "revoked")
    if not count:
        raise Conflict(
            f"{user.email} has no open invitation to revoke.", {"user_id": "Nothing to revoke."}
        )
    db.session.commit()
    return count

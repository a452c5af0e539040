"""Sign-in, users, API tokens and invitations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ROLES, VENDOR_OPEN, ApiToken, Assessment, Invitation, User, Vendor
from ..models._base import utcnow
from . import audit
from .errors import Conflict, InvalidValues, NotAuthenticated

MIN_PASSWORD = 10
# Checked against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """Validate an email address and return it in canonical lower case, or raise InvalidValues."""
    try:
        return validate_email(email or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidValues(f"Email address is not valid: {exc}", {"email": str(exc)}) from None


def check_password_rules(password: str) -> None:
    """Refuse passwords that are too short."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidValues(
            f"Password must be at least {MIN_PASSWORD} characters.",
            {"password": f"At least {MIN_PASSWORD} characters."},
        )


def set_password(user: User, password: str) -> None:
    check_password_rules(password)
    user.password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )


def authenticate(email: str, password: str) -> User:
    """Return the user for a correct email and password; one vague error for every failure."""
    failure = NotAuthenticated("Email or password is incorrect, or the account is locked.")
    user = db.session.scalar(select(User).filter_by(email=(email or "").strip().lower()))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        raise failure
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        raise failure
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            audit.record(user, "user.locked", user)
        db.session.commit()
        raise failure
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(user, "user.signed_in", user)
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


def issue_api_token(email: str, password: str, name: str = "api") -> tuple[str, ApiToken]:
    """Exchange credentials for a bearer token; only its hash is stored."""
    user = authenticate(email, password)
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(days=current_app.config["API_TOKEN_TTL_DAYS"]),
    )
    db.session.add(row)
    audit.record(user, "api_token.issued", row)
    db.session.commit()
    return token, row


def user_for_token(token: str) -> User | None:
    """Return the active user of a valid, unexpired bearer token."""
    row = db.session.scalar(select(ApiToken).filter_by(token_hash=hash_token(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.active:
        return None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
        db.session.commit()
    return row.user


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

"""Multi-factor sign-in with TOTP: enrolment by QR code, verification, recovery codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..models import RecoveryCode, User
from ..models._base import utcnow
from . import audit
from .auth import count_failure, throttled
from .errors import Conflict, InvalidValues, NotAuthenticated
from .sessions import end_sessions

RECOVERY_CODES = 10
CODE_FAILURE = (
    "The code is not correct, or there were too many attempts; wait a minute and try again."
)
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by hand


def _key(purpose: bytes) -> bytes:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), purpose, hashlib.sha256).digest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_key(b"vendorassure mfa secret v1")))


def _seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _open(sealed: str | None) -> str | None:
    try:
        return _fernet().decrypt(sealed.encode()).decode() if sealed else None
    except InvalidToken:  # SECRET_KEY changed: the user must be re-enrolled by an admin
        return None


def _code_hash(code: str) -> str:
    return hmac.new(_key(b"vendorassure recovery codes v1"), code.encode(), "sha256").hexdigest()


def _normalise_recovery(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def mfa_required(user: User) -> bool:
    """Whether the user's role must use a second factor (setting MFA_REQUIRED_ROLES)."""
    cfg = current_app.config
    return bool(cfg["MFA_ENABLED"]) and user.role in cfg["MFA_REQUIRED_ROLES"]


def second_step(user: User) -> str | None:
    """What a password sign-in still needs: "verify" (enrolled), "enrol" (required) or None."""
    if not current_app.config["MFA_ENABLED"]:
        return None
    if user.mfa_enabled:
        return "verify"
    return "enrol" if mfa_required(user) else None


def new_secret() -> str:
    """A fresh random TOTP secret (base32), kept in the signed session until confirmed."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["MFA_ISSUER"]
    )


def qr_svg(uri: str) -> str:
    """Render the otpauth URI as an inline SVG QR code, locally (no external service)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, title="QR code")


def _matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step (now, or one step either side for clock drift) this code belongs to."""
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = int(time.time() // totp.interval)
    for offset in (0, -1, 1):
        step = current + offset
        if hmac.compare_digest(totp.generate_otp(step), code) and (
            last_step is None or step > last_step
        ):
            return step
    return None


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(raw)))
    return codes


def enable_mfa(user: User, secret: str, code: str) -> list[str]:
    """Confirm enrolment with a first code; store the secret sealed; return new recovery codes."""
    if user.mfa_enabled:
        raise Conflict("Two-step sign-in is already on for this account.", {"code": "Already on."})
    if not secret or not re.fullmatch(r"[A-Z2-7]{16,64}", secret):
        raise InvalidValues("Start the set-up again.", {"code": "The set-up expired."})
    step = _matching_step(secret, code, None)
    if step is None:
        raise InvalidValues(
            "That code does not match. Check the time on your phone and try the current code.",
            {"code": "Not the current code."},
        )
    user.mfa_secret = _seal(secret)
    user.mfa_enabled_at = utcnow()
    user.mfa_last_step = step
    codes = _new_recovery_codes(user)
    # Sessions opened before the second factor existed should not outlive it.
    end_sessions(user)
    audit.record(user, "user.mfa_enabled", user)
    db.session.commit()
    return codes


def verify_second_factor(user: User, code: str) -> str:
    """Check a TOTP or a single-use recovery code; failures count toward the account's backoff."""
    failure = NotAuthenticated(CODE_FAILURE, {"code": "Not correct."})
    if not isinstance(code, str) or len(code) > 40:
        code = ""
    if throttled(user) or not user.active or not user.mfa_enabled:
        raise failure
    secret = _open(user.mfa_secret)
    step = _matching_step(secret, code, user.mfa_last_step) if secret else None
    if step is not None:
        user.mfa_last_step = step
        db.session.flush()
        return "totp"
    normalised = _normalise_recovery(code)
    if re.fullmatch(r"[A-Z0-9]{10}", normalised):
        row = db.session.scalar(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _code_hash(normalised),
                RecoveryCode.used_at.is_(None),
            )
        )
        if row is not None:
            row.used_at = utcnow()
            audit.record(
                user, "user.recovery_code_used", user, details={"left": remaining(user) - 1}
            )
            db.session.flush()
            return "recovery_code"
    count_failure(user)
    db.session.commit()
    raise failure


def sign_in_with_code(user: User, code: str) -> str:
    """Finish a password sign-in with the second factor; return which kind of code was used."""
    from .auth import complete_sign_in

    kind = verify_second_factor(user, code)
    complete_sign_in(user, f"password+{kind}")
    return kind


def enrol_at_sign_in(user: User, secret: str, code: str) -> list[str]:
    """Enrol a user whose role requires it, as the last step of signing in; return the codes."""
    from .auth import complete_sign_in

    if throttled(user):
        raise NotAuthenticated(CODE_FAILURE, {"code": "Too many attempts."})
    try:
        codes = enable_mfa(user, secret, code)
    except InvalidValues:
        count_failure(user)
        db.session.commit()
        raise
    complete_sign_in(user, "password+totp")
    return codes


def check_api_second_factor(user: User, code: str | None) -> None:
    """API token requests: an enrolled user sends `otp`; a role that must enrol is refused."""
    step = second_step(user)
    if step == "enrol":
        raise NotAuthenticated(
            "Your role must use two-step sign-in: set it up in the web interface first.",
            {"otp": "Two-step sign-in not set up."},
            mfa="enrol",
        )
    if step == "verify":
        if not code:
            raise NotAuthenticated(
                "Send the current code from your authenticator app as `otp`.",
                {"otp": "Required."},
                mfa="required",
            )
        verify_second_factor(user, code)


def remaining(user: User) -> int:
    """How many unused recovery codes the user has."""
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def regenerate_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with a new set (the old ones stop working)."""
    if not user.mfa_enabled:
        raise Conflict("Turn on two-step sign-in first.", {"mfa": "Not on."})
    codes = _new_recovery_codes(user)
    audit.record(user, "user.recovery_codes_renewed", user)
    db.session.commit()
    return codes


def disable_mfa(actor: User, user: User) -> User:
    """Turn two-step sign-in off: the user (where the role allows) or an admin resetting it."""
    from .access import require_role

    if actor.id != user.id:
        require_role(actor, "admin")
    elif mfa_required(user):
        raise Conflict(
            "Your role must use two-step sign-in; ask an administrator to reset it if you lost "
            "your device.",
            {"mfa": "Required for your role."},
        )
    if not user.mfa_enabled:
        raise Conflict("Two-step sign-in is not on for this account.", {"mfa": "Not on."})
    user.mfa_secret = None
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_sessions(user)
    audit.record(actor, "user.mfa_disabled", user, details={"email": user.email})
    db.session.commit()
    return user

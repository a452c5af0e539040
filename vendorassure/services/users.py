"""User lifecycle for admins: edit name and role, deactivate, reactivate; every change audited."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import ROLES, ApiToken, User, Vendor
from ..models._base import utcnow
from . import audit
from .access import require_role
from .errors import Conflict, InvalidValues, NotFound
from .queries import name_contains, paginate
from .sessions import end_sessions

ROLE_LABELS = {"admin": "Admin", "procurement": "Procurement", "risk": "Risk", "vendor": "Vendor"}
ACTION_LABELS = {
    "user.created": "Created",
    "user.updated": "Details changed",
    "user.deactivated": "Deactivated",
    "user.reactivated": "Reactivated",
    "user.signed_in": "Signed in",
    "user.signed_out": "Signed out",
    "user.password_changed": "Password changed",
    "user.password_reset": "Password reset by email link",
    "user.mfa_enabled": "Two-step sign-in turned on",
    "user.mfa_disabled": "Two-step sign-in turned off",
    "user.recovery_code_used": "Recovery code used",
    "user.recovery_codes_renewed": "New recovery codes made",
    "user.sso_provisioned": "Created through single sign-on",
    "user.sso_linked": "Linked to single sign-on",
    "user.profile_updated": "Name changed",
}


def get_user(actor, user_id) -> User:
    """Load a user for an admin (404 for an unknown id)."""
    require_role(actor, "admin")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound(f"User {user_id} does not exist.")
    return user


def list_users(actor, page: int, per_page: int, q: str | None = None) -> tuple[list[User], int]:
    """One page of users (with their vendor), optionally filtered by email or name."""
    require_role(actor, "admin")
    stmt = select(User).options(joinedload(User.vendor))
    if q and q.strip():
        stmt = stmt.where(name_contains(User.email, q) | name_contains(User.name, q))
    return paginate(stmt, page, per_page, (User.role, User.email))


def vendor_names(limit: int = 100) -> list[str]:
    """Vendor names for the admin's vendor picker; none beyond `limit` vendors (a long list is
    no help and costs every page view: the field then takes the exact name, checked on save)."""
    names = list(db.session.scalars(select(Vendor.name).order_by(Vendor.name).limit(limit + 1)))
    return names if len(names) <= limit else []


def vendor_by_name(name: str | None) -> Vendor:
    """The vendor with exactly this name (case-insensitive), or a clear 422."""
    wanted = (name or "").strip()
    if not wanted:
        raise InvalidValues("Choose the vendor this user belongs to.", {"vendor": "Required."})
    matches = db.session.scalars(
        select(Vendor).where(func.lower(Vendor.name) == wanted.lower()).limit(2)
    ).all()
    if len(matches) != 1:
        message = (
            f"No vendor is called {wanted!r}."
            if not matches
            else f"Several vendors are called {wanted!r}."
        )
        raise InvalidValues(message, {"vendor": "Pick a vendor from the list."})
    return matches[0]


def _other_active_admins(user: User) -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(
            User.role == "admin", User.active.is_(True), User.id != user.id
        )
    )


def update_user(
    actor,
    user: User,
    *,
    name: str | None = None,
    role: str | None = None,
    vendor: str | None = None,
) -> User:
    """Change a user's name, role or vendor; a new role or vendor ends the user's sessions."""
    require_role(actor, "admin")
    changes: dict = {}
    if name is not None:
        name = name.strip()
        if len(name) > 200 or "\x00" in name:
            raise InvalidValues("A name has at most 200 characters.", {"name": "Too long."})
        if name != user.name:
            changes["name"] = [user.name, name]
            user.name = name
    new_role = role if role is not None else user.role
    if new_role not in ROLES:
        raise InvalidValues(f"Role must be one of {', '.join(ROLES)}.", {"role": "Unknown role."})
    if new_role != user.role:
        if user.id == actor.id:
            raise Conflict("You cannot change your own role.", {"role": "Your own role."})
        if user.role == "admin" and user.active and not _other_active_admins(user):
            raise Conflict("This is the last active admin.", {"role": "Last active admin."})
    vendor_id = None
    if new_role == "vendor":
        vendor_id = (
            vendor_by_name(vendor).id
            if vendor is not None or user.vendor_id is None
            else user.vendor_id
        )
    if new_role != user.role:
        changes["role"] = [user.role, new_role]
    if vendor_id != user.vendor_id:
        changes["vendor_id"] = [user.vendor_id, vendor_id]
    if not changes:
        return user
    user.role, user.vendor_id = new_role, vendor_id
    if "role" in changes or "vendor_id" in changes:
        # What the user may reach changed: every open session must sign in again.
        end_sessions(user)
    audit.record(actor, "user.updated", user, details=changes, vendor_id=vendor_id)
    db.session.commit()
    return user


def deactivate_user(actor, user: User) -> User:
    """Stop a user signing in: end sessions, revoke API tokens and open invitations."""
    from .auth import _revoke_open

    require_role(actor, "admin")
    if user.id == actor.id:
        raise Conflict("You cannot deactivate yourself.", {"user": "Yourself."})
    if not user.active:
        raise Conflict(f"{user.email} is already inactive.", {"user": "Already inactive."})
    if user.role == "admin" and not _other_active_admins(user):
        raise Conflict("This is the last active admin.", {"user": "Last active admin."})
    user.active = False
    end_sessions(user)
    revoked = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount
    invitations = _revoke_open(actor, user, "deactivated")
    audit.record(
        actor,
        "user.deactivated",
        user,
        details={
            "email": user.email,
            "api_tokens_revoked": revoked,
            "invitations_revoked": invitations,
        },
        vendor_id=user.vendor_id,
    )
    db.session.commit()
    return user


def reactivate_user(actor, user: User) -> User:
    """Let a deactivated user sign in again (API tokens stay revoked; they make new ones)."""
    require_role(actor, "admin")
    if user.active:
        raise Conflict(f"{user.email} is already active.", {"user": "Already active."})
    user.active = True
    user.failed_logins = 0
    user.throttled_until = None
    audit.record(
        actor, "user.reactivated", user, details={"email": user.email}, vendor_id=user.vendor_id
    )
    db.session.commit()
    return user


def update_profile(user: User, name: str, language: str | None = None) -> User:
    """Change the signed-in user's own display name and language (None: the browser's)."""
    from ..i18n import check_language

    name = (name or "").strip()
    if len(name) > 200 or "\x00" in name:
        raise InvalidValues("A name has at most 200 characters.", {"name": "Too long."})
    language = check_language(language)
    changes = {}
    if name != user.name:
        changes["name"] = [user.name, name]
    if language != user.language:
        changes["language"] = [user.language, language]
    if changes:
        audit.record(user, "user.profile_updated", user, details=changes)
        user.name, user.language = name, language
        db.session.commit()
    return user


def create_user_by_admin(
    actor, email: str, role: str, password: str | None, name: str = "", vendor: str | None = None
) -> User:
    """Create a user; a vendor user without a password is emailed an invitation instead."""
    from .auth import create_user, latest_open_assessment_id, new_invitation
    from .notify import send_invitation
    from .sso import sso_configured

    require_role(actor, "admin")
    vendor_row = vendor_by_name(vendor) if role == "vendor" else None
    if role != "vendor" and (vendor or "").strip():
        raise InvalidValues("Only vendor users belong to a vendor.", {"vendor": "Leave empty."})
    password = password or None
    if password is None and role != "vendor" and not sso_configured():
        raise InvalidValues(
            "Set an initial password (staff sign in with a password until single sign-on is set up).",
            {"password": "Required for staff without single sign-on."},
        )
    user = create_user(
        email,
        role,
        password,
        name=name or "",
        vendor_id=vendor_row.id if vendor_row else None,
        actor=actor,
        commit=False,
    )
    token = inv = None
    if password is None and vendor_row is not None:
        token, inv = new_invitation(user, actor, latest_open_assessment_id(vendor_row.id))
    db.session.commit()
    if inv is not None:
        send_invitation(inv, token, vendor_row)
    return user


def user_events(actor, user: User, limit: int = 20) -> list:
    """The latest audit events about a user, for the admin's user page."""
    from ..models import AuditEvent

    require_role(actor, "admin")
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "user", AuditEvent.object_id == user.id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )


def apply_user_patch(actor, user: User, changes: dict) -> User:
    """Apply an API patch: name/role/vendor first, then the active flag (each audited)."""
    if {"name", "role", "vendor"} & changes.keys():
        update_user(
            actor,
            user,
            name=changes.get("name"),
            role=changes.get("role"),
            vendor=changes.get("vendor"),
        )
    active = changes.get("active")
    if active is not None and active != user.active:
        (reactivate_user if active else deactivate_user)(actor, user)
    return user

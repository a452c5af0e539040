"""JSON API v1: the caller's own account (password, tokens), password reset, and admin users."""

from __future__ import annotations

from pydantic import Field

from ..services import auth as auth_service
from ..services import passwords
from ..services import users as user_service
from ..services.errors import InvalidValues
from .core import Count, Paging, Schema, current_user, endpoint, line, page_body
from .routes import ANY

ADMIN = ("admin",)


class PasswordResetRequest(Schema):
    email: line(254)


class PasswordResetConfirm(Schema):
    token: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class PasswordChange(Schema):
    current_password: str | None = Field(None, max_length=1000)
    new_password: str = Field(max_length=1000)


class TokenCreate(Schema):
    name: line(100)
    expires_in_days: Count | None = None
    password: str | None = Field(None, max_length=1000)


class UserQuery(Paging):
    q: line(200) | None = None


class UserPatch(Schema):
    name: line(200) | None = None
    role: line(20) | None = None
    vendor: line(200) | None = None
    active: bool | None = None


def token_json(row) -> dict:
    def stamp(value):
        return value.isoformat() + "Z" if value else None

    return {
        "id": row.id,
        "name": row.name,
        "created_at": stamp(row.created_at),
        "expires_at": stamp(row.expires_at),
        "last_used_at": stamp(row.last_used_at),
        "revoked_at": stamp(row.revoked_at),
    }


def admin_user_json(user) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "vendor_id": user.vendor_id,
        "vendor": user.vendor.name if user.vendor else None,
        "active": user.active,
        "mfa_enabled": user.mfa_enabled,
        "sso_linked": user.sso_subject is not None,
        "last_login_at": user.last_login_at.isoformat() + "Z" if user.last_login_at else None,
    }


@endpoint(
    "/password-resets",
    "POST",
    "Email a password-reset link (the same answer whether or not the address has an account)",
    public=True,
    body=PasswordResetRequest,
    status=202,
    limit="PASSWORD_RESET_RATE_LIMIT",
)
def password_reset_request(body: PasswordResetRequest):
    return {"message": passwords.request_password_reset(body.email)}


@endpoint(
    "/password-resets/confirm",
    "POST",
    "Set a new password with the emailed token (single use; ends sessions and API tokens)",
    public=True,
    body=PasswordResetConfirm,
    limit="PASSWORD_RESET_RATE_LIMIT",
)
def password_reset_confirm(body: PasswordResetConfirm):
    passwords.reset_password(body.token, body.password)
    return {"message": "The password is changed. Sign in with the new one."}


@endpoint(
    "/me/password",
    "POST",
    "Change your password (ends your browser sessions)",
    ANY,
    body=PasswordChange,
)
def me_password(body: PasswordChange):
    from ..services.sso import password_login_allowed

    user = current_user()
    if not password_login_allowed(user):
        raise InvalidValues(
            "You sign in with single sign-on; your password is managed there.",
            {"new_password": "Managed by single sign-on."},
        )
    passwords.change_password(user, body.current_password, body.new_password)
    return {"message": "The password is changed."}


@endpoint("/me/tokens", "GET", "Your API tokens, newest first", ANY)
def me_tokens_list():
    rows = auth_service.list_api_tokens(current_user())
    return {"items": [token_json(r) for r in rows], "total": len(rows)}


@endpoint(
    "/me/tokens",
    "POST",
    "Create an API token with an expiry (the token is shown once)",
    ANY,
    body=TokenCreate,
    status=201,
)
def me_tokens_create(body: TokenCreate):
    token, row = auth_service.create_api_token(
        current_user(), body.name, body.expires_in_days, body.password
    )
    return {**token_json(row), "token": token}


@endpoint("/me/tokens/<int:token_id>", "DELETE", "Revoke one of your API tokens", ANY)
def me_token_revoke(token_id: int):
    return token_json(auth_service.revoke_api_token(current_user(), token_id))


@endpoint(
    "/users", "GET", "Users, with role, vendor, status and last sign-in", ADMIN, query=UserQuery
)
def users_list(query: UserQuery):
    rows, total = user_service.list_users(current_user(), query.page, query.per_page, query.q)
    return page_body([admin_user_json(u) for u in rows], query.page, query.per_page, total)


@endpoint("/users/<int:user_id>", "GET", "One user", ADMIN)
def user_get(user_id: int):
    return admin_user_json(user_service.get_user(current_user(), user_id))


@endpoint(
    "/users/<int:user_id>",
    "PATCH",
    "Change a user's name, role, vendor (by name) or active state; audited",
    ADMIN,
    body=UserPatch,
)
def user_patch(user_id: int, body: UserPatch):
    actor = current_user()
    user = user_service.get_user(actor, user_id)
    user_service.apply_user_patch(actor, user, body.model_dump(exclude_unset=True))
    return admin_user_json(user)

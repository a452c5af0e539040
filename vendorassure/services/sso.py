"""Single sign-on with OpenID Connect (Authlib): code flow with PKCE, validated ID tokens."""

from __future__ import annotations

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import FlaskIntegration
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from flask import current_app
from joserfc.errors import JoseError
from sqlalchemy import select

from ..extensions import db
from ..models import User
from ..models._base import utcnow
from . import audit, links
from .errors import NotAuthenticated

FAILED = "Single sign-on did not complete. Try again, or ask your administrator for help."
NOT_SET_UP = (
    "Your organisation's sign-in worked, but there is no VendorAssure account for you. "
    "Ask an administrator to add you."
)


class SsoFailed(NotAuthenticated):
    code = "sso_failed"


def sso_configured() -> bool:
    cfg = current_app.config
    return bool(cfg["OIDC_DISCOVERY_URL"] and cfg["OIDC_CLIENT_ID"])


def password_login_allowed(user: User) -> bool:
    """Staff sign in only through SSO when SSO_ONLY_STAFF is set (and SSO is configured)."""
    return not (current_app.config["SSO_ONLY_STAFF"] and sso_configured() and user.is_staff)


def _client() -> FlaskOAuth2App:
    """The Authlib client for the configured provider (metadata and keys cached per config)."""
    cfg = current_app.config
    key = (
        cfg["OIDC_DISCOVERY_URL"],
        cfg["OIDC_CLIENT_ID"],
        cfg["OIDC_CLIENT_SECRET"],
        cfg["OIDC_SCOPES"],
    )
    cache = current_app.extensions.setdefault("vendorassure_sso", {})
    if key not in cache:
        cache.clear()
        cache[key] = FlaskOAuth2App(
            FlaskIntegration("sso"),
            name="sso",
            client_id=cfg["OIDC_CLIENT_ID"],
            client_secret=cfg["OIDC_CLIENT_SECRET"] or None,
            server_metadata_url=cfg["OIDC_DISCOVERY_URL"],
            client_kwargs={
                "scope": cfg["OIDC_SCOPES"],
                "code_challenge_method": "S256",
                "default_timeout": cfg["OIDC_TIMEOUT_SECONDS"],
            },
        )
    return cache[key]


def callback_url() -> str:
    # From the configured base URL, never from the Host header, so it always matches the registered URI.
    return links.url("auth.sso_callback")


def start_sso():
    """Redirect to the provider with state, nonce and a PKCE challenge kept in the session."""
    if not sso_configured():
        raise SsoFailed("Single sign-on is not configured.")
    try:
        return _client().authorize_redirect(callback_url())
    except (AuthlibBaseError, requests.RequestException, ValueError, KeyError) as exc:
        current_app.logger.warning("SSO: cannot reach the provider: %s", exc)
        raise SsoFailed(FAILED) from None


def _fail(reason: str, claims: dict | None = None) -> SsoFailed:
    """Audit why a sign-in was refused (for the admin) and give the person a plain message."""
    details = {"reason": reason}
    if claims:
        details.update({k: claims.get(k) for k in ("iss", "sub", "email") if claims.get(k)})
    audit.record(None, "sso.refused", object_type="user", details=details)
    db.session.commit()
    return SsoFailed(NOT_SET_UP if reason in {"no_account", "no_role"} else FAILED)


def _role_for(claims: dict) -> str | None:
    """The first OIDC_ROLE_MAP entry whose group is in the role claim (a string or a list)."""
    value = claims.get(current_app.config["OIDC_ROLE_CLAIM"])
    groups = {value} if isinstance(value, str) else {str(v) for v in value or [] if v is not None}
    for group, role in current_app.config["OIDC_ROLE_MAP"]:
        if group in groups:
            return role
    return None


def _email_of(claims: dict) -> str | None:
    from .auth import normalise_email_or_none

    cfg = current_app.config
    email = normalise_email_or_none(claims.get("email"))
    if email is None:
        return None
    if cfg["OIDC_REQUIRE_VERIFIED_EMAIL"] and claims.get("email_verified") is not True:
        return None
    domains = cfg["OIDC_ALLOWED_DOMAINS"]
    if domains and email.rsplit("@", 1)[-1] not in domains:
        return None
    return email


def finish_sso() -> User:
    """Validate the provider's answer and return the matched (or just-in-time created) user."""
    from .auth import complete_sign_in, create_user

    cfg = current_app.config
    if not sso_configured():
        raise SsoFailed("Single sign-on is not configured.")
    try:
        client = _client()
        issuer = client.load_server_metadata().get("issuer") or ""
        # Discovery says the issuer is the document's own URL prefix: refuse a mixed-up provider.
        if not issuer or not cfg["OIDC_DISCOVERY_URL"].startswith(issuer.rstrip("/") + "/"):
            raise _fail(f"issuer_mismatch: {issuer[:200]}")
        token = client.authorize_access_token(
            leeway=cfg["OIDC_CLOCK_SKEW_SECONDS"],
            # Authlib checks only the issuer by default; the audience must be checked too.
            claims_options={
                "iss": {"essential": True, "values": [issuer]},
                "aud": {"essential": True, "values": [cfg["OIDC_CLIENT_ID"]]},
            },
        )
    except (AuthlibBaseError, JoseError) as exc:
        raise _fail(f"invalid_response: {type(exc).__name__}: {exc}"[:300]) from None
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        raise _fail(f"provider_error: {type(exc).__name__}"[:300]) from None
    claims = dict(token.get("userinfo") or {})
    # No validated ID token (or no nonce in it) is no sign-in, whatever the access token says.
    if not claims.get("sub") or not claims.get("iss") or not claims.get("nonce"):
        raise _fail("no_id_token")
    issuer, subject = str(claims["iss"])[:255], str(claims["sub"])[:255]
    user = db.session.scalar(select(User).filter_by(sso_issuer=issuer, sso_subject=subject))
    email = _email_of(claims)
    if user is None and email is not None:
        user = db.session.scalar(select(User).filter_by(email=email))
        if user is not None and user.sso_subject is not None:
            # The address is already linked to another identity: never re-link silently.
            raise _fail("identity_mismatch", claims)
    if user is None:
        role = _role_for(claims)
        if email is None:
            raise _fail("no_verified_email", claims)
        if not cfg["OIDC_JIT_PROVISIONING"] or role is None:
            raise _fail("no_role" if cfg["OIDC_JIT_PROVISIONING"] else "no_account", claims)
        name = str(claims.get("name") or "")[:200]
        user = create_user(email, role, None, name=name, commit=False)
        audit.record(None, "user.sso_provisioned", user, details={"role": role, "iss": issuer})
    if not user.active:
        raise _fail("inactive", claims)
    if user.role == "vendor" and not cfg["OIDC_ALLOW_VENDOR_USERS"]:
        raise _fail("vendor_user", claims)
    if user.sso_subject is None:
        user.sso_issuer, user.sso_subject = issuer, subject
        audit.record(user, "user.sso_linked", user, details={"iss": issuer})
    user.last_login_at = utcnow()
    return complete_sign_in(user, "sso")

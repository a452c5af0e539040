"""Single sign-on against a real OpenID provider on loopback (tests/oidc/provider.js): the happy
path, crafted tokens that validation must refuse, state checks, just-in-time users, SSO-only."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.sso_provider import ACCOUNTS, walk_to_callback


def _user(db, email):
    from vendorassure.models import User

    return db.session.scalar(select(User).filter_by(email=email))


def _refusals(db) -> list[str]:
    from vendorassure.models import AuditEvent

    return [
        e.details["reason"]
        for e in db.session.scalars(select(AuditEvent).filter_by(action="sso.refused"))
    ]


def _signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def test_the_login_page_offers_sso_once_configured(client, app, sso):
    page = client.get("/login").get_data(as_text=True)
    assert 'id="sso-sign-in"' in page and app.config["OIDC_LABEL"] in page


def test_the_authorisation_request_uses_pkce_state_nonce_and_our_registered_callback(
    app, client, sso
):
    r = client.get("/login/sso")
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert r.headers["Location"].startswith(sso.issuer + "/")
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43 and query["state"] and query["nonce"]
    # Built from BASE_URL (never from the Host header), so it matches the registered URI.
    assert query["redirect_uri"] == [app.config["BASE_URL"] + "/login/sso/callback"]
    assert "openid" in query["scope"][0].split()


def test_a_new_staff_member_is_created_just_in_time_with_the_mapped_role(client, sso, db):
    r = client.get(walk_to_callback(client, "alice"))
    assert r.status_code == 302 and r.headers["Location"].endswith("/dashboard")
    alice = _user(db, "alice@corp.example")
    assert alice.role == "admin" and alice.name == "Alice Admin" and alice.password_hash is None
    assert alice.sso_subject == ACCOUNTS["alice"]["sub"] and alice.sso_issuer == sso.issuer
    assert alice.last_login_at is not None
    assert client.get("/admin/").status_code == 200


def test_the_first_matching_group_decides_the_role(app, client, sso, db):
    client.get(walk_to_callback(client, "rita"))
    assert _user(db, "rita@corp.example").role == "risk"


def test_an_existing_user_is_matched_by_verified_email_and_keeps_the_role(
    app, client, sso, make, db
):
    bob = make.user("risk", email="bob@corp.example")
    r = client.get(walk_to_callback(client, "bob"))
    assert r.status_code == 302 and r.headers["Location"].endswith("/review/")
    db.session.refresh(bob)
    assert bob.role == "risk" and bob.sso_subject == ACCOUNTS["bob"]["sub"]
    # Next time the subject matches, whatever the email says.
    other = client.application.test_client()
    other.get(walk_to_callback(other, "bob"))
    assert _signed_in(other)


def test_someone_without_a_mapped_group_gets_no_account(client, sso, db):
    r = client.get(walk_to_callback(client, "nobody"), follow_redirects=True)
    assert "no VendorAssure account for you" in r.get_data(as_text=True)
    assert _user(db, "nobody@corp.example") is None and _refusals(db) == ["no_role"]
    assert not _signed_in(client)


def test_an_unverified_email_neither_matches_nor_creates_a_user(client, sso, make, db):
    existing = make.user("procurement", email="unverified@corp.example")
    client.get(walk_to_callback(client, "unverified"))
    db.session.refresh(existing)
    assert existing.sso_subject is None and not _signed_in(client)
    assert _refusals(db) == ["no_verified_email"]


def test_just_in_time_creation_can_be_switched_off(app, client, sso, db):
    app.config["OIDC_JIT_PROVISIONING"] = False
    client.get(walk_to_callback(client, "alice"))
    assert _user(db, "alice@corp.example") is None and not _signed_in(client)


def test_an_email_linked_to_another_identity_is_never_relinked(client, sso, make, db):
    bob = make.user("procurement", email="bob@corp.example")
    bob.sso_issuer, bob.sso_subject = sso.issuer, "someone-else"
    db.session.commit()
    client.get(walk_to_callback(client, "bob"))
    assert not _signed_in(client) and _refusals(db) == ["identity_mismatch"]


def test_a_deactivated_user_cannot_sign_in_with_sso(client, sso, make, db):
    bob = make.user("procurement", email="bob@corp.example")
    bob.active = False
    db.session.commit()
    client.get(walk_to_callback(client, "bob"))
    assert not _signed_in(client) and _refusals(db) == ["inactive"]


def test_vendor_users_use_sso_only_where_allowed(app, client, sso, make, db):
    vendor = make.vendor()
    make.user("vendor", vendor=vendor, email="bob@corp.example")
    client.get(walk_to_callback(client, "bob"))
    assert not _signed_in(client)
    app.config["OIDC_ALLOW_VENDOR_USERS"] = True
    other = app.test_client()
    r = other.get(walk_to_callback(other, "bob"))
    assert r.headers["Location"].endswith("/portal/")


@pytest.mark.parametrize(
    "mode",
    ["tamper", "foreign_key", "audience", "audience_azp", "expired", "nonce", "alg_none"],
)
def test_crafted_id_tokens_are_refused(client, sso, db, mode):
    path = walk_to_callback(client, "alice")
    sso.next_token(mode)
    r = client.get(path, follow_redirects=True)
    assert "Single sign-on did not complete" in r.get_data(as_text=True)
    assert _user(db, "alice@corp.example") is None and not _signed_in(client)
    expected = {
        "tamper": "BadSignatureError",
        "foreign_key": "BadSignatureError",
        "audience": "'aud'",
        "audience_azp": "'aud'",
        "expired": "ExpiredTokenError",
        "nonce": "'nonce'",
        "alg_none": "UnsupportedAlgorithmError",
    }[mode]
    (reason,) = _refusals(db)
    assert expected in reason, reason


def test_a_callback_with_another_state_is_refused(client, sso, db):
    path = walk_to_callback(client, "alice")
    parts = urlsplit(path)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = "forged-state"
    client.get(f"{parts.path}?{urlencode(query)}")
    assert not _signed_in(client) and "MismatchingStateError" in _refusals(db)[0]


def test_a_callback_in_another_browser_or_replayed_is_refused(app, client, sso, db):
    path = walk_to_callback(client, "alice")
    stranger = app.test_client()
    stranger.get(path)
    assert not _signed_in(stranger)
    assert client.get(path).headers["Location"].endswith("/dashboard")
    # The code and state are spent: the same callback a second time signs nobody in.
    again = app.test_client()
    with client.session_transaction() as original:
        copied = dict(original)
    with again.session_transaction() as session:
        session.update({k: v for k, v in copied.items() if k.startswith("_state_")})
    again.get(path)
    assert not _signed_in(again)


def test_an_error_from_the_provider_is_a_plain_message(client, sso, db):
    client.get("/login/sso")
    r = client.get("/login/sso/callback?error=access_denied&state=x", follow_redirects=True)
    assert "Single sign-on did not complete" in r.get_data(as_text=True)


def test_sso_only_mode_refuses_staff_passwords_but_not_vendors(app, client, sso, make, api):
    app.config["SSO_ONLY_STAFF"] = True
    staff = make.user("procurement")
    vendor_user = make.user("vendor", vendor=make.vendor())
    r = app.test_client().post("/login", data={"email": staff.email, "password": PASSWORD})
    assert r.status_code == 200 and "incorrect" in r.get_data(as_text=True)
    assert (
        api(None).post("/tokens", {"email": staff.email, "password": PASSWORD}).status_code == 401
    )
    r = app.test_client().post("/login", data={"email": vendor_user.email, "password": PASSWORD})
    assert r.status_code == 302
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "Staff sign in with single sign-on only" in page


def test_an_sso_user_creates_api_tokens_without_a_password(app, client, sso, db):
    client.get(walk_to_callback(client, "rita"))
    r = client.post("/account/tokens", data={"name": "ci", "expires_in_days": "30"})
    assert 'id="new-token"' in r.get_data(as_text=True)


def test_an_unreachable_provider_is_a_clear_message(app, client):
    app.config.update(
        OIDC_DISCOVERY_URL="http://127.0.0.1:9/.well-known/openid-configuration",
        OIDC_CLIENT_ID="x",
        OIDC_TIMEOUT_SECONDS=2,
    )
    app.extensions.pop("vendorassure_sso", None)
    r = client.get("/login/sso", follow_redirects=True)
    assert r.status_code == 200 and "Single sign-on did not complete" in r.get_data(as_text=True)
    app.extensions.pop("vendorassure_sso", None)


def test_without_configuration_there_is_no_sso(client):
    assert 'id="sso-sign-in"' not in client.get("/login").get_data(as_text=True)
    r = client.get("/login/sso", follow_redirects=True)
    assert "not configured" in r.get_data(as_text=True)

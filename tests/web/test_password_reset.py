"""Forgotten password: one answer for every address, single-use expiring hashed links, rules."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from tests.conftest import PASSWORD

NEW = "a completely new passphrase"
ANSWER = "If an account exists for that address, we have emailed a link"


def _outbox(app) -> list[Path]:
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    return sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime) if folder.exists() else []


def _reset_token(app) -> str:
    text = _outbox(app)[-1].read_text()
    return text.split("/reset/")[1].split()[0]


def _ask(client, email):
    return client.post("/forgot", data={"email": email}, follow_redirects=True)


def test_the_answer_is_the_same_whether_or_not_the_email_exists(app, client, make):
    user = make.user("procurement")
    before = len(_outbox(app))
    known = _ask(client, user.email)
    unknown = _ask(app.test_client(), "nobody-here@example.com")
    assert known.status_code == unknown.status_code == 200
    assert ANSWER in known.get_data(as_text=True) and ANSWER in unknown.get_data(as_text=True)
    # Only the real account got an email, with a link to our own site.
    mails = _outbox(app)[before:]
    assert len(mails) == 1 and user.email in mails[0].read_text()
    assert app.config["BASE_URL"] + "/reset/" in mails[0].read_text()


def test_the_api_gives_the_same_answer_too(app, make, api):
    user = make.user("risk")
    anonymous = api(None)
    known = anonymous.post("/password-resets", {"email": user.email})
    unknown = anonymous.post("/password-resets", {"email": "ghost@example.com"})
    malformed = anonymous.post("/password-resets", {"email": "not an address"})
    assert known.status_code == unknown.status_code == malformed.status_code == 202
    assert known.get_json() == unknown.get_json() == malformed.get_json()


def test_inactive_and_never_activated_accounts_get_no_link(app, client, make, db):
    from vendorassure.services.auth import create_user

    inactive = make.user("risk")
    inactive.active = False
    db.session.commit()
    invited = create_user("invited@vendor.example", "procurement", None)
    before = len(_outbox(app))
    assert ANSWER in _ask(client, inactive.email).get_data(as_text=True)
    assert ANSWER in _ask(client, invited.email).get_data(as_text=True)
    assert len(_outbox(app)) == before


def test_the_link_is_stored_hashed_works_once_and_resets_the_password(app, client, make, db):
    from vendorassure.models import PasswordReset

    user = make.user("procurement")
    _ask(client, user.email)
    token = _reset_token(app)
    row = db.session.scalar(select(PasswordReset))
    assert token not in row.token_hash and len(row.token_hash) == 64
    assert client.get(f"/reset/{token}").status_code == 200
    r = client.post(f"/reset/{token}", data={"password": NEW, "confirm": NEW})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    again = client.post(f"/reset/{token}", data={"password": NEW + "x", "confirm": NEW + "x"})
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    old = app.test_client().post("/login", data={"email": user.email, "password": PASSWORD})
    assert old.status_code == 200
    new = app.test_client().post("/login", data={"email": user.email, "password": NEW})
    assert new.status_code == 302


def test_an_expired_or_unknown_link_changes_nothing(app, client, make, db):
    from vendorassure.models import PasswordReset
    from vendorassure.models._base import utcnow

    user = make.user("procurement")
    _ask(client, user.email)
    token = _reset_token(app)
    row = db.session.scalar(select(PasswordReset))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    before = user.password_hash
    r = client.post(f"/reset/{token}", data={"password": NEW, "confirm": NEW})
    assert r.status_code == 410 and "expired" in r.get_data(as_text=True)
    assert client.get("/reset/made-up-token").status_code == 404
    assert client.get("/reset/" + "x" * 5000).status_code == 404
    db.session.refresh(user)
    assert user.password_hash == before


def test_the_expiry_follows_the_setting(app, client, make, db):
    from vendorassure.models import PasswordReset
    from vendorassure.models._base import utcnow

    app.config["PASSWORD_RESET_TTL_MINUTES"] = 15
    user = make.user("procurement")
    _ask(client, user.email)
    row = db.session.scalar(select(PasswordReset))
    left = (row.expires_at - utcnow()).total_seconds()
    assert 14 * 60 < left <= 15 * 60


def test_a_newer_password_kills_older_links(app, client, make, db):
    user = make.user("procurement")
    _ask(client, user.email)
    first = _reset_token(app)
    _ask(client, user.email)
    second = _reset_token(app)
    assert (
        client.post(f"/reset/{second}", data={"password": NEW, "confirm": NEW}).status_code == 302
    )
    assert client.get(f"/reset/{first}").status_code == 410


def test_a_reset_ends_sessions_and_api_tokens_and_the_backoff(app, client, make, api, db):
    user = make.user("risk")
    bearer = api(user)
    signed_in = app.test_client()
    signed_in.post("/login", data={"email": user.email, "password": PASSWORD})
    assert signed_in.get("/review/").status_code == 200
    user.failed_logins = 7
    db.session.commit()
    _ask(client, user.email)
    r = api(None).post("/password-resets/confirm", {"token": _reset_token(app), "password": NEW})
    assert r.status_code == 200
    assert bearer.get("/me").status_code == 401
    r = signed_in.get("/review/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    db.session.refresh(user)
    assert user.failed_logins == 0


def test_a_reset_refuses_a_weak_password_and_keeps_the_link(app, client, make):
    user = make.user("procurement")
    _ask(client, user.email)
    token = _reset_token(app)
    r = client.post(
        f"/reset/{token}", data={"password": "iloveyou2024!", "confirm": "iloveyou2024!"}
    )
    assert r.status_code == 200 and "breached" in r.get_data(as_text=True)
    r = app.test_client().post(
        "/api/v1/password-resets/confirm", json={"token": token, "password": user.email}
    )
    assert r.status_code == 422 and "email address" in r.get_json()["error"]["message"]
    assert client.get(f"/reset/{token}").status_code == 200


def test_staff_in_sso_only_mode_are_told_to_use_single_sign_on(app, client, make):
    app.config.update(
        SSO_ONLY_STAFF=True,
        OIDC_DISCOVERY_URL="https://idp.example/.well-known/x",
        OIDC_CLIENT_ID="c",
    )
    user = make.user("risk")
    _ask(client, user.email)
    text = _outbox(app)[-1].read_text()
    assert "single sign-on" in text and "/reset/" not in text


def test_reset_requests_are_rate_limited_per_address(app, make):
    app.config["PASSWORD_RESET_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    statuses = [
        client.post(
            "/forgot", data={"email": "a@example.com"}, environ_base={"REMOTE_ADDR": "10.7.7.7"}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429]

"""Sign-in, lockout, safe redirects, CSRF, invitations and API tokens."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import PASSWORD


def test_login_with_the_right_password_goes_to_the_role_home(client, make):
    user = make.user("risk")
    r = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/review/")


def test_login_errors_do_not_say_which_part_was_wrong(client, make):
    user = make.user("procurement")
    wrong_password = client.post("/login", data={"email": user.email, "password": "nope-nope-nope"})
    unknown_email = client.post("/login", data={"email": "ghost@example.com", "password": PASSWORD})
    message = "Email or password is incorrect, or there were too many attempts"
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown_email.get_data(as_text=True)


def _now_plus(seconds: float):
    from vendorassure.models._base import utcnow

    return utcnow() + timedelta(seconds=seconds)


def test_failures_slow_the_account_down_with_backoff_not_a_lock(app, client, make, db):
    app.config.update(
        LOGIN_BACKOFF_FREE_ATTEMPTS=3, LOGIN_BACKOFF_BASE_SECONDS=2, LOGIN_BACKOFF_MAX_SECONDS=60
    )
    user = make.user("procurement")
    waits = []
    for _ in range(9):
        db.session.execute(
            db.update(type(user)).where(type(user).id == user.id).values(throttled_until=None)
        )
        db.session.commit()
        before = _now_plus(0)
        client.post("/login", data={"email": user.email, "password": "wrong-wrong-wrong"})
        db.session.refresh(user)
        waits.append(
            0
            if user.throttled_until is None
            else round((user.throttled_until - before).total_seconds())
        )
    # Free attempts first, then the wait doubles, capped at the maximum.
    assert waits == [0, 0, 2, 4, 8, 16, 32, 60, 60]
    assert user.failed_logins == 9


def test_a_throttled_account_refuses_even_the_right_password_without_counting(
    app, client, make, db
):
    user = make.user("procurement")
    user.failed_logins, user.throttled_until = 5, _now_plus(30)
    db.session.commit()
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 200 and "too many attempts" in r.get_data(as_text=True)
    db.session.refresh(user)
    # Attempts while waiting do not lengthen the wait: nobody can keep an account shut.
    assert user.failed_logins == 5
    user.throttled_until = _now_plus(-1)
    db.session.commit()
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302
    db.session.refresh(user)
    assert user.failed_logins == 0 and user.throttled_until is None


def test_every_sign_in_path_checks_one_hash_made_with_the_configured_method(
    app, client, make, db, monkeypatch
):
    """The unknown-email path must cost what the known one costs (no timing oracle)."""
    from vendorassure.services import auth

    calls = []
    real = auth.check_password_hash

    def spy(stored, password):
        calls.append(stored.split("$")[0])
        return real(stored, password)

    monkeypatch.setattr(auth, "check_password_hash", spy)
    method = app.config["PASSWORD_HASH_METHOD"]
    known = make.user("procurement")
    throttled = make.user("risk")
    throttled.throttled_until = _now_plus(60)
    inactive = make.user("risk")
    inactive.active = False
    no_password = auth.create_user("invited@vendor.example", "procurement", None)
    db.session.commit()
    attempts = [
        (known.email, "wrong-wrong-wrong"),
        (known.email, PASSWORD),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
        (throttled.email, PASSWORD),
        (inactive.email, PASSWORD),
        (no_password.email, PASSWORD),
    ]
    for email, password in attempts:
        calls.clear()
        r = app.test_client().post("/login", data={"email": email, "password": password})
        assert r.status_code in (200, 302) and len(calls) == 1, (email, calls)
        assert calls[0] == known.password_hash.split("$")[0] and calls[0].startswith(method)


def test_the_dummy_hash_follows_the_configured_method(app):
    from vendorassure.services.auth import _dummy_hash

    assert _dummy_hash("scrypt").startswith("scrypt:")
    assert _dummy_hash("pbkdf2:sha256:1000").startswith("pbkdf2:sha256:1000$")


def test_next_redirect_only_stays_on_site(client, make):
    user = make.user("procurement")
    for target, expected in [
        ("/procurement/vendors", "/procurement/vendors"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
    ]:
        c = client.application.test_client()
        r = c.post(f"/login?next={target}", data={"email": user.email, "password": PASSWORD})
        assert r.headers["Location"].endswith(expected), (target, r.headers["Location"])


def test_passwords_and_tokens_are_stored_hashed(make, api, db):
    from vendorassure.models import ApiToken

    user = make.user("risk")
    assert PASSWORD not in (user.password_hash or "") and user.password_hash.startswith("pbkdf2:")
    client = api(user)
    row = db.session.scalar(select(ApiToken))
    assert client.token not in row.token_hash and len(row.token_hash) == 64


def test_expired_api_token_is_refused(make, api, db):
    from vendorassure.models import ApiToken
    from vendorassure.models._base import utcnow

    client = api(make.user("risk"))
    assert client.get("/me").status_code == 200
    row = db.session.scalar(select(ApiToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/me").status_code == 401


def test_csrf_is_required_on_every_form(app, client, make):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make.user("procurement")
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    r = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    # A signed-in user's POST without a token is refused too, and changes nothing.
    r = client.post("/procurement/vendors/new", data={"name": "No Token AI"})
    assert r.status_code == 400
    # The JSON API uses bearer tokens and is exempt.
    assert (
        client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).status_code
        == 201
    )


def test_login_is_rate_limited_with_retry_after(app, make):
    app.config["LOGIN_RATE_LIMIT"] = "10 per minute"
    user = make.user("procurement")
    client = app.test_client()
    statuses = [
        client.post(
            "/api/v1/tokens",
            json={"email": user.email, "password": "wrong-wrong"},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
        ).status_code
        for _ in range(12)
    ]
    assert statuses[0] == 401 and statuses[-1] == 429
    r = client.post(
        "/api/v1/tokens",
        json={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert r.get_json()["error"]["code"] == "rate_limited"
    # The limit is per client address: another address is not affected.
    fresh = make.user("procurement")
    other = app.test_client().post(
        "/api/v1/tokens",
        json={"email": fresh.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.9.10"},
    )
    assert other.status_code == 201


def _invite(make, api):
    vendor = make.vendor()
    buyer = api(make.user("procurement"))
    r = buyer.post(f"/vendors/{vendor.id}/contacts", {"email": "new@vendor.example", "name": "New"})
    assert r.status_code == 201
    return vendor


def _token_from_outbox(app) -> str:
    from pathlib import Path

    newest = max(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"), key=lambda p: p.stat().st_mtime)
    return newest.read_text().split("/invite/")[1].split()[0]


def test_invitation_is_single_use_and_stored_hashed(app, client, make, api, db):
    from vendorassure.models import Invitation

    _invite(make, api)
    token = _token_from_outbox(app)
    row = db.session.scalar(select(Invitation))
    assert token not in row.token_hash
    assert client.get(f"/invite/{token}").status_code == 200
    short = client.post(f"/invite/{token}", data={"password": "short", "confirm": "short"})
    assert "at least 10" in short.get_data(as_text=True).lower() or short.status_code == 200
    r = client.post(f"/invite/{token}", data={"password": PASSWORD, "confirm": PASSWORD})
    assert r.status_code == 302
    again = app.test_client().get(f"/invite/{token}")
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)


def test_expired_and_unknown_invitations_get_a_clear_page(app, client, make, api, db):
    from vendorassure.models import Invitation
    from vendorassure.models._base import utcnow

    _invite(make, api)
    token = _token_from_outbox(app)
    row = db.session.scalar(select(Invitation))
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    r = client.get(f"/invite/{token}")
    assert r.status_code == 410 and "expired" in r.get_data(as_text=True)
    r = client.post(f"/invite/{token}", data={"password": PASSWORD, "confirm": PASSWORD})
    assert r.status_code == 410
    assert client.get("/invite/made-up").status_code == 404


def test_api_token_page_shows_a_new_token_once(client, login_as):
    user = login_as("risk")
    r = client.post(
        "/account/tokens", data={"name": "ci", "password": PASSWORD, "expires_in_days": "7"}
    )
    html = r.get_data(as_text=True)
    assert 'id="new-token"' in html
    token = html.split('id="new-token">')[1].split("<")[0].strip()
    from tests.conftest import ApiClient

    me = ApiClient(client.application.test_client(), token).get("/me").get_json()
    assert me["email"] == user.email

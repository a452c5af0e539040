"""Sessions end on the server side: a captured cookie stops working after logout, password change,
deactivation or role change; idle and absolute lifetimes; bearer tokens of deactivated users."""

from __future__ import annotations

import time

from tests.conftest import PASSWORD, login


def _signed_in(app, user):
    """A client signed in through the real form, and a copy of its session cookie."""
    client = app.test_client()
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)
    cookie = client.get_cookie("session").value
    return client, cookie


def _replay(app, cookie: str, path: str = "/dashboard"):
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get(path)


def _is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cookie_captured_before_logout_no_longer_opens_the_dashboard(app, make):
    user = make.user("procurement")
    client, cookie = _signed_in(app, user)
    assert _replay(app, cookie).status_code == 200
    assert client.post("/logout").status_code == 302
    assert _is_sign_in_redirect(_replay(app, cookie))
    assert _is_sign_in_redirect(client.get("/dashboard"))


def test_logout_ends_the_users_sessions_on_other_devices_too(app, make):
    user = make.user("risk")
    laptop, laptop_cookie = _signed_in(app, user)
    phone, _ = _signed_in(app, user)
    phone.post("/logout")
    assert _is_sign_in_redirect(_replay(app, laptop_cookie, "/review/"))


def test_password_change_keeps_this_browser_and_ends_every_other(app, make, db):
    user = make.user("procurement")
    here, _ = _signed_in(app, user)
    _elsewhere, elsewhere_cookie = _signed_in(app, user)
    r = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert r.status_code == 302
    assert here.get("/dashboard").status_code == 200
    assert _is_sign_in_redirect(_replay(app, elsewhere_cookie))
    db.session.refresh(user)
    assert user.password_changed_at is not None
    # The old password no longer works, the new one does.
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    assert (
        fresh.post(
            "/login", data={"email": user.email, "password": "a brand new passphrase"}
        ).status_code
        == 302
    )


def test_password_change_needs_the_current_password_and_follows_the_rules(app, make, db):
    user = make.user("procurement")
    client, _ = _signed_in(app, user)
    before = user.password_hash
    wrong = client.post(
        "/account/password",
        data={"current_password": "not it at all", "password": "x" * 20, "confirm": "x" * 20},
    )
    assert wrong.status_code == 200 and "current password is not correct" in wrong.get_data(
        as_text=True
    )
    breached = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "password1234", "confirm": "password1234"},
    )
    assert "breached" in breached.get_data(as_text=True)
    short = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "short", "confirm": "short"},
    )
    assert "at least 12 characters" in short.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == before


def test_deactivation_ends_sessions_and_api_tokens(app, make, api, login_as, client):
    user = make.user("risk")
    _, cookie = _signed_in(app, user)
    bearer = api(user)
    assert bearer.get("/me").status_code == 200
    login_as("admin")
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert _is_sign_in_redirect(_replay(app, cookie, "/review/"))
    assert bearer.get("/me").status_code == 401
    # Reactivation does not bring the old token back.
    client.post(f"/admin/users/{user.id}/reactivate")
    assert bearer.get("/me").status_code == 401


def test_role_change_ends_the_users_sessions(app, make, login_as, client, db):
    user = make.user("risk")
    _, cookie = _signed_in(app, user)
    assert _replay(app, cookie, "/review/").status_code == 200
    login_as("admin")
    r = client.post(f"/admin/users/{user.id}", data={"name": user.name, "role": "procurement"})
    assert r.status_code == 302
    db.session.refresh(user)
    assert user.role == "procurement"
    assert _is_sign_in_redirect(_replay(app, cookie, "/review/"))


def test_a_name_change_does_not_sign_the_user_out(app, make, login_as, client):
    user = make.user("risk")
    _, cookie = _signed_in(app, user)
    login_as("admin")
    client.post(f"/admin/users/{user.id}", data={"name": "Renamed", "role": "risk"})
    assert _replay(app, cookie, "/review/").status_code == 200


def test_idle_sessions_end(app, make):
    app.config["SESSION_IDLE_MINUTES"] = 30
    user = make.user("procurement")
    client = app.test_client()
    login(client, user)
    assert client.get("/dashboard").status_code == 200
    with client.session_transaction() as session:
        session["_va_seen"] = int(time.time()) - 31 * 60
    assert _is_sign_in_redirect(client.get("/dashboard"))


def test_activity_keeps_a_session_alive_but_not_past_the_absolute_lifetime(app, make):
    app.config.update(SESSION_IDLE_MINUTES=30, SESSION_ABSOLUTE_HOURS=8)
    user = make.user("procurement")
    client = app.test_client()
    login(client, user)
    with client.session_transaction() as session:
        session["_va_auth"] = int(time.time()) - 7 * 3600
        session["_va_seen"] = int(time.time()) - 20 * 60
    # Seen 20 minutes ago and signed in 7 hours ago: still fine, and the request counts as activity.
    assert client.get("/dashboard").status_code == 200
    with client.session_transaction() as session:
        assert session["_va_seen"] >= int(time.time()) - 5
        session["_va_auth"] = int(time.time()) - 8 * 3600 - 1
    assert _is_sign_in_redirect(client.get("/dashboard"))


def test_a_session_without_our_clocks_or_version_is_refused(app, make):
    user = make.user("procurement")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)  # the old format, with no session version
        session["_fresh"] = True
    assert _is_sign_in_redirect(client.get("/dashboard"))
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()  # right version, but no sign-in time
    assert _is_sign_in_redirect(client.get("/dashboard"))


def test_the_session_cookie_is_signed_in_with_a_permanent_lifetime(app, make):
    app.config.update(SESSION_ABSOLUTE_HOURS=12)
    user = make.user("procurement")
    client = app.test_client()
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    header = r.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Expires=" in header


def test_sign_in_and_sign_out_are_audited(app, make, db):
    from vendorassure.models import AuditEvent

    user = make.user("procurement")
    client, _ = _signed_in(app, user)
    client.post("/logout")
    actions = [
        e.action
        for e in db.session.scalars(
            db.select(AuditEvent).filter_by(object_id=user.id).order_by(AuditEvent.id)
        )
        if e.object_type == "user"
    ]
    assert actions[-2:] == ["user.signed_in", "user.signed_out"]

"""Two-step sign-in with TOTP: enrolment by QR code, verification, recovery codes, per-role rules."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from tests.conftest import PASSWORD, login


def _secret(html: str) -> str:
    return re.search(r'id="mfa-secret">([A-Z2-7]+)<', html).group(1)


def _codes(html: str) -> list[str]:
    block = html.split('id="recovery-codes">')[1].split("</ul>")[0]
    return re.findall(r"<li>([A-Z0-9-]+)</li>", block)


def _next_code(secret: str) -> str:
    """The code of the next time step: the current one was used up by the enrolment."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/account/mfa")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    secret = _secret(page.get_data(as_text=True))
    done = client.post("/account/mfa", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.get_data(as_text=True)
    return secret, _codes(done.get_data(as_text=True))


def _password_step(app, user):
    client = app.test_client()
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client, r


def test_enrolment_shows_a_local_qr_code_and_stores_the_secret_sealed(app, client, make, db):
    user = make.user("risk")
    login(client, user)
    page = client.get("/account/mfa").get_data(as_text=True)
    # The QR code is inline SVG made on the server: no image from another site.
    assert "<svg" in page and "otpauth" not in page.split("<svg")[0][-200:]
    assert "https://" not in page.split('id="mfa-qr">')[1].split("</div>")[0]
    secret = _secret(page)
    wrong = client.post("/account/mfa", data={"code": "000000"})
    assert wrong.status_code == 200 and "does not match" in wrong.get_data(as_text=True)
    db.session.refresh(user)
    assert not user.mfa_enabled
    done = client.post("/account/mfa", data={"code": pyotp.TOTP(secret).now()})
    codes = _codes(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.refresh(user)
    assert user.mfa_enabled and secret not in user.mfa_secret
    # The browser that enrolled stays signed in.
    assert client.get("/account/").status_code == 200


def test_recovery_codes_are_stored_hashed(app, client, make, db):
    from vendorassure.models import RecoveryCode

    user = make.user("risk")
    login(client, user)
    _secret_, codes = _enrol(client)
    stored = [
        r.code_hash for r in db.session.scalars(select(RecoveryCode).filter_by(user_id=user.id))
    ]
    assert len(stored) == 10
    for code in codes:
        plain = code.replace("-", "")
        assert all(plain not in h and code not in h for h in stored)


def test_an_enrolled_user_needs_the_code_after_the_password(app, client, make):
    user = make.user("procurement")
    login(client, user)
    secret, _ = _enrol(client)
    browser, r = _password_step(app, user)
    assert r.status_code == 302 and r.headers["Location"].endswith("/login/mfa")
    # The password alone opens nothing.
    assert "/login" in browser.get("/dashboard").headers["Location"]
    bad = browser.post("/login/mfa", data={"code": "123456"})
    assert bad.status_code == 200 and "not correct" in bad.get_data(as_text=True)
    good = browser.post("/login/mfa", data={"code": _next_code(secret)})
    assert good.status_code == 302 and good.headers["Location"].endswith("/dashboard")
    assert browser.get("/dashboard").status_code == 200


def test_a_code_cannot_be_replayed(app, client, make):
    user = make.user("procurement")
    login(client, user)
    secret, _ = _enrol(client)
    code = _next_code(secret)
    first, _ = _password_step(app, user)
    assert first.post("/login/mfa", data={"code": code}).status_code == 302
    second, _ = _password_step(app, user)
    assert second.post("/login/mfa", data={"code": code}).status_code == 200


def test_a_recovery_code_works_once(app, client, make, db):
    from vendorassure.models import AuditEvent

    user = make.user("procurement")
    login(client, user)
    _, codes = _enrol(client)
    first, _ = _password_step(app, user)
    r = first.post("/login/mfa", data={"code": codes[0].lower()})
    assert r.status_code == 302
    assert "9 left" in first.get("/dashboard", follow_redirects=True).get_data(as_text=True)
    second, _ = _password_step(app, user)
    assert second.post("/login/mfa", data={"code": codes[0]}).status_code == 200
    assert second.post("/login/mfa", data={"code": codes[1]}).status_code == 302
    assert db.session.scalar(select(AuditEvent).filter_by(action="user.recovery_code_used"))


def test_new_recovery_codes_replace_the_old_ones(app, client, make):
    user = make.user("procurement")
    login(client, user)
    _, old = _enrol(client)
    login(client, user, method="password+mfa")
    page = client.post("/account/mfa/recovery-codes")
    new = _codes(page.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    browser, _ = _password_step(app, user)
    assert browser.post("/login/mfa", data={"code": old[2]}).status_code == 200
    assert browser.post("/login/mfa", data={"code": new[2]}).status_code == 302


def test_wrong_codes_count_toward_the_account_backoff(app, client, make, db):
    app.config.update(LOGIN_BACKOFF_FREE_ATTEMPTS=2)
    user = make.user("procurement")
    login(client, user)
    secret, _ = _enrol(client)
    browser, _ = _password_step(app, user)
    for _ in range(3):
        browser.post("/login/mfa", data={"code": "000000"})
    db.session.refresh(user)
    assert user.throttled_until is not None
    # While waiting, even the right code is refused.
    assert browser.post("/login/mfa", data={"code": _next_code(secret)}).status_code == 200


def test_a_role_that_requires_mfa_must_enrol_before_the_sign_in_completes(app, make, db):
    app.config["MFA_REQUIRED_ROLES"] = ("admin",)
    admin = make.user("admin")
    browser, r = _password_step(app, admin)
    assert r.headers["Location"].endswith("/login/mfa/setup")
    assert "/login" in browser.get("/admin/").headers["Location"]
    page = browser.get("/login/mfa/setup").get_data(as_text=True)
    secret = _secret(page)
    done = browser.post("/login/mfa/setup", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and len(_codes(done.get_data(as_text=True))) == 10
    assert browser.get("/admin/").status_code == 200
    db.session.refresh(admin)
    assert admin.mfa_enabled
    # Other roles are not asked.
    buyer = make.user("procurement")
    _, r = _password_step(app, buyer)
    assert r.headers["Location"].endswith("/dashboard")


def test_a_session_without_the_second_factor_ends_once_the_role_requires_it(app, make):
    admin = make.user("admin")
    client = app.test_client()
    login(client, admin)
    assert client.get("/admin/").status_code == 200
    app.config["MFA_REQUIRED_ROLES"] = ("admin",)
    assert "/login" in client.get("/admin/").headers["Location"]


def test_mfa_can_be_switched_off_globally(app, make):
    app.config.update(MFA_ENABLED=False, MFA_REQUIRED_ROLES=("admin",))
    admin = make.user("admin")
    _, r = _password_step(app, admin)
    assert r.headers["Location"].endswith("/dashboard")


def test_a_required_role_cannot_turn_mfa_off_but_an_admin_can_reset_it(app, client, make, db):
    app.config["MFA_REQUIRED_ROLES"] = ("risk",)
    user = make.user("risk")
    login(client, user, method="password+mfa")
    _enrol(client)
    login(client, user, method="password+mfa")
    r = client.post("/account/mfa/disable", follow_redirects=True)
    assert "must use two-step sign-in" in r.get_data(as_text=True)
    db.session.refresh(user)
    assert user.mfa_enabled
    admin_client = app.test_client()
    login(admin_client, make.user("admin"))
    assert admin_client.post(f"/admin/users/{user.id}/mfa/reset").status_code == 302
    db.session.refresh(user)
    assert not user.mfa_enabled


def test_an_optional_user_can_turn_mfa_off(app, client, make, db):
    user = make.user("procurement")
    login(client, user)
    _enrol(client)
    login(client, user, method="password+mfa")
    client.post("/account/mfa/disable")
    db.session.refresh(user)
    assert not user.mfa_enabled
    _, r = _password_step(app, user)
    assert r.headers["Location"].endswith("/dashboard")


def test_api_tokens_need_the_code_of_an_enrolled_user(app, client, make, api):
    user = make.user("risk")
    login(client, user)
    secret, _ = _enrol(client)
    anonymous = api(None)
    body = {"email": user.email, "password": PASSWORD}
    missing = anonymous.post("/tokens", body)
    assert missing.status_code == 401 and missing.get_json()["error"]["mfa"] == "required"
    wrong = anonymous.post("/tokens", {**body, "otp": "000000"})
    assert wrong.status_code == 401
    ok = anonymous.post("/tokens", {**body, "otp": _next_code(secret)})
    assert ok.status_code == 201


def test_api_tokens_are_refused_to_a_required_role_that_has_not_enrolled(app, make, api):
    app.config["MFA_REQUIRED_ROLES"] = ("admin",)
    admin = make.user("admin")
    r = api(None).post("/tokens", {"email": admin.email, "password": PASSWORD})
    assert r.status_code == 401 and r.get_json()["error"]["mfa"] == "enrol"


def test_the_mfa_step_lapses_without_a_password_first(app):
    client = app.test_client()
    r = client.get("/login/mfa")
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    r = client.post("/login/mfa", data={"code": "123456"})
    assert r.status_code == 302

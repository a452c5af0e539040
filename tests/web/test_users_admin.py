"""User lifecycle for admins (web and API): edit, deactivate, reactivate, invitations; audited."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.conftest import PASSWORD, login


def _events(db, action: str):
    from vendorassure.models import AuditEvent

    return list(db.session.scalars(select(AuditEvent).filter_by(action=action)))


def _admin(client, make):
    admin = make.user("admin")
    login(client, admin)
    return admin


def test_the_user_list_shows_vendor_names_status_and_last_sign_in(client, make, db):
    _admin(client, make)
    vendor = make.vendor(name="Brightline AI")
    contact = make.user("vendor", vendor=vendor)
    app = client.application
    app.test_client().post("/login", data={"email": contact.email, "password": PASSWORD})
    html = client.get("/admin/").get_data(as_text=True)
    row = html.split(contact.email)[1].split("</tr>")[0]
    assert "Brightline AI" in row and "Vendor" in row and "Active" in row
    db.session.refresh(contact)
    assert contact.last_login_at.strftime("%d %b %Y") in row


def test_admin_creates_a_vendor_user_by_vendor_name_and_an_invitation_goes_out(
    app, client, make, db
):
    _admin(client, make)
    make.vendor(name="Brightline AI")
    r = client.post(
        "/admin/",
        data={"email": "dana@brightline.example", "role": "vendor", "vendor": "brightline ai"},
    )
    assert r.status_code == 302
    from vendorassure.models import User

    dana = db.session.scalar(select(User).filter_by(email="dana@brightline.example"))
    assert dana.vendor.name == "Brightline AI" and dana.password_hash is None
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    assert any("dana@brightline.example" in p.read_text() for p in outbox.glob("*.eml"))


def test_an_unknown_vendor_name_is_a_clear_message_and_creates_nothing(client, make, db):
    _admin(client, make)
    r = client.post(
        "/admin/", data={"email": "x@vendor.example", "role": "vendor", "vendor": "No Such AI"}
    )
    assert r.status_code == 200 and "No vendor is called" in r.get_data(as_text=True)
    from vendorassure.models import User

    assert db.session.scalar(select(User).filter_by(email="x@vendor.example")) is None


def test_staff_need_an_initial_password_until_sso_is_configured(client, make):
    _admin(client, make)
    r = client.post("/admin/", data={"email": "new@buyer.example", "role": "risk"})
    assert "Set an initial password" in r.get_data(as_text=True)


def test_edit_name_role_and_vendor_is_audited_in_the_same_transaction(client, make, db):
    admin = _admin(client, make)
    vendor = make.vendor(name="Acme Models")
    user = make.user("risk")
    r = client.post(
        f"/admin/users/{user.id}",
        data={"name": "Renamed", "role": "vendor", "vendor": "Acme Models"},
    )
    assert r.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.role, user.vendor_id) == ("Renamed", "vendor", vendor.id)
    (event,) = _events(db, "user.updated")
    assert event.actor_id == admin.id and event.object_id == user.id
    assert event.details["role"] == ["risk", "vendor"] and event.details["name"][1] == "Renamed"
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Details changed by" in page


def test_deactivate_and_reactivate_are_audited(client, make, db):
    _admin(client, make)
    user = make.user("procurement")
    client.post(f"/admin/users/{user.id}/deactivate")
    db.session.refresh(user)
    assert not user.active and _events(db, "user.deactivated")
    r = client.post(f"/admin/users/{user.id}/deactivate", follow_redirects=True)
    assert "already inactive" in r.get_data(as_text=True)
    client.post(f"/admin/users/{user.id}/reactivate")
    db.session.refresh(user)
    assert user.active and _events(db, "user.reactivated")
    fresh = client.application.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_an_admin_cannot_lock_themselves_or_the_last_admin_out(client, make, db):
    admin = _admin(client, make)
    r = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate yourself" in r.get_data(as_text=True)
    r = client.post(
        f"/admin/users/{admin.id}", data={"name": admin.name, "role": "risk"}, follow_redirects=True
    )
    assert "cannot change your own role" in r.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active and admin.role == "admin"


def test_admin_resends_a_vendor_invitation(app, client, make, api, db):
    from vendorassure.models import Invitation

    _admin(client, make)
    vendor = make.vendor()
    buyer = api(make.user("procurement"))
    buyer.post(f"/vendors/{vendor.id}/contacts", {"email": "new@vendor.example", "name": "New"})
    from vendorassure.models import User

    contact = db.session.scalar(select(User).filter_by(email="new@vendor.example"))
    r = client.post(f"/admin/users/{contact.id}/invitation", follow_redirects=True)
    assert "A new invitation was emailed" in r.get_data(as_text=True)
    rows = list(db.session.scalars(select(Invitation).filter_by(user_id=contact.id)))
    assert len(rows) == 2 and rows[0].revoked_at is not None and rows[1].revoked_at is None


def test_unknown_users_are_404(client, make):
    _admin(client, make)
    assert client.get("/admin/users/999999").status_code == 404
    assert client.post("/admin/users/999999/deactivate").status_code == 404


def test_profile_page_changes_the_name_and_lists_tokens(client, login_as, db):
    user = login_as("procurement")
    r = client.post("/account/", data={"name": "New Name"})
    assert r.status_code == 302
    db.session.refresh(user)
    assert user.name == "New Name" and _events(db, "user.profile_updated")
    page = client.get("/account/").get_data(as_text=True)
    assert "Two-step sign-in" in page and "API tokens" in page


def test_tokens_are_listed_created_with_an_expiry_and_revoked(app, client, login_as, db):
    from vendorassure.models import ApiToken
    from vendorassure.models._base import utcnow

    user = login_as("risk")
    r = client.post(
        "/account/tokens", data={"name": "nightly", "expires_in_days": "3", "password": PASSWORD}
    )
    token = r.get_data(as_text=True).split('id="new-token">')[1].split("<")[0].strip()
    row = db.session.scalar(select(ApiToken).filter_by(user_id=user.id))
    assert 2.9 < (row.expires_at - utcnow()).total_seconds() / 86400 <= 3
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "nightly" in listing and token not in listing
    wrong = client.post(
        "/account/tokens", data={"name": "x", "expires_in_days": "3", "password": "wrong-wrong"}
    )
    assert "not correct" in wrong.get_data(as_text=True)
    too_long = client.post(
        "/account/tokens", data={"name": "x", "expires_in_days": "9999", "password": PASSWORD}
    )
    assert "1 to 366 days" in too_long.get_data(as_text=True)
    client.post(f"/account/tokens/{row.id}/revoke")
    db.session.refresh(row)
    assert row.revoked_at is not None and _events(db, "api_token.revoked")
    from tests.conftest import ApiClient

    assert ApiClient(app.test_client(), token).get("/me").status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(client, login_as, make, api, db):
    from vendorassure.models import ApiToken

    other = make.user("risk")
    api(other)
    row = db.session.scalar(select(ApiToken).filter_by(user_id=other.id))
    login_as("risk")
    r = client.post(f"/account/tokens/{row.id}/revoke", follow_redirects=True)
    assert "does not exist" in r.get_data(as_text=True)
    db.session.refresh(row)
    assert row.revoked_at is None


def test_api_users_list_patch_and_audit(make, api, db):
    admin_api = api(make.user("admin"))
    vendor = make.vendor(name="Acme Models")
    user = make.user("procurement")
    listing = admin_api.get("/users?q=procurement").get_json()
    assert listing["total"] >= 1 and {"last_login_at", "active", "vendor"} <= set(
        listing["items"][0]
    )
    r = admin_api.patch(f"/users/{user.id}", {"role": "vendor", "vendor": "Acme Models"})
    assert r.status_code == 200 and r.get_json()["vendor"] == "Acme Models"
    assert r.get_json()["vendor_id"] == vendor.id
    r = admin_api.patch(f"/users/{user.id}", {"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert _events(db, "user.updated") and _events(db, "user.deactivated")
    bad = admin_api.patch(f"/users/{user.id}", {"role": "superuser"})
    assert bad.status_code == 422
    assert admin_api.patch(f"/users/{user.id}", {"role": 5}).status_code == 400
    assert admin_api.get("/users/999999").status_code == 404


def test_api_own_tokens_and_password(make, api, db):
    user = make.user("risk")
    me = api(user)
    created = me.post("/me/tokens", {"name": "ci", "expires_in_days": 10, "password": PASSWORD})
    assert created.status_code == 201 and created.get_json()["token"]
    listed = me.get("/me/tokens").get_json()
    assert listed["total"] == 2 and "token" not in listed["items"][0]
    assert me.delete(f"/me/tokens/{created.get_json()['id']}").status_code == 200
    assert me.delete(f"/me/tokens/{created.get_json()['id']}").status_code == 409
    zero = me.post("/me/tokens", {"name": "x", "expires_in_days": 0, "password": PASSWORD})
    assert zero.status_code == 422 and "expires_in_days" in zero.get_json()["error"]["fields"]
    wrong = me.post("/me/password", {"current_password": "nope", "new_password": "x" * 20})
    assert wrong.status_code == 422
    ok = me.post(
        "/me/password", {"current_password": PASSWORD, "new_password": "another fine passphrase"}
    )
    assert ok.status_code == 200

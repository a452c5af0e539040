"""Hostile input answers 4xx with the error shape and stores nothing: ids and page numbers past
2^31-1, NUL and other control characters in every API schema and web form, line breaks in
names, script URLs as websites, CR/LF that would reach mail headers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import intake_at, login
from tests.web import test_permissions as perm
from tests.web.test_permissions import API, PUBLIC, WEB, _rules, _url
from vendorassure.api.core import ROUTES
from vendorassure.models import AuditEvent, Vendor

world = perm.world  # the permission matrix's fixture: one vendor with one of everything
HUGE = [str(2**31), str(2**63), "9" * 40, "9" * 5000]


def _count(db, model=AuditEvent) -> int:
    """Rows of a table; for the audit log, the events of changes (not sign-ins or new tokens)."""
    db.session.rollback()
    stmt = select(func.count()).select_from(model)
    if model is AuditEvent:
        stmt = stmt.where(
            AuditEvent.action.not_in(("user.created", "user.signed_in", "api_token.issued"))
        )
    return db.session.scalar(stmt)


def _error(response, status):
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    body = response.get_json()
    assert set(body["error"]) >= {"code", "message", "fields"}
    return body["error"]


def _role_for(allowed) -> str:
    for role in ("risk", "procurement", "vendor", "admin"):
        if allowed == PUBLIC or role in allowed:
            return role
    raise AssertionError(allowed)


def _client_for(role, make, world, api):
    return api(world["contact"] if role == "vendor" else make.user(role))


# --- integers -------------------------------------------------------------------------------


def test_path_ids_beyond_the_database_range_are_404_in_api_and_web(app, make, world, api):
    checked = 0
    for rule, method in _rules(app):
        if "<int:" not in rule.rule:
            continue
        allowed = API.get(rule.endpoint) or WEB.get(rule.endpoint)
        role = _role_for(allowed)
        client = _client_for(role, make, world, api)
        login(client.client, world["contact"] if role == "vendor" else make.user(role))
        for huge in HUGE:
            url = re.sub(r"<int:\w+>", huge, rule.rule)
            url = _url(type("R", (), {"rule": url})(), world)
            response = client.client.open(
                url, method=method, headers={"Authorization": f"Bearer {client.token}"}
            )
            assert response.status_code == 404, (method, url[:80], response.status_code)
            checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    "path",
    [
        "/vendors?page={n}",
        "/assessments?page={n}",
        "/assessments?vendor_id={n}",
        "/assessments?reviewer_id={n}",
        "/findings?vendor_id={n}",
        "/findings?assessment_id={n}",
        "/questionnaires/iso42001-ai-vendor-lite?version={n}",
    ],
)
def test_query_numbers_beyond_the_range_are_400(make, api, path):
    risk = api(make.user("risk"))
    for huge in HUGE[:3]:
        err = _error(risk.get(path.format(n=huge)), 400)
        assert err["code"] == "bad_request" and err["fields"]


@pytest.mark.parametrize(
    "url",
    ["/procurement/vendors?page={n}", "/review/?page={n}", "/review/findings?vendor_id={n}"],
)
def test_web_list_numbers_beyond_the_range_are_400(client, login_as, url):
    login_as("risk")
    for huge in HUGE[:3]:
        response = client.get(url.format(n=huge))
        assert response.status_code == 400, (url, huge)
        assert b"whole number" in response.data
    assert client.get(url.format(n="1")).status_code == 200
    # Unicode digits pass str.isdigit() but not int(); they used to be a 500.
    assert client.get(url.format(n="\u00b2")).status_code == 400


def test_body_ids_beyond_the_range_are_400_and_store_nothing(make, api, db):
    buyer = api(make.user("procurement"))
    risk = api(make.user("risk"))
    a = make.assessment()
    before = _count(db)
    for huge in (2**31, 2**63, 10**30):
        err = _error(
            buyer.post(
                "/assessments",
                {
                    "vendor_id": huge,
                    "questionnaire": "iso42001-ai-vendor-lite",
                    "due_date": "2099-01-01",
                },
            ),
            400,
        )
        assert "vendor_id" in err["fields"]
        err = _error(risk.post("/findings", {"assessment_id": huge, "title": "Gap"}), 400)
        assert "assessment_id" in err["fields"]
        err = _error(risk.put(f"/assessments/{a.id}/reviewer", {"reviewer_id": huge}), 400)
        assert "reviewer_id" in err["fields"]
    assert _count(db) == before


def test_every_integer_field_of_every_api_schema_is_bounded():
    from vendorassure.validation import MAX_INT

    models = {r.body for r in ROUTES if r.body} | {r.query for r in ROUTES if r.query}
    assert len(models) > 10
    for model in models:
        schema = model.model_json_schema()
        for name, prop in schema["properties"].items():
            options = prop.get("anyOf", [prop])
            for option in options:
                if option.get("type") == "integer":
                    assert option.get("maximum", MAX_INT + 1) <= MAX_INT, (model.__name__, name)


def test_json_nan_and_infinity_are_malformed(make, api):
    buyer = api(make.user("procurement"))
    for raw in ('{"name": NaN, "intake": {}}', '{"name": "A", "intake": {"x": Infinity}}'):
        r = buyer.client.post(
            "/api/v1/vendors",
            data=raw,
            content_type="application/json",
            headers={"Authorization": f"Bearer {buyer.token}"},
        )
        assert _error(r, 400)["fields"] == {"body": "Malformed JSON."}


# --- control characters -------------------------------------------------------------------


def _first_string_field(model) -> str | None:
    for name, field in model.model_fields.items():
        if field.annotation is str or "str" in str(field.annotation):
            return name
    return None


def test_nul_in_every_api_json_schema_is_400_and_stores_nothing(app, make, world, api, db):
    before = _count(db)
    checked = 0
    for route in ROUTES:
        if route.body is None:
            continue
        role = _role_for(API[f"api.{_endpoint_name(app, route)}"])
        client = _client_for(role, make, world, api)
        url = "/api/v1" + _url(type("R", (), {"rule": route.rule})(), world)
        name = _first_string_field(route.body) or "anything"
        for bad in ("a\x00b", "a\x07b", "\ud800", "x\x1b[31m"):
            response = client.client.open(
                url,
                method=route.method,
                json={name: bad},
                headers={"Authorization": f"Bearer {client.token}"},
            )
            err = _error(response, 400)
            assert name in err["fields"], (route.method, route.rule, err)
        checked += 1
    assert checked >= 15
    assert _count(db) == before


def _endpoint_name(app, route) -> str:
    for rule in app.url_map.iter_rules():
        if rule.rule == "/api/v1" + route.rule and route.method in rule.methods:
            return rule.endpoint.removeprefix("api.")
    raise AssertionError(route.rule)


def test_nul_in_query_path_and_multipart_is_400(make, world, api, db):
    risk = api(make.user("risk"))
    assert "q" in _error(risk.get("/vendors?q=a%00b"), 400)["fields"]
    assert "key" in _error(risk.get("/questionnaires/iso%00x"), 400)["fields"]
    vendor = api(world["contact"])
    before = _count(db)
    assert (
        "question_key"
        in _error(
            vendor.put(f"/assessments/{world['assessment_id']}/answers/a%00b", {"value": "yes"}),
            400,
        )["fields"]
    )
    import io

    from tests.helpers import PDF

    r = vendor.post(
        f"/assessments/{world['assessment_id']}/evidence",
        data={"file": (io.BytesIO(PDF), "p.pdf"), "kind": "policy", "scope": "all\x00"},
        content_type="multipart/form-data",
    )
    assert "scope" in _error(r, 400)["fields"]
    assert _count(db) == before


def test_nul_in_every_web_form_is_400_and_stores_nothing(app, make, world, db):
    before = _count(db)
    checked = 0
    for rule, method in _rules(app):
        allowed = WEB.get(rule.endpoint)
        if method != "POST" or allowed is None:
            continue
        role = _role_for(allowed)
        client = app.test_client()
        if allowed != PUBLIC:
            login(client, world["contact"] if role == "vendor" else make.user(role))
        response = client.post(_url(rule, world), data={"name": "Acme\x00", "note": "ok"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert b"control characters" in response.data
        checked += 1
    assert checked > 25
    assert _count(db) == before


def test_line_breaks_in_names_are_refused_and_nothing_is_stored(make, api, client, login_as, db):
    buyer = api(make.user("procurement"))
    for name in ("Acme\r\nBcc: victim@example.com", "Acme\nAI", "Acme\tAI"):
        err = _error(buyer.post("/vendors", {"name": name, "intake": intake_at("low")}), 400)
        assert "name" in err["fields"]
    login_as("procurement")
    form = {"name": "Acme\r\nBcc: x@example.com", "website": "", "services": ""}
    form.update({f"intake__{k}": v for k, v in intake_at("low").items()})
    r = client.post("/procurement/vendors/new", data=form)
    assert r.status_code == 200 and b"single line" in r.data
    assert _count(db, Vendor) == 0
    # The services refuse them too, whichever door the name comes through.
    from vendorassure.services import vendors
    from vendorassure.services.errors import InvalidValues

    with pytest.raises(InvalidValues):
        vendors.create_vendor(make.user("procurement"), "A\nB", "", "", intake_at("low"))


def test_vendor_websites_are_http_or_https_only(make, api, db):
    buyer = api(make.user("procurement"))
    for bad in (
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://files.example",
        "https://",
        "http://exa mple.com",
    ):
        r = buyer.post("/vendors", {"name": "Acme", "website": bad, "intake": intake_at("low")})
        assert r.status_code in (400, 422), (bad, r.status_code)
        assert "website" in r.get_json()["error"]["fields"] or r.status_code == 400
    assert _count(db, Vendor) == 0
    ok = buyer.post(
        "/vendors", {"name": "Acme", "website": "acme.example", "intake": intake_at("low")}
    )
    assert ok.status_code == 201 and ok.get_json()["website"] == "https://acme.example"
    vid = ok.get_json()["id"]
    r = buyer.patch(f"/vendors/{vid}", {"website": "javascript:alert(1)"})
    assert _error(r, 422)["fields"] == {"website": "An http:// or https:// address."}
    assert buyer.get(f"/vendors/{vid}").get_json()["website"] == "https://acme.example"


def test_a_stored_script_url_is_not_rendered_as_a_link(make, client, login_as, db):
    vendor = make.vendor(name="Legacy")
    vendor.website = "javascript:alert(1)"  # stored before the rule existed
    db.session.commit()
    login_as("procurement")
    page = client.get(f"/procurement/vendors/{vendor.id}").get_data(as_text=True)
    assert "javascript:alert(1)" in page and 'href="javascript:' not in page


def test_a_legacy_vendor_name_with_line_breaks_cannot_break_mail_headers(make, api, db, app):
    from email import message_from_bytes
    from email.policy import default as default_policy
    from pathlib import Path

    vendor = make.vendor(name="Legacy")
    vendor.name = "Acme\r\nBcc: victim@example.com"  # stored before the rule existed
    db.session.commit()
    buyer = api(make.user("procurement"))
    r = buyer.post(f"/vendors/{vendor.id}/contacts", {"email": "jane@acme.example"})
    assert r.status_code == 201, r.get_json()
    outbox = sorted(
        Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"), key=lambda p: p.stat().st_mtime
    )
    msg = message_from_bytes(outbox[-1].read_bytes(), policy=default_policy)
    assert msg["Bcc"] is None and msg["To"] == "jane@acme.example"
    assert "invites Acme Bcc: victim@example.com to" in msg["Subject"]
    assert "\n" not in msg["Subject"]


def test_web_form_numbers_beyond_the_range_are_a_field_error(client, login_as, db):
    from vendorassure.models import ApiToken

    login_as("risk")
    tokens = _count(db, ApiToken)
    r = client.post(
        "/account/tokens",
        data={"name": "ci", "expires_in_days": str(2**63), "password": "correct horse battery"},
    )
    # a number beyond any column is a field error beside the field, never a 500
    assert r.status_code in (200, 422) and b"2147483647" in r.data
    assert _count(db, ApiToken) == tokens

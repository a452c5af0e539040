"""The portal's API additions: contacts and invitations, confirming carried-forward answers,
threads, the certificate library, replacing evidence — and vendor isolation on every path."""

from __future__ import annotations

import io

import pytest
from flask import g

from tests.conftest import login
from tests.helpers import PDF, PNG, answer_all
from vendorassure.services import assessments, comments
from vendorassure.services import evidence as evidence_service

CERT = {
    "kind": "iso42001_certificate",
    "standard": "ISO/IEC 42001",
    "edition": "2023",
    "certification_body": "Cert Co",
    "accreditation_body": "UKAS",
    "issued_on": "2025-01-01",
    "expires_on": "2028-01-01",
}


@pytest.fixture(autouse=True)
def _own_evidence_dir(app, tmp_path):
    before = app.config["EVIDENCE_DIR"]
    app.config["EVIDENCE_DIR"] = str(tmp_path / "ev")
    yield
    app.config["EVIDENCE_DIR"] = before


def test_contacts_resend_and_revoke(app, make, api):
    from vendorassure.services import vendors as vendor_service

    buyer_user = make.user("procurement")
    buyer = api(buyer_user)
    vendor = make.vendor(actor=buyer_user)
    contact, _ = vendor_service.add_contact(buyer_user, vendor, "dana@v.example")
    r = buyer.get(f"/vendors/{vendor.id}/contacts")
    assert r.status_code == 200
    assert r.get_json()["items"][0]["state"] == "invited"
    r = buyer.post(f"/vendors/{vendor.id}/contacts/{contact.id}/invitation")
    assert r.status_code == 201 and r.get_json()["state"] == "invited"
    r = buyer.delete(f"/vendors/{vendor.id}/contacts/{contact.id}/invitation")
    assert r.status_code == 200 and r.get_json()["state"] == "revoked"
    r = buyer.delete(f"/vendors/{vendor.id}/contacts/{contact.id}/invitation")
    assert r.status_code == 409
    other = make.vendor(actor=buyer_user)
    r = buyer.post(f"/vendors/{other.id}/contacts/{contact.id}/invitation")
    assert r.status_code == 404
    vendor_user = make.user("vendor", vendor=vendor)
    r = api(vendor_user).post(f"/vendors/{vendor.id}/contacts/{contact.id}/invitation")
    assert r.status_code == 403
    r = buyer.post(f"/vendors/{vendor.id}/contacts/{vendor_user.id}/invitation")
    assert r.status_code == 409  # already active


def test_confirm_carried_forward_through_the_api(app, make, api):
    vendor = make.vendor()
    user = make.user("vendor", vendor=vendor)
    first = make.assessment(vendor)
    answer_all(user, first)
    assessments.submit_assessment(user, first)
    assessments.review_assessment(make.user("risk"), first, "complete")
    second = make.assessment(vendor)
    client = api(user)
    answers = client.get(f"/assessments/{second.id}/answers").get_json()
    items = answers["items"] if isinstance(answers, dict) and "items" in answers else answers
    assert any(a["carried_forward"] for a in items)
    r = client.post(f"/assessments/{second.id}/submit")
    assert r.status_code == 422 and r.get_json()["error"]["fields"]["missing"]
    r = client.post(f"/assessments/{second.id}/answers/confirm", {"keys": ["nope"]})
    assert r.status_code == 422
    r = client.post(f"/assessments/{second.id}/answers/confirm", {"keys": "all"})
    assert r.status_code == 400
    r = client.post(f"/assessments/{second.id}/answers/confirm", {})
    assert r.status_code == 200 and r.get_json()["missing"] == []
    assert client.post(f"/assessments/{second.id}/submit").status_code == 200
    assert all(a["reused_from"] is None for a in items)  # same questionnaire: carried, not reused

    # A questionnaire of another key gets the same answers as suggestions that say where from.
    full = make.assessment(vendor, "iso42001-ai-vendor")
    got = client.get(f"/assessments/{full.id}/answers").get_json()
    got = got["items"] if isinstance(got, dict) and "items" in got else got
    reused = {a["question_key"]: a["reused_from"] for a in got if a["reused_from"]}
    assert reused["ai_policy"]["question"] == "ai_policy"
    assert reused["ai_policy"]["questionnaire"] == first.questionnaire.title
    assert 0.33 <= reused["ai_policy"]["similarity"] <= 1.0 + 1e-9


def test_threads_hide_internal_notes_from_vendors(app, make, api):
    vendor = make.vendor()
    a = make.assessment(vendor)
    key = a.questionnaire.questions[0].key
    risk = api(make.user("risk"))
    vendor_api = api(make.user("vendor", vendor=vendor))
    assert (
        risk.post(
            f"/assessments/{a.id}/comments", {"body": "Why?", "question_key": key}
        ).status_code
        == 201
    )
    assert (
        risk.post(f"/assessments/{a.id}/comments", {"body": "secret", "internal": True}).status_code
        == 201
    )
    r = vendor_api.post(f"/assessments/{a.id}/comments", {"body": "x", "internal": True})
    assert r.status_code == 403
    r = vendor_api.post(f"/assessments/{a.id}/comments", {"body": "Because.", "question_key": key})
    assert r.status_code == 201
    seen = vendor_api.get(f"/assessments/{a.id}/comments").get_json()["items"]
    assert [c["body"] for c in seen] == ["Why?", "Because."]
    assert len(risk.get(f"/assessments/{a.id}/comments").get_json()["items"]) == 3
    assert vendor_api.post(f"/assessments/{a.id}/comments", {"body": " "}).status_code == 422


def test_library_attach_and_replace_through_the_api(app, make, api):
    vendor = make.vendor()
    a = make.assessment(vendor)
    client = api(make.user("vendor", vendor=vendor))
    r = client.post(
        f"/vendors/{vendor.id}/library",
        data={**CERT, "file": (io.BytesIO(PDF), "cert.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    lib = r.get_json()
    assert lib["in_library"] and lib["edition"] == "2023" and lib["accreditation_body"] == "UKAS"
    r = client.post(
        f"/vendors/{vendor.id}/library",
        data={**CERT, "edition": "", "file": (io.BytesIO(PNG), "c.png")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "edition" in r.get_json()["error"]["fields"]
    r = client.post(f"/assessments/{a.id}/evidence/from-library", {"evidence_id": lib["id"]})
    assert r.status_code == 201
    attached = r.get_json()
    # The assessment links to the one library record (no copy).
    assert attached["id"] == lib["id"] and attached["in_library"]
    listed = client.get(f"/assessments/{a.id}/evidence").get_json()["items"]
    assert [e["id"] for e in listed] == [lib["id"]] and listed[0]["linked"] is True
    r = client.post(
        f"/evidence/{attached['id']}/replace",
        data={"file": (io.BytesIO(PNG), "scan.png")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200 and r.get_json()["original_name"] == "scan.png"
    assert r.get_json()["media_type"] == "image/png"
    assert len(client.get(f"/vendors/{vendor.id}/library").get_json()["items"]) == 1


def _two_worlds(make):
    worlds = []
    for name in ("Alpha AI", "Beta AI"):
        vendor = make.vendor(name=name)
        a = make.assessment(vendor)
        user = make.user("vendor", vendor=vendor)
        ev = evidence_service.upload_evidence(user, a, f"{name}.pdf", PDF + name.encode(), "policy")
        lib = evidence_service.upload_library_evidence(
            user, vendor, f"{name}-lib.pdf", PDF + b"lib" + name.encode(), "policy"
        )
        comments.add_comment(make.user("risk"), a, None, f"hello {name}")
        worlds.append({"vendor": vendor, "a": a, "user": user, "ev": ev, "lib": lib})
    return worlds


def test_every_new_portal_path_404s_for_another_vendors_ids(app, make, api, client):
    alpha, beta = _two_worlds(make)
    a, ev, lib, vid = alpha["a"].id, alpha["ev"].id, alpha["lib"].id, alpha["vendor"].id
    key = alpha["a"].questionnaire.questions[0].key
    upload = {"file": (io.BytesIO(PNG), "x.png"), **CERT}
    b_api = api(beta["user"])
    api_calls = [
        ("get", f"/assessments/{a}/comments", None),
        ("post", f"/assessments/{a}/comments", {"body": "hi"}),
        ("post", f"/assessments/{a}/answers/confirm", {}),
        ("get", f"/vendors/{vid}/library", None),
        ("post", f"/assessments/{a}/evidence/from-library", {"evidence_id": lib}),
        ("post", f"/assessments/{beta['a'].id}/evidence/from-library", {"evidence_id": lib}),
    ]
    for method, path, body in api_calls:
        r = getattr(b_api, method)(path, body) if body is not None else b_api.get(path)
        assert r.status_code == 404, (method, path, r.status_code)
    for path in (f"/vendors/{vid}/library", f"/evidence/{ev}/replace", f"/evidence/{lib}/replace"):
        r = b_api.client.post(
            f"/api/v1{path}",
            data={**upload, "file": (io.BytesIO(PNG), "x.png")},
            content_type="multipart/form-data",
            headers={"Authorization": f"Bearer {b_api.token}"},
        )
        assert r.status_code == 404, path

    g.pop("_login_user", None)
    login(client, beta["user"])
    web_calls = [
        ("get", f"/portal/assessments/{a}", {}),
        ("post", f"/portal/assessments/{a}", {"confirm_key": key}),
        ("post", f"/portal/assessments/{a}/confirm", {}),
        ("post", f"/portal/assessments/{a}/comments", None),
        ("post", f"/portal/assessments/{a}/evidence/from-library", {"lib-evidence_id": str(lib)}),
        ("post", f"/portal/evidence/{ev}/replace", {"rep-file": (io.BytesIO(PNG), "x.png")}),
        ("post", f"/portal/evidence/{lib}/replace", {"rep-file": (io.BytesIO(PNG), "x.png")}),
        ("post", f"/portal/evidence/{lib}/delete", {}),
        ("get", f"/portal/evidence/{lib}/download", {}),
    ]
    for method, path, data in web_calls:
        if data is None:
            r = client.post(path, json={"body": "hi", "question_key": key})
        elif method == "get":
            r = client.get(path)
        else:
            r = client.post(path, data=data, content_type="multipart/form-data")
        assert r.status_code == 404, (method, path, r.status_code)
    # Beta's library page lists only Beta's documents.
    page = client.get("/portal/library").get_data(as_text=True)
    assert "Beta AI-lib.pdf" in page and "Alpha AI" not in page
    assert len(evidence_service.library(alpha["vendor"].id)) == 1
    assert comments.list_comments(alpha["user"], alpha["a"])[0].body == "hello Alpha AI"

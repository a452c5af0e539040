"""Signed answer packages between two real app instances, each on its own database: export on
one, import on the other with the key pinned on first use, accept, and tampering refused."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import tempfile

import pytest

from tests.conftest import PASSWORD, ApiClient, _create_pg_database, _drop_pg_database
from tests.helpers import answer_all, upload_certificate
from vendorassure import create_app
from vendorassure.extensions import db as _db
from vendorassure.services import assessments, packages
from vendorassure.services.auth import create_user, issue_api_token
from vendorassure.services.library import load_library
from vendorassure.services.vendors import create_vendor

KEY = "iso42001-ai-vendor-lite"


@pytest.fixture(scope="module")
def second_app(app):
    """Another VendorAssure instance: its own database, instance folder, secret and store."""
    folder = tempfile.mkdtemp(prefix="va-second-")
    pg = None
    if os.environ.get("VA_TEST_DB", "sqlite") == "postgresql":
        pg, url = _create_pg_database()
    else:
        url = f"sqlite:///{folder}/second.db"
    saved = os.environ.get("INSTANCE_PATH")
    os.environ["INSTANCE_PATH"] = folder
    try:
        other = create_app({
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "MFA_REQUIRED_ROLES": (),
            "MAIL_SERVER": None, "MAIL_OUTBOX_DIR": f"{folder}/outbox",
            "EVIDENCE_DIR": f"{folder}/evidence", "SECRET_KEY": "second-instance-secret",
            "BASE_URL": "http://second.example",
        })  # fmt: skip
    finally:
        os.environ["INSTANCE_PATH"] = saved or ""
    with other.app_context():
        _db.create_all()
        load_library()
        buyer = create_user("buyer@second.example", "procurement", PASSWORD)
        risk = create_user("risk@second.example", "risk", PASSWORD)
        intake = {q: v for q, v in _intake_low().items()}
        vendor = create_vendor(buyer, "Zeta Labs", "https://zeta.example", "AI", intake)
        ids = {"vendor_id": vendor.id}
        tokens = {
            "buyer": issue_api_token(buyer.email, PASSWORD)[0],
            "risk": issue_api_token(risk.email, PASSWORD)[0],
        }
        _db.session.remove()
    yield other, ids, tokens
    with other.app_context():
        _db.session.remove()
        _db.engine.dispose()
    if pg:
        _drop_pg_database(pg)
    shutil.rmtree(folder, ignore_errors=True)


def _intake_low():
    from tests.conftest import intake_at

    return intake_at("low")


@pytest.fixture
def exported(make, api, db):
    """Zeta Labs on the first instance: answered, a certificate attached, submitted; its
    package downloaded through the API by the vendor's own user."""
    vendor = make.vendor("Zeta Labs", level="low")
    a = make.assessment(vendor, KEY)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=True)
    upload_certificate(contact, a, certificate_number="AI-7", scope="Zeta platform")
    assessments.submit_assessment(contact, a)
    r = api(contact).get(f"/assessments/{a.id}/package")
    assert r.status_code == 200, r.get_json()
    assert ".vapkg.json" in r.headers["Content-Disposition"]
    return {"bytes": r.data, "assessment": a, "contact": contact, "vendor": vendor}


def _post(client: ApiClient, data: bytes, vendor_id: int, confirm: str | None = None):
    form = {"vendor_id": str(vendor_id), "package": (io.BytesIO(data), "answers.vapkg.json")}
    if confirm is not None:
        form["confirm_fingerprint"] = confirm
    return client.client.post("/api/v1/packages/import", data=form,
                              headers={"Authorization": f"Bearer {client.token}"},
                              content_type="multipart/form-data")  # fmt: skip


def test_a_package_exported_on_one_instance_imports_into_another(exported, second_app):
    other, ids, tokens = second_app
    data = exported["bytes"]
    package = json.loads(data)
    manifest = json.loads(base64.b64decode(package["manifest"]))
    assert manifest["questionnaire"]["key"] == KEY and manifest["questionnaire"]["version"] >= 1
    assert len(manifest["answers"]) > 10 and manifest["evidence"][0]["certificate"]["scope"]
    fp = manifest["key_fingerprint"]
    with other.app_context():
        buyer = ApiClient(other.test_client(), tokens["buyer"])
        risk = ApiClient(other.test_client(), tokens["risk"])
        # first package of this vendor: the fingerprint must be confirmed
        first = _post(buyer, data, ids["vendor_id"])
        assert first.status_code == 409
        assert first.get_json()["error"]["fields"]["fingerprint"] == fp
        assert _post(buyer, data, ids["vendor_id"], "0000 " + fp[5:]).status_code == 409
        r = _post(buyer, data, ids["vendor_id"], fp.upper())
        assert r.status_code == 201, r.get_json()
        imp = r.get_json()
        assert imp["status"] == "pending" and imp["fingerprint"] == fp
        a = buyer.get(f"/assessments/{imp['assessment_id']}").get_json()
        assert a["status"] == "sent" and a["vendor_id"] == ids["vendor_id"]
        answers = buyer.get(f"/assessments/{imp['assessment_id']}/answers").get_json()["items"]
        assert len(answers) == len(manifest["answers"])
        assert all(x.get("carried_forward") for x in answers)  # marked imported, not yet counting
        # the same package again is refused; the pinned key needs no confirmation any more
        assert _post(buyer, data, ids["vendor_id"]).status_code == 409
        # the reviewer accepts: the answers count, the assessment is submitted and scored
        assert risk.post(f"/package-imports/{imp['id']}/decision",
                         {"decision": "accept"}).status_code == 200  # fmt: skip
        a = buyer.get(f"/assessments/{imp['assessment_id']}").get_json()
        assert a["status"] == "submitted" and a["rating"] in ("low", "medium")
        score = risk.get(f"/assessments/{imp['assessment_id']}/score").get_json()
        assert score["certificates"][0]["kind"] == "iso42001_certificate"
        assert risk.post(f"/package-imports/{imp['id']}/decision",
                         {"decision": "accept"}).status_code == 409  # fmt: skip
        _db.session.remove()


def _tampered(data: bytes) -> list[tuple[str, bytes]]:
    package = json.loads(data)
    out = []
    # one byte of the manifest changed (re-encoded so the base64 stays valid)
    body = bytearray(base64.b64decode(package["manifest"]))
    body[body.index(b'"value":') + 9] ^= 0x01
    out.append(("manifest", _with(package, manifest=base64.b64encode(bytes(body)).decode())))
    # one byte of an evidence file
    digest, blob = next(iter(package["files"].items()))
    raw = bytearray(base64.b64decode(blob))
    raw[-3] ^= 0x01
    files = dict(package["files"]) | {digest: base64.b64encode(bytes(raw)).decode()}
    out.append(("file", _with(package, files=files)))
    # another key signs (a forged package): a key other than the pinned one
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.generate()
    man = json.loads(base64.b64decode(package["manifest"]))
    raw_pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    man["key_fingerprint"] = packages.fingerprint(raw_pub)
    mbytes = packages.canonical(man)
    sig = {"alg": "Ed25519", "public_key": base64.b64encode(raw_pub).decode(),
           "value": base64.b64encode(key.sign(mbytes)).decode()}  # fmt: skip
    out.append(("forged", _with(package, manifest=base64.b64encode(mbytes).decode(),
                                signature=sig)))  # fmt: skip
    # a space added between two keys, and one flipped byte anywhere in the file
    out.append(("whitespace", data.replace(b'","', b'", "', 1)))
    for pos in (0, len(data) // 3, len(data) // 2, len(data) - 2):
        flipped = bytearray(data)
        flipped[pos] ^= 0x20
        out.append((f"byte {pos}", bytes(flipped)))
    return out


def _with(package: dict, **changes) -> bytes:
    return packages.canonical(package | changes)


def test_any_tampered_byte_is_refused_with_a_clear_message(exported, second_app):
    other, ids, tokens = second_app
    with other.app_context():
        buyer = ApiClient(other.test_client(), tokens["buyer"])
        made = buyer.post(
            "/vendors", {"name": "Zeta Labs (second import)", "intake": _intake_low()}
        )
        vendor_id = made.get_json()["id"]
        fp = packages.inspect_package(exported["bytes"])["fingerprint"]
        assert _post(buyer, exported["bytes"], vendor_id, fp).status_code == 201  # pins the key
        before = buyer.get("/assessments").get_json()["total"]
        for what, data in _tampered(exported["bytes"]):
            r = _post(buyer, data, vendor_id, "x")
            assert r.status_code == 422, (what, r.status_code, r.get_json())
            msg = r.get_json()["error"]["message"]
            assert any(w in msg for w in ("altered", "does not match", "not a VendorAssure",
                                          "different key", "not valid base64")), (what, msg)  # fmt: skip
        assert buyer.get("/assessments").get_json()["total"] == before  # nothing stored
        _db.session.remove()


def test_only_the_vendor_exports_and_only_finished_work(make, api):
    vendor = make.vendor("Eta", level="low")
    a = make.assessment(vendor, KEY)
    contact = make.user("vendor", vendor=vendor)
    assert api(contact).get(f"/assessments/{a.id}/package").status_code == 409
    other = make.user("vendor", vendor=make.vendor("Theta"))
    assert api(other).get(f"/assessments/{a.id}/package").status_code == 404
    assert api(make.user("risk")).get(f"/assessments/{a.id}/package").status_code == 403


def test_package_pages_export_import_confirm_and_accept(make, client, db, app):
    from tests.conftest import login
    from vendorassure.models import PackageImport

    vendor = make.vendor("Iota Speech", level="low")
    a = make.assessment(vendor, KEY)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=True)
    assessments.submit_assessment(contact, a)
    login(client, contact)
    assert "Download signed package" in client.get("/chain/portal/packages").get_data(as_text=True)
    data = client.get(f"/chain/portal/assessments/{a.id}/package").data
    assert "Iota" in json.loads(base64.b64decode(json.loads(data)["manifest"]))["vendor"]["name"]
    # import on the same instance into another vendor record (a second buyer's view)
    target = make.vendor("Iota Speech (imported)", level="low")
    buyer = make.user("procurement")
    login(client, buyer)
    form = {"vendor_id": str(target.id), "package": (io.BytesIO(data), "iota.vapkg.json")}
    page = client.post("/chain/packages", data=form, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    fp = packages.inspect_package(data)["fingerprint"]
    assert page.status_code == 200 and "confirm the vendor" in html and fp in html
    assert db.session.query(PackageImport).count() == 0
    form = {"vendor_id": str(target.id), "package": (io.BytesIO(data), "iota.vapkg.json"),
            "confirm_fingerprint": fp}  # fmt: skip
    r = client.post("/chain/packages", data=form, content_type="multipart/form-data")
    assert r.status_code == 302
    imp = db.session.query(PackageImport).one()
    target_contact = make.user("vendor", vendor=target)
    login(client, target_contact)
    page = client.get(f"/portal/assessments/{imp.assessment_id}").get_data(as_text=True)
    assert "Pre-filled from a signed answer package" in page
    login(client, buyer)
    bad = {"vendor_id": str(target.id), "package": (io.BytesIO(data[:-5]), "x.vapkg.json")}
    r = client.post("/chain/packages", data=bad, content_type="multipart/form-data")
    assert r.status_code == 422 and "not a VendorAssure" in r.get_data(as_text=True)
    login(client, make.user("risk"))
    assert "Waiting for a reviewer" in client.get("/chain/packages").get_data(as_text=True)
    r = client.post(f"/chain/package-imports/{imp.id}/decision", data={"decision": "accept"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(PackageImport, imp.id).status == "accepted"


def test_a_correctly_signed_but_malformed_manifest_is_refused(exported, second_app):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    other, ids, tokens = second_app
    package = json.loads(exported["bytes"])
    good = json.loads(base64.b64decode(package["manifest"]))
    key = Ed25519PrivateKey.generate()
    raw_pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def signed(manifest) -> bytes:
        body = packages.canonical(manifest)
        sig = {"alg": "Ed25519", "public_key": base64.b64encode(raw_pub).decode(),
               "value": base64.b64encode(key.sign(body)).decode()}  # fmt: skip
        return _with(package, manifest=base64.b64encode(body).decode(), signature=sig)

    fp = packages.fingerprint(raw_pub)
    cert = dict(good["evidence"][0]["certificate"])
    broken = [
        [1, 2, 3],
        good | {"questionnaire": "iso"},
        good | {"answers": [{"value": "yes"}]},
        good | {"evidence": [good["evidence"][0] | {"size": "big"}]},
        good | {"evidence": [good["evidence"][0] | {"certificate": cert | {"issued_on": "soon"}}]},
        good | {"evidence": [good["evidence"][0] | {"certificate": cert | {"scope": {"a": 1}}}]},
        good | {"answers": [{"question": "no_such_question", "value": "yes"}]},
        good | {"answers": [good["answers"][0] | {"comment": ["x"]}]},
        good | {"answers": [good["answers"][0] | {"value": {"nested": True}}]},
    ]
    with other.app_context():
        buyer = ApiClient(other.test_client(), tokens["buyer"])
        made = buyer.post("/vendors", {"name": "Malformed Co", "intake": _intake_low()})
        vendor_id = made.get_json()["id"]
        before = buyer.get("/assessments").get_json()["total"]
        for m in broken:
            if isinstance(m, dict):
                m = m | {"key_fingerprint": fp}
            r = _post(buyer, signed(m), vendor_id, fp)
            assert r.status_code == 422, (m if not isinstance(m, dict) else "", r.get_json())
        assert buyer.get("/assessments").get_json()["total"] == before
        _db.session.remove()

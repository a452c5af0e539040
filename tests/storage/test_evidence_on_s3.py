"""Evidence kept in an S3-compatible store: uploads land in the bucket, downloads stream back or
redirect to a pre-signed attachment URL, a lost object is a clean 404, and the migrate command
moves a local store's files into the bucket, verified."""

from __future__ import annotations

import hashlib
import io
import urllib.request

import boto3
from sqlalchemy import select

from tests.helpers import PDF, PNG
from vendorassure.models import Evidence
from vendorassure.services import evidence as evidence_service
from vendorassure.storage import LocalStore, S3Store, get_storage


def _objects(endpoint, bucket):
    listing = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in listing.get("Contents", [])]


def test_upload_download_delete_through_the_api(s3_app, make, api, s3_endpoint, bucket):
    a = make.assessment()
    vendor = make.user("vendor", vendor=a.vendor)
    client = api(vendor)
    r = client.client.post(
        f"/api/v1/assessments/{a.id}/evidence",
        data={"file": (io.BytesIO(PDF + b"s3"), "policy.pdf"), "kind": "policy"},
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    ev = s3_app.extensions["sqlalchemy"].session.get(Evidence, body["id"])
    assert isinstance(get_storage(), S3Store)
    assert _objects(s3_endpoint, bucket) == [f"evidence/{ev.storage_key[:2]}/{ev.storage_key}"]
    r = client.get(f"/evidence/{ev.id}/download")
    assert r.status_code == 200 and r.data == PDF + b"s3"
    assert hashlib.sha256(r.data).hexdigest() == body["sha256"]
    assert r.headers["Content-Disposition"] == "attachment; filename=policy.pdf"
    assert r.headers["Content-Length"] == str(len(PDF) + 2)
    assert client.delete(f"/evidence/{ev.id}").status_code == 204
    assert _objects(s3_endpoint, bucket) == []


def test_presigned_downloads_redirect_to_an_attachment_url(s3_app, make, api):
    a = make.assessment()
    vendor = make.user("vendor", vendor=a.vendor)
    ev = evidence_service.upload_evidence(vendor, a, "shot.png", PNG, "other")
    s3_app.config["EVIDENCE_DOWNLOADS"] = "presigned"
    r = api(make.user("risk")).get(f"/evidence/{ev.id}/download")
    assert r.status_code == 302
    with urllib.request.urlopen(r.headers["Location"], timeout=10) as got:  # noqa: S310
        assert got.read() == PNG
        assert got.headers["Content-Disposition"].startswith("attachment")
        assert got.headers["Content-Type"] == "image/png"


def test_an_object_lost_from_the_bucket_is_a_clean_404(s3_app, make, api, s3_endpoint, bucket):
    a = make.assessment()
    vendor = make.user("vendor", vendor=a.vendor)
    ev = evidence_service.upload_evidence(vendor, a, "policy.pdf", PDF, "policy")
    boto3.client("s3", endpoint_url=s3_endpoint).delete_object(
        Bucket=bucket, Key=f"evidence/{ev.storage_key[:2]}/{ev.storage_key}"
    )
    r = api(vendor).get(f"/evidence/{ev.id}/download")
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "not_found"
    assert "missing from the evidence store" in r.get_json()["error"]["message"]


def test_an_unreachable_store_refuses_the_upload_and_stores_nothing(s3_app, make, api, db):
    from tests.processes import free_port

    s3_app.config["EVIDENCE_S3_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"
    a = make.assessment()
    client = api(make.user("vendor", vendor=a.vendor))
    r = client.client.post(
        f"/api/v1/assessments/{a.id}/evidence",
        data={"file": (io.BytesIO(PDF), "policy.pdf"), "kind": "policy"},
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "unavailable"
    assert db.session.scalar(select(Evidence.id)) is None


def test_migrate_moves_local_files_into_the_bucket_verified(
    app, make, db, tmp_path, s3_endpoint, bucket
):
    app.config["EVIDENCE_DIR"] = str(tmp_path / "local")
    app.config["EVIDENCE_S3_ENDPOINT_URL"] = s3_endpoint
    a = make.assessment()
    vendor = make.user("vendor", vendor=a.vendor)
    rows = [
        evidence_service.upload_evidence(vendor, a, f"p{i}.pdf", PDF + bytes([i]), "policy")
        for i in range(3)
    ]
    runner = app.test_cli_runner()
    target = f"s3://{bucket}/moved"
    result = runner.invoke(args=["evidence", "migrate", "--to", target])
    assert result.exit_code == 0, result.output
    assert "3 copied, 0 already there, 0 failed (of 3)" in result.output
    again = runner.invoke(args=["evidence", "migrate", "--to", target, "--delete-source"])
    assert "0 copied, 3 already there, 0 failed" in again.output
    assert list(LocalStore(str(tmp_path / "local")).keys()) == []
    app.config["EVIDENCE_STORE"] = target
    try:
        verify = runner.invoke(args=["evidence", "verify"])
        assert (
            verify.exit_code == 0 and "3 of 3 evidence file(s) present and intact" in verify.output
        )
        assert get_storage().read(rows[1].storage_key) == PDF + b"\x01"
        # A blob changed behind our back fails verification with its evidence id.
        get_storage().save(b"tampered", key=rows[2].storage_key)
        verify = runner.invoke(args=["evidence", "verify"])
        assert verify.exit_code == 1
        assert f"evidence {rows[2].id}: SHA-256 differs" in verify.output
    finally:
        app.config["EVIDENCE_STORE"] = None

"""Both evidence stores keep the same promises: save, read, stream, delete, hash check, and a
clean MissingObject for a key that is not there. The S3 store runs against moto_server."""

from __future__ import annotations

import hashlib

import boto3
import pytest

from vendorassure.storage import LocalStore, MissingObject, S3Store, StoreError, store_from_url


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(str(tmp_path / "ev"))
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("bucket")
    return S3Store(bucket, "tenant-a/evidence", endpoint_url=endpoint, sse="AES256")


def test_saved_bytes_come_back_whole_and_in_chunks(store):
    data = bytes(range(256)) * 3000  # 768 kB: several chunks
    key = store.save(data)
    assert key.isalnum() and len(key) == 40
    assert store.read(key) == data
    chunks = list(store.iter_chunks(key))
    assert len(chunks) > 1 and b"".join(chunks) == data
    assert store.exists(key)
    assert key in set(store.keys())


def test_hash_check_tells_intact_from_other_bytes(store):
    key = store.save(b"certificate v1")
    assert store.verify(key, hashlib.sha256(b"certificate v1").hexdigest())
    assert not store.verify(key, hashlib.sha256(b"certificate v2").hexdigest())


def test_deleted_or_unknown_key_is_a_clean_missing_object(store):
    key = store.save(b"to be removed")
    store.delete(key)
    store.delete(key)  # removing twice is not an error
    assert not store.exists(key)
    with pytest.raises(MissingObject):
        store.read(key)
    with pytest.raises(MissingObject):
        store.verify("a" * 40, "0" * 64)


def test_keys_cannot_escape_the_store(store):
    for bad in ("../etc/passwd", "a/b", "", "x" * 101):
        with pytest.raises(ValueError):
            store.read(bad)


def test_s3_objects_are_encrypted_at_rest_under_the_prefix(s3_endpoint, bucket):
    store = S3Store(bucket, "p", endpoint_url=s3_endpoint, sse="AES256")
    key = store.save(b"%PDF-1.4 secret")
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    head = client.head_object(Bucket=bucket, Key=f"p/{key[:2]}/{key}")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["Metadata"]["sha256"] == hashlib.sha256(b"%PDF-1.4 secret").hexdigest()


def test_presigned_url_serves_the_file_as_an_attachment(s3_endpoint, bucket):
    import urllib.request

    store = S3Store(bucket, "", endpoint_url=s3_endpoint, presign_seconds=60)
    key = store.save(b"%PDF-1.4 presigned")
    url = store.download_url(key, "ISO 42001 certificate.pdf", "application/pdf")
    assert url.startswith(s3_endpoint) and "Signature" in url
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  (loopback)
        assert response.read() == b"%PDF-1.4 presigned"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "ISO 42001 certificate.pdf" in response.headers["Content-Disposition"]


def test_unreachable_store_is_a_store_error_not_a_crash(bucket):
    from tests.processes import free_port

    store = S3Store(bucket, "", endpoint_url=f"http://127.0.0.1:{free_port()}", timeout=1)
    with pytest.raises(StoreError):
        store.check()
    with pytest.raises(StoreError):
        store.save(b"x")


def test_store_urls_pick_the_implementation(tmp_path, s3_endpoint):
    cfg = {"EVIDENCE_S3_ENDPOINT_URL": s3_endpoint}
    assert isinstance(store_from_url(str(tmp_path), cfg), LocalStore)
    assert store_from_url(f"file://{tmp_path}", cfg).root == tmp_path
    s3 = store_from_url("s3://bucket-name/some/prefix/", cfg)
    assert (s3.bucket, s3.prefix, s3.sse) == ("bucket-name", "some/prefix", "AES256")
    for bad in ("s3:///nobucket", "ftp://host/x"):
        with pytest.raises(ValueError):
            store_from_url(bad, cfg)

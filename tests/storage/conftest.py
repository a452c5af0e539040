"""An S3-compatible server (moto in server mode) on loopback for the evidence-store tests."""

from __future__ import annotations

import os
import secrets

import boto3
import pytest

from tests.processes import moto_s3_server

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def s3_endpoint():
    """The endpoint of a throw-away moto_server; boto3 reads the fake credentials from the env."""
    saved = {k: os.environ.get(k) for k in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        with moto_s3_server() as url:
            yield url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def bucket(s3_endpoint):
    """A fresh bucket per test."""
    name = f"va-evidence-{secrets.token_hex(4)}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_app(app, s3_endpoint, bucket):
    """Point the test app's evidence store at the bucket for one test."""
    before = {k: app.config.get(k) for k in ("EVIDENCE_STORE", "EVIDENCE_S3_ENDPOINT_URL")}
    app.config.update(
        EVIDENCE_STORE=f"s3://{bucket}/evidence", EVIDENCE_S3_ENDPOINT_URL=s3_endpoint
    )
    yield app
    app.config.update(before)
    app.config["EVIDENCE_DOWNLOADS"] = "stream"

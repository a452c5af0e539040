"""Evidence file storage behind one interface: a local folder by default, S3-compatible by setting.

`EVIDENCE_STORE` picks the store: unset (or `file:///path`) keeps blobs under `EVIDENCE_DIR`;
`s3://bucket/prefix` keeps them in an S3-compatible bucket through boto3, with the endpoint
(`EVIDENCE_S3_ENDPOINT_URL`, else boto3's own `AWS_ENDPOINT_URL`) and credentials from the
environment (boto3's usual chain). Both name blobs by the same random key, so a key moves between
stores unchanged (`flask --app app evidence migrate`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

from flask import current_app

CHUNK = 256 * 1024


class StoreError(Exception):
    """The store could not do what was asked (unreachable, refused, misconfigured)."""


class MissingObject(StoreError):
    """No blob under that key: the row outlived its file, or the store lost it."""


def new_key() -> str:
    return secrets.token_hex(20)


def _checked(key: str) -> str:
    # Keys are ours (hex); anything else would be a path or prefix escape.
    if not key or not key.isalnum() or len(key) > 100:
        raise ValueError("bad storage key")
    return key


def sha256_of(chunks) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


class EvidenceStore:
    """What every store does; blobs are immutable once saved (a replacement gets a new key)."""

    name = "store"

    def save(self, data: bytes, key: str | None = None) -> str:
        """Store bytes under a new random key (or the given one) and return the key."""
        raise NotImplementedError

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        """Yield the blob in chunks; MissingObject if there is none."""
        raise NotImplementedError

    def read(self, key: str) -> bytes:
        return b"".join(self.iter_chunks(key))

    def delete(self, key: str) -> None:
        """Remove a blob; removing one that is not there is not an error."""
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def keys(self) -> Iterator[str]:
        """Every key in the store (for migration and audits)."""
        raise NotImplementedError

    def check(self) -> None:
        """Raise StoreError unless the store can be written (readiness)."""
        raise NotImplementedError

    def download_url(self, key: str, filename: str, media_type: str) -> str | None:
        """A short-lived URL the browser may fetch the blob from, or None to stream it."""
        return None

    def verify(self, key: str, sha256: str) -> bool:
        """True when the blob is there and its SHA-256 is the one recorded."""
        return sha256_of(self.iter_chunks(key)) == sha256


class LocalStore(EvidenceStore):
    """Blobs under a folder outside any static path, two-level by key prefix."""

    name = "local"

    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        key = _checked(key)
        return self.root / key[:2] / key

    def save(self, data: bytes, key: str | None = None) -> str:
        key = key or new_key()
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside and rename, so a reader never sees half a file.
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        return key

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError:
            raise MissingObject(f"No file under key {key} in {self.root}.") from None
        with handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self) -> Iterator[str]:
        if self.root.is_dir():
            for path in sorted(self.root.glob("*/*")):
                if path.is_file() and path.name.isalnum():
                    yield path.name

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".ready-{secrets.token_hex(4)}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise StoreError(f"{self.root} is not writable: {exc.strerror}") from None


class S3Store(EvidenceStore):
    """Blobs in an S3-compatible bucket under a prefix, encrypted at rest when asked."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        sse: str = "",
        kms_key_id: str = "",
        presign_seconds: int = 0,
        timeout: float = 10,
    ):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.sse = sse
        self.kms_key_id = kms_key_id
        self.presign_seconds = presign_seconds
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            config=Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"max_attempts": 3, "mode": "standard"},
                # Path-style works with every S3-compatible server, virtual hosts need DNS.
                s3={"addressing_style": "path"},
            ),
        )

    def _key(self, key: str) -> str:
        key = _checked(key)
        return f"{self.prefix}/{key[:2]}/{key}" if self.prefix else f"{key[:2]}/{key}"

    def _error(self, exc, key: str | None = None) -> StoreError:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound") and key is not None:
                return MissingObject(f"No object under key {key} in s3://{self.bucket}.")
            return StoreError(f"s3://{self.bucket}: {code or 'error'}")
        return StoreError(f"s3://{self.bucket} unreachable: {type(exc).__name__}")

    def save(self, data: bytes, key: str | None = None) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        key = key or new_key()
        digest = hashlib.sha256(data).digest()
        extra = {}
        if self.sse:
            extra["ServerSideEncryption"] = self.sse
            if self.sse == "aws:kms" and self.kms_key_id:
                extra["SSEKMSKeyId"] = self.kms_key_id
        try:
            # S3 checks the body against ChecksumSHA256 and refuses a damaged upload (moto does not).
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ChecksumSHA256=base64.b64encode(digest).decode(),
                Metadata={"sha256": digest.hex()},
                **extra,
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc) from exc
        return key

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, key) from exc
        with body:
            yield from body.iter_chunks(CHUNK)

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, key) from exc

    def exists(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if isinstance(self._error(exc, key), MissingObject):
                return False
            raise self._error(exc, key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, key) from exc

    def keys(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        prefix = f"{self.prefix}/" if self.prefix else ""
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if name.isalnum():
                    yield name

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc) from exc

    def download_url(self, key: str, filename: str, media_type: str) -> str | None:
        if not self.presign_seconds:
            return None
        from werkzeug.http import dump_options_header

        disposition = dump_options_header("attachment", {"filename": filename})
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._key(key),
                "ResponseContentDisposition": disposition,
                "ResponseContentType": media_type,
            },
            ExpiresIn=self.presign_seconds,
        )


def store_from_url(url: str, config) -> EvidenceStore:
    """Build the store a URL names: s3://bucket/prefix, file:///path, or a plain folder path."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"EVIDENCE_STORE: no bucket in {url!r} (s3://bucket/prefix).")
        presign = config.get("EVIDENCE_DOWNLOADS") == "presigned"
        return S3Store(
            parsed.netloc,
            parsed.path,
            endpoint_url=config.get("EVIDENCE_S3_ENDPOINT_URL"),
            region=config.get("EVIDENCE_S3_REGION"),
            sse=config.get("EVIDENCE_S3_SSE", "AES256"),
            kms_key_id=config.get("EVIDENCE_S3_KMS_KEY_ID", ""),
            presign_seconds=int(config.get("EVIDENCE_PRESIGN_SECONDS") or 300) if presign else 0,
        )
    if parsed.scheme == "file":
        return LocalStore(parsed.path)
    if parsed.scheme:
        raise ValueError(f"EVIDENCE_STORE: unknown store {url!r}; use s3://… or file://….")
    return LocalStore(url)


def get_storage() -> EvidenceStore:
    """The app's evidence store (built once per app and settings)."""
    cfg = current_app.config
    url = cfg.get("EVIDENCE_STORE") or cfg["EVIDENCE_DIR"]
    cache = current_app.extensions.setdefault("vendorassure_stores", {})
    signature = (url, cfg.get("EVIDENCE_DOWNLOADS"), cfg.get("EVIDENCE_S3_ENDPOINT_URL"))
    if signature not in cache:
        cache[signature] = store_from_url(url, cfg)
    return cache[signature]

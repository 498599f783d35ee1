"""S3 (and S3-compatible) storage with verified, write-once puts.

A put sends SHA-256 and MD5 checksums (multipart with one per part), never replaces an object
(``If-None-Match: *`` after a HEAD), and is checked afterwards (size, metadata, the server's
checksum, else a read-back). Connection errors, 5xx and ``SlowDown`` are retried with backoff.
Credentials come only from the AWS credential chain; this module never sees or logs them.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from urllib.parse import urlsplit, urlunsplit

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from archive.storage import ObjectInfo, check_key, split_uri
from archive.storage.errors import (
    IntegrityError,
    ObjectExistsError,
    ObjectNotFoundError,
    StorageConfigError,
    StorageError,
    TransientStorageError,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

MIB = 1024 * 1024
MAX_PARTS = 10_000
#: Error codes worth retrying besides any 5xx.
TRANSIENT_CODES = frozenset({
    "SlowDown", "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ServiceUnavailable",
    "Throttling", "ThrottlingException", "TooManyRequests", "RequestLimitExceeded",
    "OperationAborted", "ConditionalRequestConflict",
})
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
ADDRESSING_STYLES = ("auto", "path", "virtual")


@dataclass(frozen=True)
class _Proof:
    """What the server should report for the content we sent."""

    size: int
    sha256: str
    checksum: str  # base64 SHA-256 (single put) or of the part digests (multipart)
    etag: str  # MD5 hex, or MD5 of the part MD5s + "-N"


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _status(exc: BaseException) -> int:
    response = getattr(exc, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _public_url(url: str | None) -> str | None:
    """An endpoint URL without any user:password part (never stored or logged)."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class S3Storage:
    """Objects under ``s3://bucket/prefix``.

    ``endpoint_url``, ``region``, ``addressing_style`` (auto|path|virtual) and ``profile``
    configure the client; unset, boto3's own defaults and ``AWS_*`` variables apply
    (``AWS_ENDPOINT_URL``, ``AWS_REGION``, ``AWS_PROFILE``…).
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: str | None = None,
        profile: str | None = None,
        multipart_threshold: int = 64 * MIB,
        part_size: int = 16 * MIB,
        part_concurrency: int = 4,
        retry_attempts: int = 8,
        client_attempts: int = 3,
        retry_base_delay: float = 0.5,
        retry_max_delay: float = 20.0,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        max_pool_connections: int = 16,
        verify_read: str = "auto",
    ):
        if not bucket:
            raise StorageConfigError("s3:// storage needs a bucket: s3://BUCKET[/PREFIX]")
        if addressing_style and addressing_style not in ADDRESSING_STYLES:
            raise StorageConfigError(
                f"STORAGE_S3_ADDRESSING_STYLE: {addressing_style!r} is not one of "
                f"{', '.join(ADDRESSING_STYLES)}")
        if endpoint_url and urlsplit(endpoint_url).scheme not in ("http", "https"):
            raise StorageConfigError(f"STORAGE_S3_ENDPOINT_URL: {_public_url(endpoint_url)!r} "
                                     "is not an http(s) URL")
        if part_size < 5 * MIB:
            raise StorageConfigError("S3 multipart parts must be at least 5 MiB")
        if verify_read not in ("auto", "never"):
            raise StorageConfigError(f"verify_read: {verify_read!r} is not auto or never")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.region = region
        self.addressing_style = addressing_style
        self.profile = profile
        self.multipart_threshold = max(multipart_threshold, 1)
        self.part_size = part_size
        self.part_concurrency = max(part_concurrency, 1)
        self.retry_attempts = max(retry_attempts, 1)
        self.client_attempts = max(client_attempts, 1)
        self.retry_base_delay = retry_base_delay
        self.retry_max_delay = retry_max_delay
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_pool_connections = max_pool_connections
        self.verify_read = verify_read
        self.uri = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self.retries = 0
        self._client: Any = None
        self._client_lock = threading.Lock()

    @classmethod
    def from_uri(cls, uri: str, **options: Any) -> S3Storage:
        _, rest = split_uri(uri)
        bucket, _, prefix = rest.partition("/")
        return cls(bucket, prefix, **options)

    def describe(self) -> dict[str, Any]:
        options = {
            "endpoint_url": _public_url(self.endpoint_url),
            "region": self.region,
            "addressing_style": self.addressing_style,
            "profile": self.profile,
        }
        return {"uri": self.uri, **{k: v for k, v in options.items() if v}}

    # --- the client ------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _make_client(self) -> Any:
        try:
            import boto3
            from botocore.config import Config
            from botocore.exceptions import ProfileNotFound
        except ImportError as exc:
            raise StorageConfigError("s3:// storage needs boto3 (pip install boto3)") from exc
        install_log_redaction()
        config = Config(
            s3={"addressing_style": self.addressing_style} if self.addressing_style else {},
            retries={"mode": "standard", "total_max_attempts": self.client_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_pool_connections=self.max_pool_connections,
            # Checksums are asked for explicitly where we want them; botocore's automatic
            # CRC32 on every request confuses S3 implementations that don't know it.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        try:
            session = boto3.session.Session(botocore_session=_botocore_session(),
                                            profile_name=self.profile)
            return session.client("s3", endpoint_url=self.endpoint_url,
                                  region_name=self.region, config=config)
        except ProfileNotFound as exc:
            raise StorageConfigError(f"STORAGE_S3_PROFILE: no AWS profile {self.profile!r}") \
                from exc

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _relative(self, full_key: str) -> str:
        return full_key[len(self.prefix) + 1:] if self.prefix else full_key

    # --- retries ---------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[..., T], **kwargs: Any) -> T:
        """``fn(**kwargs)``, retried with exponential backoff while the failure is transient."""
        for attempt in range(1, self.retry_attempts + 1):
            try:
                return fn(**kwargs)
            except (NoCredentialsError, PartialCredentialsError) as exc:
                raise StorageConfigError(
                    f"{self.uri}: no usable AWS credentials ({type(exc).__name__}); they come "
                    "from the AWS credential chain (environment, profile, instance role)"
                ) from exc
            except (BotoCoreError, ClientError) as exc:
                reason = transient_reason(exc)
                if reason is None:
                    raise
                if attempt == self.retry_attempts:
                    raise TransientStorageError(
                        f"{what}: {reason} after {attempt} attempts") from exc
                delay = min(self.retry_max_delay, self.retry_base_delay * 2 ** (attempt - 1))
                delay *= random.uniform(0.5, 1.0)
                self.retries += 1
                logger.warning("%s: %s; retry %d/%d in %.2fs", what, reason, attempt,
                               self.retry_attempts - 1, delay)
                time.sleep(delay)  # backoff between attempts
        raise AssertionError("unreachable")

    # --- reading ---------------------------------------------------------------------------

    def check(self) -> None:
        """Fail now, with a clear message, if the bucket is missing or unreachable."""
        try:
            self._call(f"{self.uri} HeadBucket", self.client.head_bucket, Bucket=self.bucket)
        except TransientStorageError as exc:
            raise StorageConfigError(f"{self.uri}: storage unreachable: {exc}") from exc
        except StorageConfigError:
            raise
        except (BotoCoreError, ClientError) as exc:
            code = _code(exc) or type(exc).__name__
            if code in NOT_FOUND_CODES or code == "NoSuchBucket":
                raise StorageConfigError(f"{self.uri}: no such bucket {self.bucket!r}") from exc
            raise StorageConfigError(f"{self.uri}: cannot use the bucket ({code})") from exc

    def _head_raw(self, key: str) -> dict[str, Any] | None:
        try:
            response: dict[str, Any] = self._call(
                f"HeadObject {key}", self.client.head_object, Bucket=self.bucket,
                Key=self._key(key), ChecksumMode="ENABLED")
        except ClientError as exc:
            if _code(exc) in NOT_FOUND_CODES or _status(exc) == 404:
                return None
            raise
        return response

    def head(self, key: str) -> ObjectInfo | None:
        response = self._head_raw(key)
        if response is None:
            return None
        sha256 = response.get("Metadata", {}).get("sha256")
        checksum = response.get("ChecksumSHA256")
        if not sha256 and checksum and "-" not in checksum \
                and response.get("ChecksumType", "FULL_OBJECT") == "FULL_OBJECT" \
                and not response.get("ETag", "").strip('"').count("-"):
            sha256 = base64.b64decode(checksum).hex()
        return ObjectInfo(key, int(response["ContentLength"]), sha256,
                          etag=str(response.get("ETag", "")).strip('"') or None)

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        if length <= 0:
            return b""
        rng = f"bytes={offset}-{offset + length - 1}"

        def fetch() -> bytes:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key), Range=rng)
            with response["Body"] as body:
                data: bytes = body.read()
            return data

        try:
            return self._call(f"GetObject {key} {rng}", fetch)
        except ClientError as exc:
            if _code(exc) in NOT_FOUND_CODES:
                raise ObjectNotFoundError(key) from exc
            if _code(exc) == "InvalidRange":
                return b""
            raise

    def open_read(self, key: str) -> BinaryIO:
        try:
            response = self._call(f"GetObject {key}", self.client.get_object,
                                  Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _code(exc) in NOT_FOUND_CODES:
                raise ObjectNotFoundError(key) from exc
            raise
        body: BinaryIO = response["Body"]
        return body

    def read(self, key: str) -> bytes:
        with self.open_read(key) as body:
            return body.read()

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        full_prefix = f"{self.prefix}/{prefix}" if self.prefix else prefix
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": full_prefix}
        while True:
            page = self._call(f"ListObjectsV2 {prefix}", self.client.list_objects_v2, **kwargs)
            for item in page.get("Contents", []):
                yield ObjectInfo(self._relative(item["Key"]), int(item["Size"]),
                                 etag=str(item.get("ETag", "")).strip('"') or None)
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return
            kwargs["ContinuationToken"] = token

    def delete(self, key: str) -> None:
        self._call(f"DeleteObject {key}", self.client.delete_object, Bucket=self.bucket,
                   Key=self._key(key))

    # --- writing ---------------------------------------------------------------------------

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        size: int | None = None,
        sha256: str | None = None,
        on_multipart: Callable[[str], None] | None = None,
    ) -> ObjectInfo:
        """Upload ``path`` as ``key`` and verify it; ``sha256``/``size`` are what the file
        held when it was closed (a file that changed since is refused).

        ``on_multipart(upload_id)`` is called once a multipart upload exists, so a journal
        can abort it if this process dies.
        """
        path = Path(path)
        actual_size = path.stat().st_size
        if size is not None and size != actual_size:
            raise IntegrityError(key, f"the local file is {actual_size} bytes, not {size}")
        if sha256 is None:
            from archive.storage import sha256_file
            sha256 = sha256_file(path)
        existing = self._existing(key, actual_size, sha256)
        if existing is not None:
            return existing
        if actual_size < self.multipart_threshold:
            proof = self._put_single(key, path, sha256)
        else:
            proof = self._put_multipart(key, path, actual_size, sha256, on_multipart)
        if proof is None:  # the object appeared meanwhile and is the same content
            return ObjectInfo(key, actual_size, sha256, verified_by="existing")
        return self._verify(key, proof)

    def _existing(self, key: str, size: int, sha256: str) -> ObjectInfo | None:
        """None if ``key`` is free; its info if it holds this very content; else raise."""
        response = self._head_raw(key)
        if response is None:
            return None
        found_size = int(response["ContentLength"])
        if found_size != size:
            raise ObjectExistsError(key, f"{found_size} bytes, not {size}")
        stored_sha = response.get("Metadata", {}).get("sha256")
        if stored_sha is None:
            stored_sha = self._read_sha256(key)
        if stored_sha != sha256:
            raise ObjectExistsError(key, "different sha256")
        return ObjectInfo(key, size, sha256, verified_by="existing")

    def _read_sha256(self, key: str) -> str:
        digest = hashlib.sha256()
        with self.open_read(key) as body:
            while chunk := body.read(MIB):
                digest.update(chunk)
        return digest.hexdigest()

    def _put_single(self, key: str, path: Path, sha256: str) -> _Proof | None:
        data = path.read_bytes()
        digest = hashlib.sha256(data).digest()
        if digest.hex() != sha256:
            raise IntegrityError(key, "the local file changed since it was closed")
        md5 = hashlib.md5(data).digest()
        try:
            self._call(
                f"PutObject {key}", self.client.put_object, Bucket=self.bucket,
                Key=self._key(key), Body=data, IfNoneMatch="*", Metadata={"sha256": sha256},
                ChecksumAlgorithm="SHA256", ChecksumSHA256=_b64(digest), ContentMD5=_b64(md5))
        except ClientError as exc:
            if _code(exc) == "PreconditionFailed" or _status(exc) == 412:
                # Someone (perhaps our own earlier attempt whose answer was lost) made it.
                self._existing_or_raise(key, len(data), sha256)
                return None
            raise
        return _Proof(len(data), sha256, _b64(digest), md5.hex())

    def _existing_or_raise(self, key: str, size: int, sha256: str) -> None:
        if self._existing(key, size, sha256) is None:
            raise IntegrityError(key, "the upload was refused but no object is there")

    def _put_multipart(self, key: str, path: Path, size: int, sha256: str,
                       on_multipart: Callable[[str], None] | None) -> _Proof | None:
        created = self._call(
            f"CreateMultipartUpload {key}", self.client.create_multipart_upload,
            Bucket=self.bucket, Key=self._key(key), Metadata={"sha256": sha256},
            ChecksumAlgorithm="SHA256")
        upload_id = created["UploadId"]
        if on_multipart is not None:
            on_multipart(upload_id)
        try:
            return self._send_parts(key, path, size, sha256, upload_id)
        except BaseException:
            self.abort_uploads(key, [upload_id], search=False)
            raise

    def _send_parts(self, key: str, path: Path, size: int, sha256: str,
                    upload_id: str) -> _Proof | None:
        # S3 allows 10,000 parts: grow the parts for very large files.
        part_size = max(self.part_size, -(-size // MAX_PARTS))
        full = hashlib.sha256()
        part_sha: list[bytes] = []
        part_md5: list[bytes] = []
        pending: list[Future[dict[str, Any]]] = []
        in_flight: set[Future[dict[str, Any]]] = set()
        # Parts go up ``part_concurrency`` at a time; at most that many are held in memory.
        # Leaving the ``with`` waits for parts in flight, so an abort after an error is final.
        with open(path, "rb") as handle, \
                ThreadPoolExecutor(self.part_concurrency, "newsarchive-part") as pool:
            try:
                number = 0
                while chunk := handle.read(part_size):
                    number += 1
                    full.update(chunk)
                    digest, md5 = hashlib.sha256(chunk).digest(), hashlib.md5(chunk).digest()
                    part_sha.append(digest)
                    part_md5.append(md5)
                    future = pool.submit(self._upload_part, key, upload_id, number, chunk,
                                         digest, md5)
                    pending.append(future)
                    in_flight.add(future)
                    while len(in_flight) >= self.part_concurrency:
                        done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                        for finished in done:
                            finished.result()  # a failed part fails the upload now
                parts = [future.result() for future in pending]
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        if full.hexdigest() != sha256:
            raise IntegrityError(key, "the local file changed since it was closed")
        try:
            self._call(f"CompleteMultipartUpload {key}", self.client.complete_multipart_upload,
                       Bucket=self.bucket, Key=self._key(key), UploadId=upload_id,
                       MultipartUpload={"Parts": parts}, IfNoneMatch="*")
        except ClientError as exc:
            if _code(exc) in ("PreconditionFailed", "NoSuchUpload") or _status(exc) == 412:
                # Made by someone else, or completed by an attempt whose answer was lost.
                self._existing_or_raise(key, size, sha256)
                return None
            raise
        count = len(parts)
        return _Proof(size, sha256, _b64(hashlib.sha256(b"".join(part_sha)).digest()),
                      f"{hashlib.md5(b''.join(part_md5)).hexdigest()}-{count}")

    def _upload_part(self, key: str, upload_id: str, number: int, chunk: bytes, digest: bytes,
                     md5: bytes) -> dict[str, Any]:
        response = self._call(
            f"UploadPart {key} #{number}", self.client.upload_part, Bucket=self.bucket,
            Key=self._key(key), UploadId=upload_id, PartNumber=number, Body=chunk,
            ChecksumAlgorithm="SHA256", ChecksumSHA256=_b64(digest), ContentMD5=_b64(md5))
        logger.debug("uploaded %s part %d (%d bytes)", key, number, len(chunk))
        return {"PartNumber": number, "ETag": response["ETag"], "ChecksumSHA256": _b64(digest)}

    def _verify(self, key: str, proof: _Proof) -> ObjectInfo:
        response = self._head_raw(key)
        if response is None:
            raise IntegrityError(key, "not found after upload")
        size = int(response["ContentLength"])
        if size != proof.size:
            raise IntegrityError(key, f"stored size {size}, expected {proof.size}")
        stored_sha = response.get("Metadata", {}).get("sha256")
        if stored_sha is not None and stored_sha != proof.sha256:
            raise IntegrityError(key, "stored sha256 metadata differs")
        etag = str(response.get("ETag", "")).strip('"')
        checksum = response.get("ChecksumSHA256")
        if checksum:
            if checksum.split("-")[0] != proof.checksum:
                raise IntegrityError(key, "the server's SHA-256 checksum differs")
            how = "checksum"
        elif etag == proof.etag:
            how = "etag"
        elif self.verify_read == "auto":
            if self._read_sha256(key) != proof.sha256:
                raise IntegrityError(key, "the stored content's sha256 differs")
            how = "read"
        else:
            how = "size"
        logger.debug("verified %s by %s", key, how)
        return ObjectInfo(key, size, proof.sha256, etag=etag or None, verified_by=how)

    def abort_uploads(self, key: str, upload_ids: Iterable[str] = (), *,
                      search: bool = True) -> int:
        """Abort multipart uploads of ``key``: the given ids, and (``search``) any listed.

        Incomplete uploads are never visible as objects; aborting frees their parts.
        """
        ids = set(upload_ids)
        if search:
            ids.update(self._listed_uploads(key))
        aborted = 0
        for upload_id in sorted(ids):
            try:
                self._call(f"AbortMultipartUpload {key}", self.client.abort_multipart_upload,
                           Bucket=self.bucket, Key=self._key(key), UploadId=upload_id)
                aborted += 1
            except (ClientError, StorageError) as exc:
                if _code(exc) != "NoSuchUpload" and _status(exc) != 404:
                    logger.warning("could not abort upload of %s: %s", key,
                                   _code(exc) or type(exc).__name__)
        return aborted

    def _listed_uploads(self, key: str) -> builtins.list[str]:
        full_key = self._key(key)
        try:
            response = self._call(f"ListMultipartUploads {key}",
                                  self.client.list_multipart_uploads,
                                  Bucket=self.bucket, Prefix=full_key)
        except StorageConfigError:
            raise
        except (BotoCoreError, ClientError, StorageError) as exc:
            # Minimal S3 implementations lack the listing; journaled ids still get aborted.
            logger.debug("cannot list multipart uploads of %s: %s", key,
                         _code(exc) or type(exc).__name__)
            return []
        return [u["UploadId"] for u in response.get("Uploads", []) if u.get("Key") == full_key]


class RedactCredentials(logging.Filter):
    """botocore logs signed requests at DEBUG (access key id, session token, signature);
    rewrite those records so credentials never reach a log, whatever the log level."""

    PATTERNS = (
        (re.compile(r"(x-amz-security-token['\"]?\s*[:=]\s*b?['\"]?)[^'\"\s,}]+",
                    re.IGNORECASE), r"\1[REDACTED]"),
        (re.compile(r"(Credential=)[^/\s,'\"]+"), r"\1[REDACTED]"),
        (re.compile(r"(Signature=)[0-9a-fA-F]+"), r"\1[REDACTED]"),
    )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for pattern, replacement in self.PATTERNS:
            redacted = pattern.sub(replacement, redacted)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


REDACTED_LOGGERS = ("botocore.endpoint", "botocore.auth", "botocore.httpsession",
                    "botocore.parsers", "botocore.hooks")
_REDACTION_INSTALLED = False


def install_log_redaction() -> None:
    global _REDACTION_INSTALLED
    with _LOADER_LOCK:
        if _REDACTION_INSTALLED:
            return
        for name in REDACTED_LOGGERS:
            logging.getLogger(name).addFilter(RedactCredentials())
        _REDACTION_INSTALLED = True


_LOADER: Any = None
_LOADER_LOCK = threading.Lock()


def _botocore_session() -> Any:
    """A new botocore session sharing one service-model loader: parsing the models is most
    of the cost of a client, and the loader holds no credentials or configuration."""
    import botocore.session

    global _LOADER
    session = botocore.session.get_session()
    with _LOADER_LOCK:
        if _LOADER is None:
            _LOADER = session.get_component("data_loader")
        else:
            session.register_component("data_loader", _LOADER)
    return session


def transient_reason(exc: BaseException) -> str | None:
    """A short reason if ``exc`` is worth retrying (connection trouble, 5xx, throttling)."""
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return type(exc).__name__
    if isinstance(exc, ClientError):
        code, status = _code(exc), _status(exc)
        if code in TRANSIENT_CODES or (status >= 500 and code != "NotImplemented"
                                       and status != 501) or status in (408, 429):
            return code if code == str(status) else f"{code} (HTTP {status})"
    return None

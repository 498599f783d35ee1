"""Storage backends against real servers: moto, and a minimal S3 without checksums."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from archive.storage import (
    IntegrityError,
    ObjectExistsError,
    ObjectNotFoundError,
    StorageConfigError,
    TransientStorageError,
    open_storage,
    s3_options_from_settings,
)
from archive.storage.local import LocalStorage
from archive.storage.s3 import MIB, S3Storage
from tests.servers.s3 import FaultProxy
from tests.servers.s3_fixtures import Bucket

FAST_RETRIES: dict[str, Any] = {"retry_base_delay": 0.01, "retry_max_delay": 0.05}


def s3(bucket: Bucket, prefix: str = "arch", **options: object) -> S3Storage:
    return S3Storage(bucket.name, prefix, endpoint_url=bucket.endpoint_url,
                     addressing_style="path", **{**FAST_RETRIES, **options})  # type: ignore[arg-type]


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- choosing a backend ---------------------------------------------------------------------


def test_open_storage_by_scheme(tmp_path: Path) -> None:
    assert isinstance(open_storage(tmp_path), LocalStorage)
    assert isinstance(open_storage(f"file://{tmp_path}"), LocalStorage)
    storage = open_storage("s3://bucket/some/prefix/", endpoint_url="http://127.0.0.1:9",
                           region="eu-west-1", addressing_style="path", profile="archive")
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix) == ("bucket", "some/prefix")
    assert storage.describe() == {"uri": "s3://bucket/some/prefix",
                                  "endpoint_url": "http://127.0.0.1:9", "region": "eu-west-1",
                                  "addressing_style": "path", "profile": "archive"}


def test_open_storage_rejects_bad_configuration() -> None:
    with pytest.raises(StorageConfigError, match="unsupported storage scheme 'gs'"):
        open_storage("gs://bucket")
    with pytest.raises(StorageConfigError, match="needs a bucket"):
        open_storage("s3://")
    with pytest.raises(StorageConfigError, match="ADDRESSING_STYLE"):
        open_storage("s3://bucket", addressing_style="sideways")
    with pytest.raises(StorageConfigError, match="ENDPOINT_URL"):
        open_storage("s3://bucket", endpoint_url="ftp://example.com")


def test_endpoint_userinfo_is_never_described() -> None:
    storage = open_storage("s3://bucket", endpoint_url="http://user:pw@127.0.0.1:9000/")
    assert storage.describe()["endpoint_url"] == "http://127.0.0.1:9000/"


def test_s3_options_from_settings() -> None:
    settings = {"STORAGE_S3_ENDPOINT_URL": "http://127.0.0.1:9", "STORAGE_S3_REGION": "",
                "STORAGE_S3_ADDRESSING_STYLE": "path", "STORAGE_S3_PROFILE": None}
    assert s3_options_from_settings(settings) == {"endpoint_url": "http://127.0.0.1:9",
                                                  "addressing_style": "path"}


# --- the local backend ----------------------------------------------------------------------


def test_local_put_head_range_list_and_no_overwrite(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "archive")
    data = b"0123456789" * 100
    source = write(tmp_path / "spool" / "a.bin", data)
    info = storage.put_file("warc/site/a.warc.gz", source)
    assert (info.size, info.sha256) == (1000, sha(data))
    assert storage.head("warc/site/a.warc.gz") is not None
    assert storage.head("warc/site/missing") is None
    assert storage.read_range("warc/site/a.warc.gz", 995, 10) == b"56789"
    assert storage.read("warc/site/a.warc.gz") == data
    assert storage.put_file("warc/site/a.warc.gz", source).verified_by == "existing"
    other = write(tmp_path / "spool" / "b.bin", b"different")
    with pytest.raises(ObjectExistsError):
        storage.put_file("warc/site/a.warc.gz", other)
    assert storage.read("warc/site/a.warc.gz") == data
    storage.put_file("warc/site2/b", other)
    assert [i.key for i in storage.list("warc/site/")] == ["warc/site/a.warc.gz"]
    assert [i.key for i in storage.list("warc/")] == ["warc/site/a.warc.gz", "warc/site2/b"]
    assert [i.key for i in storage.list("warc/si")] == ["warc/site/a.warc.gz", "warc/site2/b"]
    with pytest.raises(ObjectNotFoundError):
        storage.read("nope")
    with pytest.raises(ValueError):
        storage.put_file("../escape", source)


def test_local_put_refuses_a_file_that_changed(tmp_path: Path) -> None:
    source = write(tmp_path / "a.bin", b"new content")
    with pytest.raises(IntegrityError, match="changed"):
        LocalStorage(tmp_path / "archive").put_file("k", source, sha256=sha(b"old content"))
    assert LocalStorage(tmp_path / "archive").head("k") is None


# --- S3: moto and the minimal server ---------------------------------------------------------


def test_put_head_range_list_and_no_overwrite(any_bucket: Bucket, tmp_path: Path) -> None:
    storage = s3(any_bucket)
    data = os.urandom(3000)
    source = write(tmp_path / "a.bin", data)
    info = storage.put_file("warc/site/2026/01/02/c-00000.warc.gz", source)
    assert (info.size, info.sha256) == (3000, sha(data))
    assert info.verified_by == ("checksum" if any_bucket.server == "moto" else "etag")
    assert any_bucket.keys() == ["arch/warc/site/2026/01/02/c-00000.warc.gz"]

    head = storage.head("warc/site/2026/01/02/c-00000.warc.gz")
    assert head is not None and (head.size, head.sha256) == (3000, sha(data))
    assert storage.head("warc/site/2026/01/02/missing") is None
    assert storage.read_range("warc/site/2026/01/02/c-00000.warc.gz", 100, 50) == data[100:150]
    assert storage.read("warc/site/2026/01/02/c-00000.warc.gz") == data
    with pytest.raises(ObjectNotFoundError):
        storage.read("warc/nope")

    # The same content again is a no-op; different content is a clash, never a replace.
    assert storage.put_file("warc/site/2026/01/02/c-00000.warc.gz", source).verified_by == \
        "existing"
    other = write(tmp_path / "b.bin", os.urandom(3000))
    with pytest.raises(ObjectExistsError):
        storage.put_file("warc/site/2026/01/02/c-00000.warc.gz", other)
    assert storage.read("warc/site/2026/01/02/c-00000.warc.gz") == data

    storage.put_file("crawls/c.json", write(tmp_path / "m.json", b"{}"))
    assert [i.key for i in storage.list("warc/")] == ["warc/site/2026/01/02/c-00000.warc.gz"]
    assert [i.key for i in storage.list()] == ["crawls/c.json",
                                               "warc/site/2026/01/02/c-00000.warc.gz"]
    storage.delete("crawls/c.json")
    assert storage.head("crawls/c.json") is None


def test_multipart_put_is_verified(any_bucket: Bucket, tmp_path: Path) -> None:
    storage = s3(any_bucket, multipart_threshold=5 * MIB, part_size=5 * MIB)
    data = os.urandom(11 * MIB)
    started: list[str] = []
    info = storage.put_file("warc/big.warc.gz", write(tmp_path / "big", data),
                            on_multipart=started.append)
    assert len(started) == 1
    assert info.verified_by == ("checksum" if any_bucket.server == "moto" else "etag")
    assert any_bucket.get("arch/warc/big.warc.gz") == data
    head = storage.head("warc/big.warc.gz")
    assert head is not None and head.sha256 == sha(data)


def test_opaque_etags_fall_back_to_reading_back(opaque_etag_bucket: Bucket,
                                                tmp_path: Path) -> None:
    storage = s3(opaque_etag_bucket, multipart_threshold=5 * MIB, part_size=5 * MIB)
    small = storage.put_file("a", write(tmp_path / "a", b"hello"))
    large = storage.put_file("b", write(tmp_path / "b", os.urandom(6 * MIB)))
    assert (small.verified_by, large.verified_by) == ("read", "read")


def test_list_pages_through_many_keys(minimal_bucket: Bucket, tmp_path: Path) -> None:
    for n in range(7):
        minimal_bucket.put(f"arch/articles/{n}.jsonl.gz", b"x")
    storage = s3(minimal_bucket)
    storage.client.meta.events.register(
        "before-parameter-build.s3.ListObjectsV2",
        lambda params, **_: params.__setitem__("MaxKeys", 3))
    assert [i.key for i in storage.list("articles/")] == [f"articles/{n}.jsonl.gz"
                                                          for n in range(7)]


def test_a_racing_writer_is_caught_by_if_none_match(moto_bucket: Bucket, tmp_path: Path) -> None:
    class Racing(S3Storage):
        """Someone creates the key between our HEAD and our PUT."""

        raced = False

        def _existing(self, key: str, size: int, sha256: str):  # type: ignore[no-untyped-def]
            if not self.raced:
                self.raced = True
                moto_bucket.put(self._key(key), b"theirs")
                return None
            return super()._existing(key, size, sha256)

    storage = Racing(moto_bucket.name, endpoint_url=moto_bucket.endpoint_url, **FAST_RETRIES)
    with pytest.raises(ObjectExistsError):
        storage.put_file("k", write(tmp_path / "k", b"ours"))
    assert moto_bucket.get("k") == b"theirs"


def test_object_lock_bucket(locked_bucket: Bucket, tmp_path: Path) -> None:
    storage = s3(locked_bucket, multipart_threshold=5 * MIB, part_size=5 * MIB)
    source = write(tmp_path / "a", b"locked" * 100)
    assert storage.put_file("a", source).verified_by == "checksum"
    big = write(tmp_path / "b", os.urandom(5 * MIB + 1))
    assert storage.put_file("b", big).verified_by == "checksum"
    assert storage.put_file("a", source).verified_by == "existing"
    versions = locked_bucket.client.list_object_versions(Bucket=locked_bucket.name)
    assert len(versions["Versions"]) == 2


def test_check_names_a_missing_bucket(moto_bucket: Bucket) -> None:
    storage = S3Storage(f"{moto_bucket.name}-absent", endpoint_url=moto_bucket.endpoint_url,
                        **FAST_RETRIES)
    with pytest.raises(StorageConfigError, match="no such bucket"):
        storage.check()
    s3(moto_bucket).check()


def test_missing_credentials_is_a_config_error(moto_bucket: Bucket,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    with pytest.raises(StorageConfigError, match="credential chain"):
        s3(moto_bucket).check()


def test_unknown_profile_is_a_config_error(moto_bucket: Bucket) -> None:
    with pytest.raises(StorageConfigError, match="no AWS profile 'nobody'"):
        s3(moto_bucket, profile="nobody").check()


def test_retries_through_503_and_refused_connections(moto_bucket: Bucket, fault_proxy: FaultProxy,
                                                     tmp_path: Path) -> None:
    storage = S3Storage(moto_bucket.name, endpoint_url=fault_proxy.url, **FAST_RETRIES)
    data = os.urandom(2000)
    fault_proxy.fail_next(4, "503")
    assert storage.put_file("a", write(tmp_path / "a", data)).verified_by == "checksum"
    fault_proxy.fail_next(3, "refuse")
    assert storage.read_range("a", 10, 10) == data[10:20]
    assert fault_proxy.failed == 7
    assert moto_bucket.keys() == ["a"] and moto_bucket.get("a") == data


def test_an_empty_file(any_bucket: Bucket, tmp_path: Path) -> None:
    storage = s3(any_bucket)
    info = storage.put_file("empty", write(tmp_path / "empty", b""))
    assert info.size == 0 and storage.read("empty") == b""
    assert storage.read_range("empty", 0, 10) == b""


def test_journaled_multipart_uploads_are_aborted(any_bucket: Bucket) -> None:
    """Resume aborts what a dead process left, even where uploads cannot be listed."""
    storage = s3(any_bucket)
    upload_id = storage.client.create_multipart_upload(
        Bucket=any_bucket.name, Key="arch/warc/a.warc.gz")["UploadId"]
    storage.client.upload_part(Bucket=any_bucket.name, Key="arch/warc/a.warc.gz",
                               UploadId=upload_id, PartNumber=1, Body=b"part")
    assert storage.abort_uploads("warc/a.warc.gz", [upload_id]) == 1
    assert storage.abort_uploads("warc/a.warc.gz", [upload_id]) == 0  # already gone
    assert any_bucket.keys() == []


def test_a_failed_multipart_upload_is_never_an_object(moto_bucket: Bucket,
                                                       fault_proxy: FaultProxy,
                                                       tmp_path: Path) -> None:
    """Storage goes down mid-upload: the abort cannot reach it either, so the upload is
    left incomplete (invisible) until a resume clears it."""
    storage = S3Storage(moto_bucket.name, endpoint_url=fault_proxy.url, retry_attempts=2,
                        client_attempts=1, multipart_threshold=5 * MIB, part_size=5 * MIB,
                        part_concurrency=2,
                        **FAST_RETRIES)

    def storage_goes_down(params: dict[str, Any], **_: Any) -> None:
        if params["PartNumber"] == 3:
            fault_proxy.set_mode("503")

    storage.client.meta.events.register("provide-client-params.s3.UploadPart", storage_goes_down)
    with pytest.raises(TransientStorageError, match="UploadPart"):
        storage.put_file("big", write(tmp_path / "big", os.urandom(16 * MIB)))
    fault_proxy.set_mode("pass")
    assert moto_bucket.keys() == []
    assert storage.abort_uploads("big") == 1  # found by listing, as on resume
    assert not moto_bucket.client.list_multipart_uploads(Bucket=moto_bucket.name).get("Uploads")

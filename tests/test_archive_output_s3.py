"""Uploads from the spool: verified, ordered, fault tolerant, resumable after kill -9."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from archive.output import LocalOutput, SpoolOutput, open_output, output_options_from_settings
from archive.storage import SpoolBusyError, SpoolFullError
from archive.storage.s3 import MIB
from archive.storage.spool import JOURNAL, Spool
from crawler.cli import upload_cmd
from tests.servers.s3 import FaultProxy
from tests.servers.s3_fixtures import FAKE_CREDENTIALS, Bucket

ROOT = Path(__file__).resolve().parents[1]
FAST = {"retry_base_delay": 0.01, "retry_max_delay": 0.1}
WARC_A = "warc/site/2026/01/02/c1-00000.warc.gz"
WARC_B = "warc/site/2026/01/02/c1-00001.warc.gz"
ARTICLES = "articles/site/2026/01/02/c1.jsonl.gz"
MANIFEST = "crawls/c1.json"


def output_for(bucket: Bucket, tmp_path: Path, endpoint: str | None = None,
               **storage: Any) -> SpoolOutput:
    output = open_output(
        bucket.uri, spool_dir=tmp_path / "spool", min_free_bytes=0,
        storage_options={"endpoint_url": endpoint or bucket.endpoint_url,
                         "addressing_style": "path", **FAST, **storage})
    assert isinstance(output, SpoolOutput)
    return output


def close_file(output: Any, key: str, data: bytes) -> None:
    output.local_path(key).write_bytes(data)
    stored = output.file_closed(key)
    assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def upload_pending_cli(spool: Path, *extra: str) -> int:
    parser = argparse.ArgumentParser()
    upload_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["upload", "--pending", str(spool), *extra])
    status: int = args.func(args)
    return status


def journal(spool: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (spool / JOURNAL).read_text().splitlines()]


def test_local_output_keeps_its_api(tmp_path: Path) -> None:
    output = open_output(f"file://{tmp_path}/out")
    assert isinstance(output, LocalOutput)
    close_file(output, WARC_A, b"warc")
    assert (tmp_path / "out" / WARC_A).read_bytes() == b"warc"
    assert output.finish() == [] and [f.key for f in output.files] == [WARC_A]


def test_a_writer_may_pass_the_hash_it_computed(moto_bucket: Bucket, tmp_path: Path) -> None:
    output = output_for(moto_bucket, tmp_path)
    output.local_path(WARC_A).write_bytes(b"abc")
    output.local_path(WARC_B).write_bytes(b"def")
    output.file_closed(WARC_A, size=3, sha256=hashlib.sha256(b"abc").hexdigest())
    output.file_closed(WARC_B, size=3, sha256=hashlib.sha256(b"not def").hexdigest())
    with pytest.raises(ValueError, match="the writer says 4"):
        output.file_closed(WARC_B, size=4)
    assert output.finish() == [WARC_B]  # the upload re-hashes and refuses the mismatch
    assert output.stats["s3/upload_failed/integrity"] == 1
    assert moto_bucket.keys() == [WARC_A]


def test_output_options_from_settings(tmp_path: Path) -> None:
    settings = {"STORAGE_S3_ENDPOINT_URL": "http://127.0.0.1:9", "STORAGE_SPOOL_DIR": "/sp",
                "STORAGE_SPOOL_MIN_FREE": "1000", "STORAGE_UPLOAD_WORKERS": 3}
    assert output_options_from_settings(settings) == {
        "storage_options": {"endpoint_url": "http://127.0.0.1:9"}, "spool_root": "/sp",
        "min_free_bytes": 1000, "workers": 3}


def test_files_are_uploaded_verified_and_the_manifest_last(any_bucket: Bucket,
                                                           tmp_path: Path) -> None:
    output = output_for(any_bucket, tmp_path, multipart_threshold=5 * MIB, part_size=5 * MIB)
    created: list[str] = []
    for operation in ("PutObject", "CreateMultipartUpload"):
        output.storage.client.meta.events.register(  # type: ignore[attr-defined]
            f"provide-client-params.s3.{operation}",
            lambda params, **_: created.append(params["Key"]))
    files = {WARC_A: os.urandom(6 * MIB), WARC_B: os.urandom(1000), ARTICLES: b"{}\n",
             MANIFEST: b'{"manifest_version": 1}'}
    for key, data in files.items():
        close_file(output, key, data)
    assert output.finish() == []
    assert sorted(any_bucket.keys()) == sorted(files)
    for key, data in files.items():
        assert any_bucket.get(key) == data
    assert created[-1] == MANIFEST and sorted(created) == sorted(files)
    assert not output.spool_dir.exists()
    assert output.stats["s3/uploaded"] == 4
    verified = "checksum" if any_bucket.server == "moto" else "etag"
    assert output.stats[f"s3/verified_by/{verified}"] == 4


def test_finish_may_be_called_before_and_after_the_manifest(moto_bucket: Bucket,
                                                            tmp_path: Path) -> None:
    output = output_for(moto_bucket, tmp_path)
    close_file(output, WARC_A, b"a")
    assert output.finish() == []
    assert moto_bucket.keys() == [WARC_A] and not output.spool_dir.exists()
    close_file(output, MANIFEST, b"{}")
    assert output.finish() == [] and output.finish() == []
    assert sorted(moto_bucket.keys()) == [MANIFEST, WARC_A]
    assert output.stats["s3/uploaded"] == 2 and not output.spool_dir.exists()


def test_a_manifest_after_an_earlier_failure_is_held_back(moto_bucket: Bucket,
                                                          tmp_path: Path) -> None:
    moto_bucket.put(WARC_B, b"clash")
    output = output_for(moto_bucket, tmp_path)
    close_file(output, WARC_B, b"b")
    assert output.finish() == [WARC_B]
    close_file(output, MANIFEST, b"{}")
    assert output.finish() == [MANIFEST, WARC_B]
    assert moto_bucket.keys() == [WARC_B]


def test_a_failed_file_holds_back_the_manifest_until_upload_pending(
        moto_bucket: Bucket, tmp_path: Path) -> None:
    moto_bucket.put(WARC_B, b"someone else's object")
    output = output_for(moto_bucket, tmp_path)
    close_file(output, WARC_A, b"a")
    close_file(output, WARC_B, b"b")
    close_file(output, MANIFEST, b"{}")
    assert output.finish() == [MANIFEST, WARC_B]
    assert output.stats["s3/upload_failed/exists"] == 1
    assert sorted(moto_bucket.keys()) == [WARC_A, WARC_B]
    spool = output.spool_dir
    pending, _ = Spool(spool).read_journal()
    assert sorted(pending) == [MANIFEST, WARC_B]
    assert (spool / "files" / WARC_B).read_bytes() == b"b"

    assert upload_pending_cli(spool) == 1  # the clash is still there: nothing overwritten
    assert moto_bucket.get(WARC_B) == b"someone else's object"
    moto_bucket.client.delete_object(Bucket=moto_bucket.name, Key=WARC_B)
    assert upload_pending_cli(spool) == 0
    assert moto_bucket.get(WARC_B) == b"b" and moto_bucket.get(MANIFEST) == b"{}"
    assert not spool.exists()


def test_503_then_recovery_stores_every_object_once(moto_bucket: Bucket, fault_proxy: FaultProxy,
                                                    tmp_path: Path) -> None:
    output = output_for(moto_bucket, tmp_path, endpoint=fault_proxy.url, retry_attempts=30,
                        multipart_threshold=5 * MIB, part_size=5 * MIB)
    fault_proxy.set_mode("503")
    files = {f"warc/s/2026/01/02/c-{n:05d}.warc.gz": os.urandom(2000 + n) for n in range(5)}
    files[WARC_A] = os.urandom(5 * MIB + 10)
    for key, data in files.items():
        close_file(output, key, data)
    # Every close returned while storage answered nothing but 503: file_closed hands the
    # upload on and never waits for storage.
    assert moto_bucket.keys() == []
    deadline = time.monotonic() + 60
    while fault_proxy.failed < 8:  # the uploads retry into the outage
        assert time.monotonic() < deadline, f"only {fault_proxy.failed} uploads tried"
        time.sleep(0.01)  # a probe interval
    fault_proxy.set_mode("pass")
    assert output.finish() == []
    assert sorted(moto_bucket.keys()) == sorted(files)
    for key, data in files.items():
        head = moto_bucket.client.head_object(Bucket=moto_bucket.name, Key=key,
                                              ChecksumMode="ENABLED")
        assert head["Metadata"]["sha256"] == hashlib.sha256(data).hexdigest()
        assert head["ChecksumSHA256"]
        assert moto_bucket.get(key) == data
    assert not moto_bucket.client.list_multipart_uploads(Bucket=moto_bucket.name).get("Uploads")
    assert fault_proxy.failed >= 8 and output.stats["s3/retries"] >= 1


def test_storage_down_leaves_a_journal_that_upload_pending_finishes(
        moto_bucket: Bucket, fault_proxy: FaultProxy, tmp_path: Path) -> None:
    output = output_for(moto_bucket, tmp_path, endpoint=fault_proxy.url, retry_attempts=2)
    fault_proxy.set_mode("refuse")
    close_file(output, WARC_A, b"a" * 100)
    close_file(output, MANIFEST, b"{}")
    assert output.finish() == [MANIFEST, WARC_A]
    assert output.stats["s3/upload_failed/unavailable"] == 1
    spool = output.spool_dir
    records = journal(spool)
    assert {(r["op"], r["key"]) for r in records} == {("pending", WARC_A), ("pending", MANIFEST)}
    assert records[0]["target"]["endpoint_url"] == fault_proxy.url
    fault_proxy.set_mode("pass")
    assert upload_pending_cli(spool.parent) == 0  # a directory of spools works too
    assert sorted(moto_bucket.keys()) == [MANIFEST, WARC_A]


KILLED_UPLOAD = """
import sys
from archive.output import open_output
out = open_output(sys.argv[1], spool_dir=sys.argv[2], min_free_bytes=0, storage_options={
    "endpoint_url": sys.argv[3], "addressing_style": "path",
    "multipart_threshold": 5 << 20, "part_size": 5 << 20})
with open(out.local_path(sys.argv[4]), "wb") as handle:
    handle.write(bytes(range(256)) * (11 << 12))
out.file_closed(sys.argv[4])
print("CLOSED", flush=True)
out.finish()
"""


def test_kill_9_during_a_multipart_upload_then_resume(moto_bucket: Bucket, fault_proxy: FaultProxy,
                                                      tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    fault_proxy.throttle(6 * MIB)  # slow enough to be caught mid-upload
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_UPLOAD, moto_bucket.uri, str(spool), fault_proxy.url,
         WARC_A], cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"CLOSED\n"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # probe until a part is stored, then kill
            uploads = moto_bucket.client.list_multipart_uploads(
                Bucket=moto_bucket.name).get("Uploads", [])
            if uploads and moto_bucket.client.list_parts(
                    Bucket=moto_bucket.name, Key=WARC_A,
                    UploadId=uploads[0]["UploadId"]).get("Parts"):
                break
            time.sleep(0.02)
        else:
            pytest.fail("the upload never got going")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    fault_proxy.throttle(None)

    assert moto_bucket.keys() == []  # an incomplete multipart upload is never an object
    assert len(moto_bucket.client.list_multipart_uploads(Bucket=moto_bucket.name)["Uploads"]) == 1
    assert (spool / "files" / WARC_A).stat().st_size == 11 * MIB
    assert [r["op"] for r in journal(spool)] == ["pending", "multipart"]

    assert upload_pending_cli(spool, "--endpoint-url", moto_bucket.endpoint_url) == 0
    data = bytes(range(256)) * (11 << 12)
    assert moto_bucket.get(WARC_A) == data
    head = moto_bucket.client.head_object(Bucket=moto_bucket.name, Key=WARC_A)
    assert head["Metadata"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert not moto_bucket.client.list_multipart_uploads(Bucket=moto_bucket.name).get("Uploads")
    assert not spool.exists()


def test_a_full_spool_is_a_clear_error_and_nothing_is_reported(moto_bucket: Bucket,
                                                              tmp_path: Path) -> None:
    output = output_for(moto_bucket, tmp_path)
    output.spool.min_free_bytes = output.spool.free_bytes() + 10**12
    with pytest.raises(SpoolFullError, match="bytes free"):
        output.local_path(WARC_A)
    output.spool.min_free_bytes = 0
    # The kernel's own ENOSPC: the journal on /dev/full.
    (output.spool_dir / JOURNAL).unlink(missing_ok=True)
    (output.spool_dir / JOURNAL).symlink_to("/dev/full")
    output.local_path(WARC_A).write_bytes(b"data")
    with pytest.raises(SpoolFullError, match="No space left"):
        output.file_closed(WARC_A)
    assert output.files == []
    (output.spool_dir / JOURNAL).unlink()
    assert output.finish() == []
    assert moto_bucket.keys() == []


def test_a_spool_has_one_owner(moto_bucket: Bucket, tmp_path: Path) -> None:
    output = output_for(moto_bucket, tmp_path)
    close_file(output, WARC_A, b"a")
    with pytest.raises(SpoolBusyError, match=str(os.getpid())):
        output_for(moto_bucket, tmp_path)
    assert output.finish() == []


def test_versioned_object_lock_bucket(locked_bucket: Bucket, tmp_path: Path) -> None:
    output = output_for(locked_bucket, tmp_path)
    close_file(output, WARC_A, b"a")
    close_file(output, MANIFEST, b"{}")
    assert output.finish() == []
    assert sorted(locked_bucket.keys()) == [MANIFEST, WARC_A]


def test_no_credential_reaches_objects_journal_or_logs(moto_bucket: Bucket, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    output = output_for(moto_bucket, tmp_path)
    close_file(output, WARC_A, b"a")
    moto_bucket.put(WARC_B, b"clash")
    close_file(output, WARC_B, b"b")
    close_file(output, MANIFEST, b"{}")
    assert output.finish() == [MANIFEST, WARC_B]
    written = [p.read_bytes() for p in output.spool_dir.rglob("*") if p.is_file()]
    moto_bucket.client.delete_object(Bucket=moto_bucket.name, Key=WARC_B)
    assert upload_pending_cli(output.spool_dir) == 0
    written += [moto_bucket.get(key) for key in moto_bucket.keys()]  # noqa: SIM118 - a bucket listing
    captured = capsys.readouterr()
    lines = [r.getMessage() for r in caplog.records]
    assert any(r.name.startswith("archive") for r in caplog.records)
    assert any(r.name == "botocore.endpoint" for r in caplog.records)  # signed requests
    for secret in FAKE_CREDENTIALS:
        for blob in written:
            assert secret.encode() not in blob
        assert secret not in captured.out + captured.err
        assert not [line for line in lines if secret in line]

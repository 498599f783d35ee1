"""End to end: `newsarchive crawl --storage s3://…` with the real CLI against moto, through
faults, a storage outage, a kill -9 mid-upload, and misconfiguration; then `upload --pending`
and `verify` as a user would run them."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.servers.s3 import FaultProxy
from tests.servers.s3_fixtures import FAKE_CREDENTIALS, Bucket

pytestmark = [pytest.mark.e2e, pytest.mark.s3]

PREFIX = "archive/run"
# Fast retries: a fault test should spend its time in the outage, not in backoff.
FAST_RETRIES = ("-s", "STORAGE_S3_RETRY_BASE_DELAY=0.1", "-s", "STORAGE_S3_RETRY_MAX_DELAY=0.5")


def with_faulthandler(env: dict[str, str] | None) -> dict[str, str]:
    """A crash in C code (seen once: SIGABRT at interpreter exit) prints the Python stacks
    into the output the failing assertion shows."""
    return {**(os.environ if env is None else env), "PYTHONFAULTHANDLER": "1"}


def newsarchive(*args: str, cwd: Path, env: dict[str, str] | None = None,
                timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True, check=False,
                          text=True, timeout=timeout, cwd=cwd, env=with_faulthandler(env))


def newsarchive_popen(*args: str, cwd: Path, env: dict[str, str] | None = None
                      ) -> subprocess.Popen[str]:
    """In its own process group, so that its extraction workers can be cleaned up."""
    return subprocess.Popen([sys.executable, "-m", "crawler", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env=with_faulthandler(env), start_new_session=True)


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL what is left of a crawl started by :func:`newsarchive_popen` (its worker
    processes outlive a killed crawler and would hold its output pipes open)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def no_credentials(*blobs: str | bytes) -> None:
    for secret in FAKE_CREDENTIALS:
        for blob in blobs:
            assert (secret.encode() if isinstance(blob, bytes) else secret) not in blob


def write_site(server: Any, path: Path, **overrides: Any) -> Path:
    config = {**server.site.site_config(server.base_url), **overrides}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def storage_args(uri: str, endpoint: str, spool_root: Path, *extra: str) -> list[str]:
    return ["--storage", uri, "-s", f"STORAGE_S3_ENDPOINT_URL={endpoint}",
            "-s", "STORAGE_S3_ADDRESSING_STYLE=path", "-s", f"STORAGE_SPOOL_DIR={spool_root}",
            *extra]


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr[-6000:]}"


@dataclass
class Stored:
    """What a bucket holds under a prefix, with the crawl manifests parsed."""

    objects: dict[str, bytes]
    manifests: dict[str, dict[str, Any]]


def stored(bucket: Bucket, prefix: str = PREFIX) -> Stored:
    keys = [k for k in bucket.keys()  # noqa: SIM118 - a bucket listing
            if k.startswith(prefix + "/")]
    objects = {k[len(prefix) + 1:]: bucket.get(k) for k in keys}
    manifests = {k: json.loads(v) for k, v in objects.items() if k.startswith("crawls/")}
    return Stored(objects, manifests)


def assert_complete(bucket: Bucket, prefix: str = PREFIX, crawls: int = 1) -> Stored:
    """Every object listed once by a manifest, with its size and sha256; nothing else, no
    multipart upload left; a WARC, its CDXJ index and the JSONL for every crawl."""
    found = stored(bucket, prefix)
    assert len(found.manifests) == crawls, sorted(found.objects)
    listed: list[str] = []
    for key, manifest in found.manifests.items():
        assert key == f"crawls/{manifest['crawl_id']}.json"
        kinds = {f["kind"] for f in manifest["files"]}
        assert {"warc", "cdxj"} <= kinds, manifest["files"]
        for entry in manifest["files"]:
            data = found.objects.get(entry["key"])
            assert data is not None, f"{entry['key']} listed but not stored"
            assert len(data) == entry["size"], entry["key"]
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["key"]
            listed.append(entry["key"])
        warcs = [f["key"] for f in manifest["files"] if f["kind"] == "warc"]
        for warc in warcs:
            assert warc.startswith("warc/demo/") and warc.endswith(".warc.gz")
            index = "indexes/" + warc[len("warc/"):].removesuffix(".warc.gz") + ".cdxj"
            assert index in listed, f"no index for {warc}"
    assert len(listed) == len(set(listed)), "an object listed twice"
    assert sorted(listed + list(found.manifests)) == sorted(found.objects)
    uploads = bucket.client.list_multipart_uploads(Bucket=bucket.name).get("Uploads", [])
    assert not uploads, "a multipart upload was left behind"
    return found


def verify(uri: str, endpoint: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return newsarchive("verify", uri, "--endpoint-url", endpoint, "--addressing-style", "path",
                       cwd=cwd)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)  # a probe interval


def spools(spool_root: Path) -> list[Path]:
    return [p for p in spool_root.iterdir() if p.is_dir()] if spool_root.is_dir() else []


def journaled(spool_root: Path) -> bool:
    return any((spool / "journal.jsonl").exists() for spool in spools(spool_root))


def finish(proc: subprocess.Popen[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    stdout, stderr = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


# --- a clean crawl -----------------------------------------------------------------------------


def test_crawl_to_s3_stores_everything_manifest_last_and_verifies(
        news_site: Any, moto_bucket: Bucket, tmp_path: Path) -> None:
    spool_root = tmp_path / "spool"
    uri = f"{moto_bucket.uri}/{PREFIX}"
    site = write_site(news_site, tmp_path / "site.yaml")
    # The endpoint from the environment (as boto3 reads it), not a setting.
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_bucket.endpoint_url}
    proc = newsarchive("crawl", str(site), "--storage", uri, "-v",
                       "-s", f"STORAGE_SPOOL_DIR={spool_root}", cwd=tmp_path, env=env)
    assert proc.returncode == 0, output(proc)
    assert "Traceback" not in proc.stderr

    found = assert_complete(moto_bucket)
    (manifest,) = found.manifests.values()
    assert manifest["status"] == "complete" and manifest["not_stored"] == []
    assert {f["kind"] for f in manifest["files"]} == {"warc", "cdxj", "jsonl"}
    assert manifest["counts"]["articles"] == len(news_site.site.article_truth(news_site.base_url))
    assert f"{uri}/crawls/{manifest['crawl_id']}.json" in proc.stdout
    # The upload log: the manifest is stored after every other object.
    order = [line.split(" stored ", 1)[1].split()[0] for line in proc.stderr.splitlines()
             if "[archive.storage.uploader] INFO: stored " in line]
    assert sorted(order) == sorted(found.objects)
    assert order[-1] == f"crawls/{manifest['crawl_id']}.json"
    assert spools(spool_root) == [], "the spool is removed once everything is stored"

    check = newsarchive("verify", uri, cwd=tmp_path, env=env)
    assert check.returncode == 0, output(check)
    assert check.stdout.startswith(f"OK {uri}: 1 crawl manifest(s), 3 object(s)")
    no_credentials(*found.objects.values(), proc.stdout, proc.stderr, check.stdout, check.stderr)


# --- faults ------------------------------------------------------------------------------------


def test_503_and_refused_connections_mid_crawl_every_object_once(
        news_site: Any, moto_bucket: Bucket, fault_proxy: FaultProxy, tmp_path: Path) -> None:
    spool_root = tmp_path / "spool"
    uri = f"{moto_bucket.uri}/{PREFIX}"
    site = write_site(news_site, tmp_path / "site.yaml", download_delay=0.05, concurrency=2)
    proc = newsarchive_popen(
        "crawl", str(site), *storage_args(uri, fault_proxy.url, spool_root,
                                          "-s", "WARC_MAX_SIZE=20000", *FAST_RETRIES),
        cwd=tmp_path)
    try:
        # Faults once uploads are under way (the first rotated WARC closed), for a while.
        wait_until(lambda: journaled(spool_root), 60, "the first closed file")
        for mode in ("503", "refuse"):  # each outage lasts until uploads have retried into it
            failed = fault_proxy.failed
            fault_proxy.set_mode(mode)
            wait_until(lambda: fault_proxy.failed >= failed + 3, 60,  # noqa: B023
                       f"uploads to retry against {mode}")
        fault_proxy.set_mode("pass")
        result = finish(proc)
    finally:
        kill_group(proc)
    assert result.returncode == 0, output(result)
    assert fault_proxy.failed > 0, "the faults never reached an upload"
    found = assert_complete(moto_bucket)
    (manifest,) = found.manifests.values()
    assert manifest["status"] == "complete"
    assert len([f for f in manifest["files"] if f["kind"] == "warc"]) >= 3  # rotated
    assert manifest["counts"]["uploaded"] >= 1
    assert spools(spool_root) == []
    check = verify(uri, moto_bucket.endpoint_url, tmp_path)
    assert check.returncode == 0, output(check)


def test_storage_down_at_the_end_then_upload_pending(
        news_site: Any, moto_bucket: Bucket, fault_proxy: FaultProxy, tmp_path: Path) -> None:
    spool_root = tmp_path / "spool"
    uri = f"{moto_bucket.uri}/{PREFIX}"
    site = write_site(news_site, tmp_path / "site.yaml")
    first = len(news_site.request_log)
    proc = newsarchive_popen(
        "crawl", str(site), *storage_args(uri, fault_proxy.url, spool_root,
                                          "-s", "STORAGE_S3_RETRY_ATTEMPTS=2", "-s", "STORAGE_S3_CLIENT_ATTEMPTS=1", *FAST_RETRIES),
        cwd=tmp_path)
    try:
        # Storage goes away once the crawl is fetching (it was checked at start-up).
        wait_until(lambda: len(news_site.request_log) > first, 60, "the crawl to start")
        fault_proxy.set_mode("refuse")
        result = finish(proc)
    finally:
        kill_group(proc)
    assert result.returncode == 1, output(result)
    assert "Traceback" not in result.stderr
    (spool,) = spools(spool_root)
    assert f"newsarchive upload --pending {spool}" in result.stdout, output(result)
    assert "not stored" in result.stdout
    assert stored(moto_bucket).objects == {}
    # The spool is intact: every closed file, the manifest too, journaled as pending.
    records = [json.loads(line) for line in (spool / "journal.jsonl").read_text().splitlines()]
    pending = {r["key"]: r for r in records if r["op"] == "pending"}
    assert not [r for r in records if r["op"] == "done"]
    manifest_key = next(k for k in pending if k.startswith("crawls/"))
    manifest = json.loads((spool / "files" / manifest_key).read_text())
    assert {f["key"] for f in manifest["files"]} | {manifest_key} == set(pending)
    for key, record in pending.items():
        data = (spool / "files" / key).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (record["size"], record["sha256"])

    spooled = [p.read_bytes() for p in spool.rglob("*") if p.is_file()]
    assert (spool / "journal.jsonl").read_bytes() in spooled

    fault_proxy.set_mode("pass")  # storage is back (the journal names the proxy endpoint)
    upload = newsarchive("upload", "--pending", str(spool), cwd=tmp_path)
    assert upload.returncode == 0, output(upload)
    assert not spool.exists()
    found = assert_complete(moto_bucket)
    assert next(iter(found.manifests.values()))["status"] == "complete"
    check = verify(uri, moto_bucket.endpoint_url, tmp_path)
    assert check.returncode == 0, output(check)
    # No credential in any object, the spool (journal included) or any output.
    no_credentials(*found.objects.values(), *spooled)
    no_credentials(*(text for proc in (result, upload, check)
                     for text in (proc.stdout, proc.stderr)))


# --- misconfiguration --------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["missing bucket", "bad endpoint scheme", "bad number"])
def test_misconfigured_storage_exits_2_before_fetching(
        case: str, news_site: Any, moto_bucket: Bucket, tmp_path: Path) -> None:
    uri, endpoint, extra = f"{moto_bucket.uri}/{PREFIX}", moto_bucket.endpoint_url, []
    if case == "missing bucket":
        uri = f"s3://no-such-bucket-{moto_bucket.name[2:]}/{PREFIX}"
    elif case == "bad endpoint scheme":
        endpoint = "ftp://127.0.0.1:21"
    else:
        extra = ["-s", "STORAGE_S3_MULTIPART_THRESHOLD=lots"]
    site = write_site(news_site, tmp_path / "site.yaml")
    first = len(news_site.request_log)
    proc = newsarchive("crawl", str(site), *storage_args(uri, endpoint, tmp_path / "spool",
                                                         *extra), cwd=tmp_path)
    assert proc.returncode == 2, output(proc)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("newsarchive: "), output(proc)
    expected = {"missing bucket": "no such bucket", "bad endpoint scheme": "not an http(s) URL",
                "bad number": "STORAGE_S3_MULTIPART_THRESHOLD"}[case]
    assert expected in lines[0]
    assert len(news_site.request_log) == first, "fetched despite unusable storage"
    assert stored(moto_bucket).objects == {}


# --- kill -9 -----------------------------------------------------------------------------------


def test_kill_9_during_a_multipart_upload_then_upload_pending_recovers(
        news_site: Any, moto_bucket: Bucket, fault_proxy: FaultProxy, tmp_path: Path) -> None:
    spool_root = tmp_path / "spool"
    uri = f"{moto_bucket.uri}/{PREFIX}"
    site = write_site(news_site, tmp_path / "site.yaml", download_delay=0.05, concurrency=2)
    # Every rotated WARC goes up as a multipart upload, through a slow link.
    fault_proxy.throttle(100_000)
    proc = newsarchive_popen(
        "crawl", str(site), *storage_args(uri, fault_proxy.url, spool_root,
                                          "-s", "WARC_MAX_SIZE=40000",
                                          "-s", "STORAGE_S3_MULTIPART_THRESHOLD=10000"),
        cwd=tmp_path)
    client = moto_bucket.client

    def mid_warc_and_mid_upload() -> bool:
        assert proc.poll() is None, "the crawl ended before a multipart upload overlapped a WARC"
        return bool(list(spool_root.rglob("*.warc.gz.open"))
                    and client.list_multipart_uploads(Bucket=moto_bucket.name).get("Uploads"))

    try:
        while True:
            wait_until(mid_warc_and_mid_upload, 90, "a multipart upload while a WARC is open")
            # Frozen, the crawler can neither close its WARC nor finish the upload: if both
            # still hold, that is the state it dies in.
            os.kill(proc.pid, signal.SIGSTOP)
            if mid_warc_and_mid_upload():
                break
            os.kill(proc.pid, signal.SIGCONT)
        os.kill(proc.pid, signal.SIGKILL)  # the crawler alone, as a crash would
        proc.wait(30)
    finally:
        kill_group(proc)
    fault_proxy.throttle(None)

    (spool,) = spools(spool_root)
    assert list(spool.rglob("*.warc.gz.open")), "the crawl was killed mid-WARC"
    # Nothing partial is visible: whatever is stored is whole, no manifest yet.
    records = [json.loads(line) for line in (spool / "journal.jsonl").read_text().splitlines()]
    closed = {r["key"]: r for r in records if r["op"] == "pending"}
    # (The upload id may or may not have reached the journal: either way it is aborted.)
    for key, data in stored(moto_bucket).objects.items():
        assert not key.startswith("crawls/")
        assert hashlib.sha256(data).hexdigest() == closed[key]["sha256"], key

    spooled = [p.read_bytes() for p in spool.rglob("*") if p.is_file()]
    upload = newsarchive("upload", "--pending", str(spool_root), cwd=tmp_path)
    assert upload.returncode == 0, output(upload)
    assert "recovered interrupted crawl" in upload.stdout
    assert not spool.exists()
    found = assert_complete(moto_bucket)
    (manifest,) = found.manifests.values()
    assert manifest["status"] == "recovered"
    assert {f["kind"] for f in manifest["files"]} >= {"warc", "cdxj"}
    check = verify(uri, moto_bucket.endpoint_url, tmp_path)
    assert check.returncode == 0, output(check)
    no_credentials(*found.objects.values(), *spooled, upload.stdout, upload.stderr,
                   check.stdout, check.stderr)

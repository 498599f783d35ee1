"""End to end: a local crawl killed with SIGKILL mid-WARC, then the next crawl into the same
directory recovers it (cut to whole records, indexed, manifested as ``recovered``)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from archive.recovery.warc_files import whole_members
from tests.warc_checks import check_warc

pytestmark = pytest.mark.e2e


def newsarchive(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True, check=False,
                          text=True, timeout=300, cwd=cwd)


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr[-6000:]}"


def whole_records(path: Path) -> int:
    try:
        with open(path, "rb") as handle:
            return sum(1 for _ in whole_members(handle))
    except FileNotFoundError:  # renamed meanwhile
        return 0


def kill_mid_warc(site_yaml: Path, out: Path, cwd: Path, records: int = 12) -> str:
    """Start a (slow) crawl, SIGKILL it once its ``.open`` WARC holds ``records`` records;
    return the killed crawl's id."""
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "crawl", str(site_yaml),
                             "--out", str(out)], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            open_files = list(out.glob("warc/**/*.warc.gz.open"))
            if open_files and whole_records(open_files[0]) >= records:
                break
            assert proc.poll() is None, f"the crawl ended before it was killed: {proc.stderr}"
            assert time.monotonic() < deadline, "the WARC never got its records"
            time.sleep(0.05)  # a probe interval
        os.kill(proc.pid, signal.SIGKILL)  # the crawler alone, as a crash would
        proc.wait(30)
    finally:
        # Its extraction workers outlive it (holding the stderr pipe): end them too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    (open_file,) = out.glob("warc/**/*.warc.gz.open")
    assert not list(out.glob("crawls/*.json")), "no manifest for a killed crawl"
    return open_file.name.split(".warc", 1)[0].rsplit("-", 1)[0]


def test_killed_local_crawl_is_recovered_by_the_next(news_site: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    config = news_site.site.site_config(news_site.base_url)
    slow = tmp_path / "slow.yaml"  # one request at a time, a pause between them
    slow.write_text(yaml.safe_dump({**config, "download_delay": 0.25, "concurrency": 1}))
    killed = kill_mid_warc(slow, out, tmp_path)

    fast = tmp_path / "site.yaml"
    fast.write_text(yaml.safe_dump(config))
    second = newsarchive("crawl", str(fast), "--out", str(out), cwd=tmp_path)
    assert second.returncode == 0, output(second)
    assert f"recovered interrupted crawl {killed}" in second.stdout, output(second)

    assert not list(out.rglob("*.open"))
    manifests = {p.stem: json.loads(p.read_text()) for p in out.glob("crawls/*.json")}
    assert len(manifests) == 2
    recovered = manifests[killed]
    assert recovered["status"] == "recovered"
    assert recovered["problems"] and "interrupted" in recovered["problems"][0]
    keys = {f["kind"]: f["key"] for f in recovered["files"]}
    # the JSONL too when an article was extracted before the kill
    assert {"warc", "cdxj"} <= set(keys) <= {"warc", "cdxj", "jsonl"}
    warc = out / keys["warc"]
    types = check_warc(warc)
    assert types[0] == "warcinfo" and "response" in types
    assert recovered["counts"]["warc_records"] == len(types) >= 12
    index_lines = (out / keys["cdxj"]).read_text().splitlines()
    assert len(index_lines) >= types.count("response")
    assert all(f"{warc.name}" in line for line in index_lines)

    (other,) = (m for m in manifests.values() if m is not recovered)
    assert other["status"] == "complete"
    check = newsarchive("verify", str(out), cwd=tmp_path)
    assert check.returncode == 0, output(check)
    assert check.stdout.startswith(f"OK {out}: 2 crawl manifest(s)")


def test_recovery_beside_a_live_crawl_leaves_it_alone(news_site: Any, tmp_path: Path) -> None:
    """Recovery run again and again while a crawl is alive — before its first WARC, between
    two WARC files, while it closes — never touches it (``archive.crawl_lock``)."""
    from archive.recovery.local_crawl import recover_interrupted_crawls
    from archive.output import LocalOutput

    out = tmp_path / "out"
    config = news_site.site.site_config(news_site.base_url)
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump({**config, "download_delay": 0.05, "concurrency": 1}))
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "crawl", str(site), "--out",
                             str(out), "-s", "WARC_MAX_SIZE=40000"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    attempts = 0
    try:
        while proc.poll() is None:
            if out.is_dir():
                assert recover_interrupted_crawls(LocalOutput(out)) == []
                attempts += 1
            time.sleep(0.02)  # a probe interval
    finally:
        stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stdout + stderr[-4000:]
    assert attempts > 10
    (manifest,) = (json.loads(p.read_text()) for p in out.glob("crawls/*.json"))
    assert manifest["status"] == "complete"
    assert len([f for f in manifest["files"] if f["kind"] == "warc"]) >= 2  # it rotated
    assert not list(out.glob("state/live/*"))
    check = newsarchive("verify", str(out), cwd=tmp_path)
    assert check.returncode == 0, output(check)

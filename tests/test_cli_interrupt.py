"""Ctrl-C on a running crawl (issue 15): the first stops it cleanly and at once, the second
quits at once and says what it left and how to recover it.  Real subprocess, real SIGINT,
a slow local site; every wait is on something observable (a file, a line on stderr)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from archive.recovery.warc_files import whole_members
from tests.warc_checks import check_warc

pytestmark = pytest.mark.e2e
T = TypeVar("T")


def start_crawl(config: dict[str, Any], out: Path) -> subprocess.Popen[str]:
    site = out.parent / "site.yaml"
    site.write_text(yaml.safe_dump(config), encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "crawler", "crawl", str(site), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def responses_in(path: Path) -> int:
    """Whole response records in a WARC, ``.open`` or closed."""
    try:
        with open(path, "rb") as handle:
            return sum(b"WARC-Type: response\r\n" in data[:400] for _, _, data in whole_members(handle))
    except FileNotFoundError:  # renamed meanwhile
        return 0


def wait_for(probe: Callable[[], T | None], proc: subprocess.Popen[str], what: str) -> T:
    deadline = time.monotonic() + 120
    while True:
        found = probe()
        if found:
            return found
        assert proc.poll() is None, f"the crawl ended before {what}"
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.05)  # a probe interval


def open_warc(out: Path, responses: int) -> Callable[[], tuple[Path, int] | None]:
    def probe() -> tuple[Path, int] | None:
        for path in out.glob("warc/**/*.warc.gz.open"):
            count = responses_in(path)
            if count >= responses:
                return path, count
        return None
    return probe


def test_first_ctrl_c_stops_at_once_and_closes_the_archive(tmp_path: Path, news_site: Any) -> None:
    config = {**news_site.site.site_config(news_site.base_url), "download_delay": 0.4,
              "concurrency": 1}
    out = tmp_path / "out"
    proc = start_crawl(config, out)
    try:
        warc, responses_before = wait_for(open_warc(out, 4), proc, "a WARC with 4 responses")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert "stopping" in stderr and "Ctrl-C again" in stderr
    assert proc.returncode == 1, stderr[-3000:]  # ended early: worth a look
    assert "Traceback" not in stderr
    # No new requests after the signal: the requests queued behind the download delay
    # (a dozen at this point) are dropped; at most the one being fetched completes.
    closed = warc.with_name(warc.name.removesuffix(".open"))
    responses_after = responses_in(closed)
    assert responses_before <= responses_after <= responses_before + 2
    assert not list(out.glob("warc/**/*.open"))
    check_warc(closed)
    manifest = json.loads(next(out.glob("crawls/*.json")).read_text("utf-8"))
    assert manifest["counts"]["finish_reason"] == "shutdown"
    assert manifest["counts"]["responses"] == responses_after
    # The summary tells the truth: the counts the manifest has, not zeros.
    assert f"  {responses_after} responses, {manifest['counts']['articles']} articles" in stdout
    assert "crawl ended early: shutdown" in stdout


def test_second_ctrl_c_quits_and_names_what_to_recover(tmp_path: Path, news_site: Any) -> None:
    # One start URL that takes 30 s to answer: the first Ctrl-C's grace is still running
    # when the second comes.
    config = {**news_site.site.site_config(news_site.base_url), "concurrency": 1,
              "start_urls": [f"{news_site.base_url}/delay/30"], "feeds": [], "sitemaps": []}
    out = tmp_path / "out"
    proc = start_crawl(config, out)
    try:
        wait_for(open_warc(out, 1), proc, "the WARC with robots.txt")
        proc.send_signal(signal.SIGINT)
        assert proc.stderr is not None
        line = proc.stderr.readline()
        while "stopping" not in line:
            assert line, "the crawl never said it was stopping"
            line = proc.stderr.readline()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in stderr
    left = re.search(r"left open, no manifest: (\S+\.warc\.gz\.open)", stderr)
    assert left, stderr
    assert Path(left[1]).is_file()
    command = re.search(r"to recover it: (newsarchive recover \S+)", stderr)
    assert command, stderr
    assert not list(out.glob("crawls/*.json"))
    recovered = subprocess.run([sys.executable, "-m", "crawler", *command[1].split()[1:]],
                               capture_output=True, text=True, timeout=120, check=False)
    assert recovered.returncode == 0, recovered.stderr
    manifest = json.loads(next(out.glob("crawls/*.json")).read_text("utf-8"))
    assert manifest["status"] == "recovered"
    assert not list(out.glob("warc/**/*.open"))

"""Ten ``kill -9`` at random moments, then a clean run: the archive verifies, no record is
duplicated, every pointer resolves, and recovery kept the killed crawls' JSONL lines.

Each run is a real ``python -m crawler crawl`` of the local news site into one output, with
small WARC files (so crawls rotate and die between files too).  The moment of each kill is
picked with a seeded random choice among observable progress points — a log line (spider
opened, a WARC closed, recovery of the previous crawl, the spider closing) or the new
crawl's WARC or JSONL bytes passing a threshold — and reached by polling, never by sleeping
a fixed time.  ``KILL_LOOP_SEED`` picks another sequence.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from archive.recovery.warc_files import whole_members, parse_record

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

KILLS = 10
MAX_RUNS = 16  # runs that end before their moment do not count as kills
SEED = int(os.environ.get("KILL_LOOP_SEED", "14"))
RUN_TIMEOUT = 240.0
LOG_MOMENTS = ["Spider opened", "Closed WARC", "nterrupted crawl", "Closing spider"]


@dataclass
class Moment:
    kind: str  # "log", "warc_bytes" or "jsonl_bytes"
    value: Any

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


def pick_moment(rng: random.Random) -> Moment:
    kind = rng.choice(["log", "warc_bytes", "warc_bytes", "jsonl_bytes", "jsonl_bytes"])
    if kind == "log":
        return Moment(kind, rng.choice(LOG_MOMENTS))
    if kind == "warc_bytes":
        return Moment(kind, rng.randint(1, 60_000))
    return Moment(kind, rng.randint(1, 12_000))


def crawl_ids(out: Path) -> set[str]:
    ids = {p.name.split(".warc", 1)[0].rsplit("-", 1)[0] for p in out.glob("warc/**/*.warc.gz*")}
    return ids | {p.name.removesuffix(".jsonl.gz") for p in out.glob("articles/**/*.jsonl.gz")}


def new_bytes(out: Path, pattern: str, old: set[str]) -> int:
    """Bytes of the files matching ``pattern`` that belong to no crawl in ``old``."""
    total = 0
    for path in out.glob(pattern):
        crawl = path.name.split(".warc", 1)[0].rsplit("-", 1)[0] if ".warc" in path.name \
            else path.name.removesuffix(".jsonl.gz")
        if crawl not in old:
            with contextlib.suppress(FileNotFoundError):  # renamed meanwhile
                total += path.stat().st_size
    return total


def reached(moment: Moment, out: Path, old: set[str], log: list[str]) -> bool:
    if moment.kind == "log":
        return any(moment.value in line for line in log)
    if moment.kind == "warc_bytes":
        return new_bytes(out, "warc/**/*.warc.gz*", old) >= moment.value
    return new_bytes(out, "articles/**/*.jsonl.gz", old) >= moment.value


@dataclass
class Run:
    moment: Moment | None
    killed: bool
    returncode: int
    stdout: str
    log: list[str]


def run_crawl(site: Path, out: Path, moment: Moment | None) -> Run:
    """One crawl; SIGKILLed when ``moment`` is reached (if it is before the crawl ends)."""
    old = crawl_ids(out)
    proc = subprocess.Popen(
        # complete crawls: each writes its JSONL again, which the kill moments watch
        [sys.executable, "-m", "crawler", "crawl", str(site), "--out", str(out), "-v",
         "-s", "WARC_MAX_SIZE=40000", "-s", "NEWSARCHIVE_INCREMENTAL=false"],
        cwd=out.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    log: list[str] = []
    assert proc.stderr is not None
    reader = threading.Thread(target=lambda: log.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    killed = False
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        while proc.poll() is None:
            if moment is not None and reached(moment, out, old, log):
                os.kill(proc.pid, signal.SIGKILL)  # the crawler alone, as a crash would
                killed = True
                break
            assert time.monotonic() < deadline, f"run with moment {moment} never ended"
            time.sleep(0.01)  # a probe interval
        proc.wait(60)
    finally:
        # Its extraction workers outlive it (holding the pipes): end them too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        reader.join(60)
        assert proc.stdout is not None
        with proc.stdout:
            stdout = proc.stdout.read()  # a few summary lines: never fills the pipe
        proc.stderr.close()
    if killed:
        assert proc.returncode == -signal.SIGKILL
    return Run(moment, killed, proc.returncode, stdout, log)


def record_ids(path: Path) -> list[str]:
    with open(path, "rb") as handle:
        return [parse_record(data) for _, _, data in whole_members(handle)]


def test_ten_kills_then_a_clean_run_verify(news_site: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    config = news_site.site.site_config(news_site.base_url)
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump({**config, "download_delay": 0.02, "concurrency": 2}))
    rng = random.Random(SEED)
    runs: list[Run] = []
    while sum(r.killed for r in runs) < KILLS:
        assert len(runs) < MAX_RUNS, [f"{r.moment}: killed={r.killed}" for r in runs]
        run = run_crawl(site, out, pick_moment(rng))
        assert run.killed or run.returncode == 0, run.stdout + "".join(run.log[-40:])
        runs.append(run)
    final = run_crawl(site, out, None)
    assert final.returncode == 0, final.stdout + "".join(final.log[-40:])
    history = "\n".join(f"{r.moment}: killed={r.killed}" for r in runs)

    # Nothing left half-done; every crawl that wrote a file has a manifest.
    assert not list(out.rglob("*.open")), history
    assert not list(out.rglob("*.part")), history
    assert not list(out.glob("state/live/*")), history
    manifests = {p.stem: json.loads(p.read_text()) for p in out.glob("crawls/*.json")}
    assert crawl_ids(out) <= set(manifests), history
    statuses = Counter(m["status"] for m in manifests.values())
    assert set(statuses) <= {"complete", "recovered"}, statuses
    assert statuses["recovered"] >= 1 and statuses["complete"] >= 1, statuses
    for manifest in manifests.values():
        for entry in manifest["files"]:
            path = out / entry["key"]
            assert entry["size"] > 0 and path.stat().st_size == entry["size"], entry

    # Recovery kept JSONL lines of the crawls killed after writing some.
    recovered_articles = [m["counts"]["articles"] for m in manifests.values()
                          if m["status"] == "recovered"]
    assert any(n > 0 for n in recovered_articles), (recovered_articles, history)

    # No duplicate records: no WARC record twice, no article twice in one crawl's JSONL.
    ids = [i for path in sorted(out.glob("warc/**/*.warc.gz")) for i in record_ids(path)]
    assert ids and len(ids) == len(set(ids))
    for path in out.glob("articles/**/*.jsonl.gz"):
        urls = [json.loads(line)["url"] for line in gzip.decompress(path.read_bytes()).splitlines()]
        assert urls and len(urls) == len(set(urls)), path

    # verify: WARCs whole, digests right, every JSONL pointer resolves, nothing unlisted.
    check = subprocess.run([sys.executable, "-m", "crawler", "verify", str(out)],
                           capture_output=True, text=True, timeout=300, check=False)
    assert check.returncode == 0, check.stdout + check.stderr[-4000:] + history
    assert check.stdout.startswith(f"OK {out}: {len(manifests)} crawl manifest(s)"), check.stdout
    assert "in no manifest" not in check.stdout, check.stdout
    pointers = sum(len(gzip.decompress(p.read_bytes()).splitlines())
                   for p in out.glob("articles/**/*.jsonl.gz"))
    assert f"{pointers} JSONL pointer(s) checked" in check.stdout, check.stdout

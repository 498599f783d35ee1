"""Politeness shared by Redis workers, and work that spreads across them (real Redis, real
local news sites, real worker processes).

The rule checked on a server's log: no two requests to one host arrive closer than 0.5·d
(``download_delay`` d), and on average they are at least 0.75·d apart.  0.5·d is the least
Scrapy's randomised delay allows (0.5·d to 1.5·d, ``DOWNLOAD_DELAY_JITTER`` 0.5); these
crawls turn the jitter off (every turn is d long), so the other 0.5·d is left for the time
between a turn being taken in Redis and the request reaching the server on a loaded machine.
Workers each pacing themselves would, three together, average d/3 between requests and
often come within a few milliseconds of each other.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from crawler.demo.server import DemoServer
from crawler.demo.site import DemoSite
from tests.servers.arrivals import HoldingSite, arrival_times
from tests.servers.redis_server import running_redis
from tests.test_crawler_redis import archived_urls

pytestmark = pytest.mark.e2e

PASSWORD = "pw-" + secrets.token_hex(8)
TTL = "NEWSARCHIVE_FRONTIER_WORKER_TTL"


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with running_redis(tmp_path / "redis", PASSWORD) as url:
        yield url


@pytest.fixture
def sites() -> Iterator[list[DemoServer]]:
    """Three demo news sites, each on its own port (a host of its own), logging arrivals."""
    servers = [DemoServer(HoldingSite(DemoSite())).start() for _ in range(3)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def seed(url: str, server: DemoServer, path: Path, name: str, **overrides: Any) -> None:
    config = {**server.site.site_config(server.base_url), "name": name, **overrides}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "crawler", "crawl", str(path), "--redis", url],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@dataclass
class WorkerRun:
    """One worker process, its output in files (a pipe nobody reads would block it)."""

    proc: subprocess.Popen[str]
    out: Path
    logs: Path

    @classmethod
    def start(cls, url: str, out: Path, logs: Path, *extra: str) -> WorkerRun:
        logs.mkdir(parents=True, exist_ok=True)
        with (logs / "stdout").open("w") as stdout, (logs / "stderr").open("w") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "crawler", "worker", "--redis", url, "--out", str(out),
                 "-v", *extra],
                stdout=stdout, stderr=stderr, text=True, start_new_session=True)
        return cls(proc, out, logs)

    def wait(self, timeout: float = 240) -> str:
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
        return (self.logs / "stdout").read_text("utf-8")

    def stderr(self) -> str:
        return (self.logs / "stderr").read_text("utf-8")

    def record_urls(self) -> list[str]:
        """The URLs of the article records of every crawl this worker made (one per site)."""
        stdout = (self.logs / "stdout").read_text("utf-8")
        urls = []
        for crawl_id in re.findall(r"^Site \S+, crawl (\S+):$", stdout, re.MULTILINE):
            for path in self.out.glob(f"articles/**/{crawl_id}.jsonl.gz"):
                with gzip.open(path, "rt", encoding="utf-8") as handle:
                    urls += [json.loads(line)["url"] for line in handle if line.strip()]
        return urls


def archived_record_urls(out: Path) -> set[str]:
    """The article records of every crawl under ``out``, a killed worker's included (its
    JSONL is flushed line by line: read up to the cut)."""
    urls = set()
    for path in out.glob("articles/**/*.jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as handle, \
                contextlib.suppress(EOFError):
            urls |= {json.loads(line)["url"] for line in handle if line.endswith("\n")}
    return urls


def run_workers(url: str, tmp_path: Path, count: int, *extra: str) -> list[WorkerRun]:
    workers = [WorkerRun.start(url, tmp_path / "out", tmp_path / f"logs{i}", "--idle-exit", "2",
                               "-s", "DOWNLOAD_DELAY_JITTER=0", *extra) for i in range(count)]
    for worker in workers:
        worker.wait()
    return workers


def check_finished(workers: list[WorkerRun]) -> None:
    for worker in workers:
        assert worker.proc.returncode == 0, worker.stderr()[-3000:]
        assert "Traceback" not in worker.stderr()


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in zip(times, times[1:])]


def check_spacing(times: list[float], delay: float) -> None:
    """The rule of the module doc, over every request the host saw (each worker's robots.txt
    included)."""
    assert min(gaps(times)) >= 0.5 * delay, sorted(gaps(times))[:5]
    assert (times[-1] - times[0]) / (len(times) - 1) >= 0.75 * delay


def test_a_turn_lasts_the_delay_randomised_as_scrapy_does() -> None:
    from crawler.frontier.hosts import HostRules

    drawn = {HostRules(delay=0.5, concurrency=2).delay_ms() for _ in range(2000)}
    assert min(drawn) >= 250 and max(drawn) <= 750 and len(drawn) > 100
    assert {HostRules(delay=0.5, concurrency=2, jitter=0).delay_ms() for _ in range(50)} == {500}
    assert HostRules(delay=0, concurrency=2).delay_ms() == 0


def test_three_workers_on_one_site_keep_its_delay_together(
        redis_url: str, sites: list[DemoServer], tmp_path: Path) -> None:
    delay = 0.5
    site = sites[0]
    seed(redis_url, site, tmp_path / "site.yaml", "one", download_delay=delay, concurrency=2)
    workers = run_workers(redis_url, tmp_path, 3)
    check_finished(workers)
    truth = {t["url"] for t in site.site.article_truth(site.base_url)}
    by_worker = [worker.record_urls() for worker in workers]
    assert sorted(u for urls in by_worker for u in urls) == sorted(truth)  # all, none twice
    assert sum(1 for urls in by_worker if urls) >= 2  # the workers shared the site

    times = arrival_times(site)
    assert len(times) > len(truth)  # sections, feeds, sitemap, robots.txt and the articles
    check_spacing(times, delay)


def test_three_workers_on_three_sites_each_take_part(
        redis_url: str, sites: list[DemoServer], tmp_path: Path) -> None:
    delay = 0.3
    for i, site in enumerate(sites):
        seed(redis_url, site, tmp_path / f"site{i}.yaml", f"site{i}", download_delay=delay,
             concurrency=2)
    workers = run_workers(redis_url, tmp_path, 3)
    check_finished(workers)
    truth = sorted(t["url"] for site in sites for t in site.site.article_truth(site.base_url))
    by_worker = [worker.record_urls() for worker in workers]
    assert sorted(u for urls in by_worker for u in urls) == truth  # all, none twice
    # the work spread: every worker archived articles (one worker took all 75 before)
    assert all(by_worker), [len(urls) for urls in by_worker]
    for site in sites:  # each host kept its own rate (the gaps: test above, at a larger delay)
        times = arrival_times(site)
        assert (times[-1] - times[0]) / (len(times) - 1) >= 0.75 * delay


def test_a_killed_worker_holding_a_lease_frees_the_host_when_it_expires(
        redis_url: str, sites: list[DemoServer], tmp_path: Path) -> None:
    server = redis.Redis.from_url(redis_url)
    site = sites[0]
    log: HoldingSite = site.site
    held_path = "/" + site.site.article_truth(site.base_url)[0]["url"].split("/", 3)[3]
    held = log.hold(held_path)
    # concurrency 1: while the dead worker's lease lives, no other worker may fetch
    seed(redis_url, site, tmp_path / "site.yaml", "one", download_delay=0.05, concurrency=1)
    workers = [WorkerRun.start(redis_url, tmp_path / "out", tmp_path / f"logs{i}",
                               "--idle-exit", "2", "-s", f"{TTL}=2") for i in range(3)]
    try:
        assert held.arrived.wait(120), "the held article was never asked for"
        host = f"127.0.0.1:{site.port}"
        leases = server.zrange(f"newsarchive:host:{host}:leases", 0, -1, withscores=True)
        assert len(leases) == 1  # the one lease, held by the worker fetching the held page
        holder, expires_ms = leases[0][0].decode().split(" ", 1)[0], leases[0][1]
        pid = int(holder.rsplit("-", 2)[1])
        victim = next(w for w in workers if w.proc.pid == pid)
        os.killpg(pid, signal.SIGKILL)  # the worker and its extraction processes
        victim.proc.wait(30)
        redis_now = server.time()
        killed_at = time.monotonic()
        expires_at = killed_at + (expires_ms / 1000 - (redis_now[0] + redis_now[1] / 1e6))
        held.release.set()
        others = [w for w in workers if w is not victim]
        for worker in others:
            worker.wait()
    finally:
        held.release.set()
        for worker in workers:
            if worker.proc.poll() is None:
                os.killpg(worker.proc.pid, signal.SIGKILL)
    assert victim.proc.returncode == -signal.SIGKILL
    check_finished(others)
    after = [at for at, _, _, _ in site.request_log if at > killed_at]
    assert after, "the other workers never fetched again"
    # nothing reached the host before the dead worker's lease ran out (50 ms: the two clocks)
    assert min(after) >= expires_at - 0.05
    # the others finished the site, the page the dead worker was fetching included
    truth = {t["url"] for t in site.site.article_truth(site.base_url)}
    # (in WARCs: the dead worker's last pages may be archived without their records, which
    # were still being extracted; `reextract` makes them)
    assert archived_urls(tmp_path / "out") >= truth
    assert archived_record_urls(tmp_path / "out") <= truth
    assert any(path == held_path for at, _, path, _ in site.request_log if at > killed_at)
    assert re.search(r"reclaimed \d+ in-flight request\(s\) of dead worker",
                     "".join(w.stderr() for w in others))
    # no lease, queue or in-flight entry left behind
    assert not server.exists(f"newsarchive:host:{host}:leases")
    assert not list(server.scan_iter(match="newsarchive:one:inflight:*"))
    assert not list(server.scan_iter(match="newsarchive:one:requests:*"))


def test_per_worker_politeness_and_bad_frontier_settings_are_refused_in_one_line(redis_url: str) -> None:
    for name, hint in (("DOWNLOAD_DELAY", "download_delay in the site config"),
                       ("AUTOTHROTTLE_ENABLED", "shared")):
        proc = subprocess.run(
            [sys.executable, "-m", "crawler", "worker", "--redis", redis_url, "-s", f"{name}=1"],
            capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1 and hint in proc.stderr, proc.stderr
        assert f"-s {name} does not apply to workers" in proc.stderr
    for name, value in (("NEWSARCHIVE_FRONTIER_POLL_INTERVAL", "0"),
                        ("NEWSARCHIVE_FRONTIER_WORKER_TTL", "soon")):
        proc = subprocess.run(
            [sys.executable, "-m", "crawler", "worker", "--redis", redis_url,
             "-s", f"{name}={value}"], capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 2
        assert proc.stderr == f"newsarchive: -s {name} must be a number of seconds > 0, " \
                              f"not {value!r}\n"

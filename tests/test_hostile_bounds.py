"""Bounds on what a hostile site can add to a crawl: sitemaps per crawl, entries per sitemap,
links per page, queued requests.  Each limit, when hit, is counted; the rest of the site is
archived and the WARCs stay valid.  Crawls run as child processes under a watchdog."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.demo.server import DemoServer
from crawler.discovery.feeds import sitemap_links
from crawler.discovery.links import LinkRules, listing_links
from tests.servers.hostile import (
    ARTICLE_PATHS,
    BOMB_FANOUT,
    HUGE_SITEMAP_URLS,
    LINKS_PAGE_COUNT,
    HostileSite,
    run_crawl,
    site_config,
    warc_records,
)
from tests.warc_checks import check_warc

pytestmark = pytest.mark.e2e

MAX_RSS_MB = 500


@pytest.fixture(scope="module")
def hostile_site() -> Iterator[DemoServer]:
    with DemoServer(HostileSite()) as server:
        yield server


def config_for(server: DemoServer, **overrides: Any) -> dict[str, Any]:
    return site_config(server.base_url, **{"allow_private_addresses": True, "concurrency": 16,
                                           **overrides})


def assert_site_archived(out: Path, server: DemoServer) -> set[str]:
    """Every WARC valid (warcio, FastWARC, gzip members); the listing and its articles in
    them.  Returns the URIs of the responses."""
    warcs = sorted(out.glob("warc/**/*.warc.gz"))
    assert warcs
    for path in warcs:
        check_warc(path)
    responses = {uri for kind, uri, _ in warc_records(out) if kind == "response"}
    assert {server.base_url + p for p in ["/news/", *ARTICLE_PATHS]} <= responses
    return responses


def test_sitemap_bomb_with_default_limits_ends_in_bounded_memory(
        hostile_site: DemoServer, tmp_path: Path) -> None:
    """An index listing itself and 1,000 child indexes per level, without end."""
    config = config_for(hostile_site, sitemaps=[f"{hostile_site.base_url}/sitemap-bomb/0.xml"])
    run = run_crawl(config, tmp_path / "out", "--no-extract")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert run.stat("pages/sitemaps") == 1000  # NEWSARCHIVE_MAX_SITEMAPS
    # the first index's children fill the limit; every child of every fetched index beyond
    # it is counted (the self-references are not children)
    assert run.stat("skipped/sitemaps_over_limit") == 1000 * BOMB_FANOUT - 999
    assert "(NEWSARCHIVE_MAX_SITEMAPS)" in run.stderr
    assert_site_archived(tmp_path / "out", hostile_site)
    assert run.max_rss_mb < MAX_RSS_MB, f"peak RSS {run.max_rss_mb:.0f} MB"


def test_huge_sitemap_and_links_page_are_read_up_to_their_limits(
        hostile_site: DemoServer, tmp_path: Path) -> None:
    base = hostile_site.base_url
    config = config_for(hostile_site, start_urls=[f"{base}/news/", f"{base}/links/"],
                        sitemaps=[f"{base}/sitemap-huge.xml"], feeds=[f"{base}/feed-huge.xml"])
    run = run_crawl(config, tmp_path / "out", "--no-extract",
                    "-s", "NEWSARCHIVE_SITEMAP_MAX_URLS=30", "-s", "NEWSARCHIVE_MAX_LINKS_PER_PAGE=40")
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stat("skipped/sitemap_truncated") == 1
    assert run.stat("skipped/links_over_limit") == 2  # the listing and the feed
    assert "only its first 30 entries were read (NEWSARCHIVE_SITEMAP_MAX_URLS)" in run.stderr
    assert "only its first 40 links were read (NEWSARCHIVE_MAX_LINKS_PER_PAGE)" in run.stderr
    responses = assert_site_archived(tmp_path / "out", hostile_site)
    from_sitemap = {u for u in responses if "/sitemap-story-" in u}
    from_links = {u for u in responses if "/crowded-listing-story-" in u}
    assert from_sitemap == {f"{base}/2025/05/01/sitemap-story-{n}/" for n in range(30)}
    assert from_links == {f"{base}/2025/04/{n % 28 + 1:02d}/crowded-listing-story-{n}/"
                          for n in range(40)}
    from_feed = {u for u in responses if "/feed-story-" in u}
    assert from_feed == {f"{base}/2025/06/01/feed-story-{n}/" for n in range(40)}
    assert f"{base}/links/" in responses  # the page itself is archived whole


@pytest.mark.parametrize("jobdir", [False, True], ids=["memory-queue", "jobdir"])
def test_queued_requests_are_bounded(hostile_site: DemoServer, tmp_path: Path, jobdir: bool) -> None:
    """3,000 sitemap URLs against a bound of 60 queued requests, fetched one at a time: every
    URL is either fetched or counted as dropped, with or without JOBDIR's disk queues."""
    base = hostile_site.base_url
    config = config_for(hostile_site, sitemaps=[f"{base}/sitemap-huge.xml"], concurrency=1,
                        download_delay=0.2)
    extra = ["-s", "NEWSARCHIVE_MAX_QUEUED_REQUESTS=60", "-s", "NEWSARCHIVE_SITEMAP_MAX_URLS=3000"]
    if jobdir:
        extra += ["-s", f"JOBDIR={tmp_path / 'job'}"]
    run = run_crawl(config, tmp_path / "out", "--no-extract", *extra)
    assert run.returncode == 0, run.stderr[-3000:]
    responses = assert_site_archived(tmp_path / "out", hostile_site)
    fetched = sum(1 for u in responses if "/sitemap-story-" in u)
    dropped = run.stat("skipped/queue_full")
    assert dropped > 2000 and fetched + dropped == 3000, (fetched, dropped)
    assert "requests are queued (NEWSARCHIVE_MAX_QUEUED_REQUESTS)" in run.stderr
    if jobdir:
        assert (tmp_path / "job" / "requests.queue").is_dir()


# --- The bounded readers, as plain functions.

def test_links_page_reading_stops_at_the_limit() -> None:
    page = HostileSite().links_page.decode()
    found = listing_links(page, "http://news.example/links/", LinkRules(["news.example"]),
                          max_links=100)
    assert found.truncated and len(found.articles) == 100
    assert LINKS_PAGE_COUNT > 100
    small = listing_links(page[:2000] + "</ul></main></body></html>", "http://news.example/links/",
                          LinkRules(["news.example"]), max_links=100)
    assert not small.truncated


def test_sitemap_reading_stops_at_the_limit() -> None:
    body = HostileSite().huge_sitemap.replace(b"{base}", b"http://news.example")
    found = sitemap_links(body, max_urls=25)
    assert found.truncated and found.pages == [
        f"http://news.example/2025/05/01/sitemap-story-{n}/" for n in range(25)]
    whole = sitemap_links(body, max_urls=HUGE_SITEMAP_URLS)
    assert not whole.truncated and len(whole.pages) == HUGE_SITEMAP_URLS
    index = sitemap_links(HostileSite._bomb("http://news.example", "/sitemap-bomb/0.xml"), 10)
    assert index.truncated and len(index.sitemaps) == 10 and not index.pages


def test_peak_memory_is_the_crawls_own_not_its_parents(tmp_path: Path) -> None:
    """The 2.3 GB once read for the sitemap bomb was the pytest worker's peak: a child's
    ``ru_maxrss`` starts at its parent's. Through ``peak_rss`` a small command reads small
    even when started by a process that holds 600 MB."""
    report = tmp_path / "peak"
    parent = ("import subprocess, sys\n"
              "held = bytearray(600 * 1024 * 1024)\n"
              "held[::4096] = b'x' * len(held[::4096])\n"
              f"sys.exit(subprocess.call([sys.executable, '-m', 'tests.servers.peak_rss', "
              f"{str(report)!r}, '--', sys.executable, '-c', 'pass']))\n")
    subprocess.run([sys.executable, "-c", parent], check=True, cwd=Path(__file__).parents[1])
    assert 0 < int(report.read_text()) / 1024 < 100

"""`newsarchive init` against local sites, and the example configs under examples/."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from crawler.config import SiteConfig, load_site_config
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoResponse, html_response, response
from crawler.schedule.plan import load_plan
from tests.test_e2e_crawl import load_crawl

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def init(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler", "init", *argv],
                          capture_output=True, text=True, timeout=120, check=False)


# --- examples -------------------------------------------------------------------------------


def test_example_site_config_loads_and_shows_every_key() -> None:
    path = EXAMPLES / "sites" / "eutoday.yaml"
    site = load_site_config(path)
    assert site.name == "eutoday" and site.schedule == "*/30 * * * *"
    written = yaml.safe_load(path.read_text("utf-8"))
    keys = {f.name for f in dataclasses.fields(SiteConfig)} - {"source"}
    assert set(written) == keys
    text = path.read_text("utf-8")
    for key in keys:  # each key has a comment above it or beside it
        line = next(i for i, l in enumerate(text.splitlines()) if l.startswith(f"{key}:"))
        above = text.splitlines()[line - 1]
        assert above.startswith("#") or "#" in text.splitlines()[line] or key in (
            "concurrency", "autothrottle"), key


def test_example_schedule_plan_loads_with_both_entry_forms() -> None:
    planned = {p.name: p for p in load_plan(EXAMPLES / "schedule.yaml")}
    assert planned["eutoday"].schedule == "*/30 * * * *"  # the site's own
    assert planned["harbour-herald"].schedule == "0 */2 * * *"  # the plan's
    assert planned["harbour-herald"].config == (EXAMPLES / "sites" / "minimal.yaml").resolve()


# --- init against the news test site ----------------------------------------------------------


def test_init_writes_a_config_that_crawls(news_site: Any, tmp_path: Path) -> None:
    base = news_site.base_url.rstrip("/")
    config_path = tmp_path / "sites" / "news.yaml"
    proc = init(f"{base}/", "-o", str(config_path), "--name", "news")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    # what was found, and where from
    assert "4 from the home page's navigation menus" in proc.stdout
    assert '1 declared by the home page (<link rel="alternate">)' in proc.stdout
    assert "1 from robots.txt (Sitemap: lines)" in proc.stdout
    assert "127.0.0.1 is a loopback/private address" in proc.stdout

    site = load_site_config(config_path)
    assert site.name == "news"
    assert site.start_urls == [f"{base}/category/{s}/"
                               for s in ("politics", "business", "culture", "analysis")]
    assert site.feeds == [f"{base}/feed/"]
    assert site.sitemaps == [f"{base}/news-sitemap.xml"]
    assert site.allow_private_addresses is True

    out = tmp_path / "out"
    crawl = subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", str(config_path), "--out", str(out),
         "--max-articles", "3"],
        capture_output=True, text=True, timeout=600, check=False)
    result = load_crawl(out, crawl)
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    assert len(result.records) >= 3
    assert result.warcs
    assert {r["site"] for r in result.records} == {"news"}


def test_init_refuses_bad_usage_in_one_line(news_site: Any, tmp_path: Path) -> None:
    proc = init("ftp://example.org/")
    assert proc.returncode == 2
    assert proc.stderr == "newsarchive init: 'ftp://example.org/' is not an http(s) URL\n"
    existing = tmp_path / "site.yaml"
    existing.write_text("keep me\n")
    proc = init(news_site.base_url + "/", "-o", str(existing))
    assert proc.returncode == 2 and "exists" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert existing.read_text() == "keep me\n"
    proc = init(news_site.base_url + "/no-such-page/", "-o", str(tmp_path / "x.yaml"))
    assert (proc.returncode, proc.stderr.strip()) == (
        1, f"newsarchive init: cannot fetch {news_site.base_url}/no-such-page/: HTTP 404")
    assert not (tmp_path / "x.yaml").exists()
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = init(f"http://127.0.0.1:{port}/", "-o", str(tmp_path / "y.yaml"))
    assert proc.returncode == 1 and "cannot fetch" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1


# --- fallbacks: common paths only when they answer ---------------------------------------------

RSS = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>S</title><item>"
       b"<link>http://example.invalid/a</link></item></channel></rss>")
SITEMAP = (b"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
           b"<url><loc>http://example.invalid/a</loc></url></urlset>")


class SmallSite:
    """A home page without feed links, robots.txt without Sitemap lines, and ``routes``."""

    def __init__(self, routes: dict[str, DemoResponse], menu: str) -> None:
        home = (f"<html><head><title>Small</title></head><body><nav class='main-menu'>{menu}"
                "<a href='/about/'>About</a><a href='/feed/'>RSS</a></nav><p>Hello</p>"
                "</body></html>")
        self.routes = {"/": html_response(home),
                       "/robots.txt": response(200, b"User-agent: *\nDisallow:\n", "text/plain"),
                       **routes}

    def handle(self, method: str, target: str, headers: Any) -> DemoResponse:
        return self.routes.get(urlsplit(target).path) or html_response("<p>no</p>", 404)


@pytest.fixture
def small_site(request: pytest.FixtureRequest) -> Iterator[DemoServer]:
    routes, menu = request.param
    server = DemoServer(SmallSite(routes, menu)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("small_site", [(
    {"/rss.xml": response(200, RSS, "application/rss+xml"),
     "/feed.xml": html_response("<p>not a feed</p>"),
     "/sitemap.xml": response(200, SITEMAP, "application/xml")},
    "<a href='/world/'>World</a><a href='/2025/03/01/a-long-article-slug-here/'>Story</a>",
)], indirect=True)
def test_common_paths_used_only_when_they_answer(small_site: DemoServer, tmp_path: Path) -> None:
    base = small_site.base_url.rstrip("/")
    proc = init(f"{base}/", "-o", str(tmp_path / "s.yaml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    site = load_site_config(tmp_path / "s.yaml")
    assert site.start_urls == [f"{base}/world/"]  # not about, the feed or the article
    assert site.feeds == [f"{base}/rss.xml"]  # /feed/ is a 404, /feed.xml is HTML
    assert site.sitemaps == [f"{base}/sitemap.xml"]
    assert "feeds: none declared by the home page; 1 of the common paths" in proc.stdout
    assert "sitemaps: robots.txt has no Sitemap: line; /sitemap.xml answered" in proc.stdout


@pytest.mark.parametrize("small_site", [({}, "")], indirect=True)
def test_nothing_found_is_said_not_guessed(small_site: DemoServer, tmp_path: Path) -> None:
    base = small_site.base_url.rstrip("/")
    proc = init(f"{base}/", "-o", str(tmp_path / "s.yaml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    site = load_site_config(tmp_path / "s.yaml")
    assert (site.start_urls, site.feeds, site.sitemaps) == ([f"{base}/"], [], [])
    assert "no section links in a navigation menu; the home page is the only start URL" \
        in proc.stdout
    assert "none of /feed/, /rss.xml" in proc.stdout
    assert "/sitemap.xml did not answer with a sitemap" in proc.stdout
    assert site.name == "127-0-0-1"

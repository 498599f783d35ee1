"""``HostileSite``: a small news site with one route per hostile case, for the crawler's
bounds and address guard (``tests/test_hostile_*.py``).

Routes:

- ``/robots.txt``, ``/news/`` (a listing of ``ARTICLE_PATHS``) and the articles: the part
  of the site that must be archived whatever the hostile routes do.
- ``/links/``: a listing with ``LINKS_PAGE_COUNT`` (200,000) article links.
- ``/sitemap-bomb/N.xml``: a sitemap index listing itself and ``BOMB_FANOUT`` (1,000) child
  indexes, each of which does the same, without end.
- ``/feed-huge.xml``: an RSS feed of ``HUGE_SITEMAP_URLS`` items.
- ``/sitemap-huge.xml``: a urlset of ``HUGE_SITEMAP_URLS`` (60,000) article URLs, more than
  the sitemaps protocol allows in one file.
- ``/redirect/HOST``: 302 to ``http://HOST:PORT/secret/?via=redirect`` on the same port (``HOST`` being
  e.g. ``2130706433``, ``127.1``, ``0x7f000001``, ``0`` or ``localhost``).
- ``/secret/``: a page that must never be archived by a crawl that refuses private addresses;
  its body holds ``SECRET_MARKER``.
- ``/req/news/``: a listing (with one image, ``LISTING_IMAGE``) of ``REQUISITE_ARTICLE``, an article whose requisites are
  hostile: a stylesheet importing itself (``/req/self.css``) that loads a font served as
  text/html (``/req/font.woff2``), a 200 MB image (``/req/huge.png``, chunked, no length),
  an image redirecting in a loop (``/req/loop/N.png`` → N+1), an image on another host
  (``OTHER_HOST_IMAGE``: localhost) and ``REQUISITE_IMAGES`` (5,000)
  more images (``/req/img/N.png``).
- Any other ``/2025/...`` path: a short article, so every link the hostile routes list answers.

``hostile_pair()`` serves the site twice on one port: on 127.0.0.2 (the address a test
allows) and on 127.0.0.1 (where the numeric forms and ``localhost`` lead, which must be
refused).  Both are loopback-only.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from crawler.demo.server import DemoServer, Site
from crawler.demo.site import DemoResponse, html_response, redirect, response

ARTICLE_PATHS = [f"/2025/03/1{i}/hostile-fixture-story-number-{i}-in-the-harbour/" for i in range(3)]
LINKS_PAGE_COUNT = 200_000
BOMB_FANOUT = 1000
HUGE_SITEMAP_URLS = 60_000
SECRET_MARKER = "SECRET-INTERNAL-ONLY-7f3a"
NUMERIC_FORMS = ["2130706433", "127.1", "0x7f000001", "0"]
XML = "application/xml; charset=UTF-8"
REQUISITE_ARTICLE = "/2025/07/01/the-harbour-story-with-hostile-requisites/"
REQUISITE_IMAGES = 5000
LISTING_IMAGE = "/req/img/listing.png"  # the listing's own requisite
# A requisite on another host than the site's (as a CDN's): the same server, named otherwise.
OTHER_HOST_IMAGE = "http://localhost:{port}/req/img/other-host.png"
HUGE_IMAGE_BYTES = 200 * 1024 * 1024
_MIB = b"\x89PNG" + b"\0" * (1024 * 1024 - 4)
PIXEL_PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
             b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
             b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def article_page(path: str) -> str:
    title = html.escape(path.strip("/").rsplit("/", 1)[-1].replace("-", " ").capitalize())
    body = "".join(f"<p>Paragraph {n} of the story, with enough words to read as text.</p>"
                   for n in range(5))
    return (f"<!doctype html><html lang='en'><head><title>{title}</title></head><body>"
            f"<article><h1>{title}</h1><p class='byline'>By Ada Lovelace</p>{body}</article>"
            "</body></html>")


def requisite_article_page(port: str) -> str:
    images = "".join(f'<img src="/req/img/{n}.png" alt="">' for n in range(REQUISITE_IMAGES))
    body = "".join(f"<p>Paragraph {n} of the story about the harbour, with enough words to read "
                   "as the text of a news article.</p>" for n in range(12))
    return ("<!doctype html><html lang='en'><head><title>The harbour story</title>"
            "<meta property='og:type' content='article'>"
            "<link rel='stylesheet' href='/req/self.css'></head><body><article>"
            "<h1>The harbour story with hostile requisites</h1><p class='byline'>By Ada Lovelace</p>"
            "<img src='/req/huge.png' alt='huge'><img src='/req/loop/0.png' alt='loop'>"
            f"<img src='{OTHER_HOST_IMAGE.format(port=port)}' alt='another host'>"
            f"{body}</article><div class='gallery'>{images}</div></body></html>")


def listing_page(paths: list[str]) -> str:
    items = "".join(f'<article class="post"><a href="{p}">Story {n}</a></article>'
                    for n, p in enumerate(paths))
    return f"<!doctype html><html><body><nav><a href='/'>Home</a></nav><main>{items}</main></body></html>"


class HostileSite:
    """The site object ``DemoServer`` serves (``handle(method, target, headers)``)."""

    @cached_property
    def links_page(self) -> bytes:
        items = "".join(f'<li><a href="/2025/04/{n % 28 + 1:02d}/crowded-listing-story-{n}/">Story {n}</a></li>'
                        for n in range(LINKS_PAGE_COUNT))
        return f"<!doctype html><html><body><main><ul>{items}</ul></main></body></html>".encode()

    @cached_property
    def huge_sitemap(self) -> bytes:
        urls = "".join(f"<url><loc>{{base}}/2025/05/01/sitemap-story-{n}/</loc></url>"
                       for n in range(HUGE_SITEMAP_URLS))
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode()

    @cached_property
    def huge_feed(self) -> bytes:
        items = "".join(f"<item><title>{n}</title><link>{{base}}/2025/06/01/feed-story-{n}/</link></item>"
                        for n in range(HUGE_SITEMAP_URLS))
        return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()

    def handle(self, method: str, target: str, headers: Any) -> DemoResponse:
        host = {k.lower(): v for k, v in dict(headers).items()}.get("host", "127.0.0.1")
        base = f"http://{host}"
        path = target.split("?", 1)[0]
        if path == "/robots.txt":
            return response(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path in ("/", "/news/"):
            return html_response(listing_page(ARTICLE_PATHS))
        if path == "/links/":
            return response(200, self.links_page, "text/html; charset=UTF-8")
        if path.startswith("/sitemap-bomb/") and path.endswith(".xml"):
            return response(200, self._bomb(base, path), XML)
        if path == "/feed-huge.xml":
            return response(200, self.huge_feed.replace(b"{base}", base.encode()),
                            "application/rss+xml")
        if path == "/sitemap-huge.xml":
            return response(200, self.huge_sitemap.replace(b"{base}", base.encode()), XML)
        if path.startswith("/redirect/"):
            port = host.rsplit(":", 1)[-1]
            return redirect(f"http://{path.removeprefix('/redirect/')}:{port}/secret/?via=redirect",
                            status=302)
        if path == "/secret/":
            return html_response(f"<html><body><h1>{SECRET_MARKER}</h1></body></html>")
        if path == "/req/news/":
            return html_response(listing_page([REQUISITE_ARTICLE]).replace(
                "<body>", f"<body><img src='{LISTING_IMAGE}' alt='logo'>"))
        if path == REQUISITE_ARTICLE:
            return html_response(requisite_article_page(host.rsplit(":", 1)[-1]))
        if path.startswith("/req/"):
            return self._requisite(path)
        if path.startswith("/2025/"):
            return html_response(article_page(path))
        return html_response("<html><body>Not here</body></html>", 404)

    @staticmethod
    def _requisite(path: str) -> DemoResponse:
        if path == "/req/self.css":
            css = b'@import url("/req/self.css");\n@font-face { font-family: F; src: url(/req/font.woff2); }'
            return response(200, css, "text/css")
        if path == "/req/font.woff2":
            return html_response("<html><body>Not a font</body></html>")
        if path == "/req/huge.png":
            huge = response(200, b"", "image/png", ("Transfer-Encoding", "chunked"))
            huge.chunks = [_MIB] * (HUGE_IMAGE_BYTES // len(_MIB))  # one MiB, 200 times
            return huge
        if match := re.fullmatch(r"/req/loop/(\d+)\.png", path):
            return redirect(f"/req/loop/{int(match[1]) + 1}.png", status=302)
        if path.startswith("/req/img/"):
            return response(200, PIXEL_PNG, "image/png")
        return html_response("<html><body>Not here</body></html>", 404)

    @staticmethod
    def _bomb(base: str, path: str) -> bytes:
        number = int(path.removeprefix("/sitemap-bomb/").removesuffix(".xml") or 0)
        children = [f"{base}/sitemap-bomb/{number * BOMB_FANOUT + k + 1}.xml" for k in range(BOMB_FANOUT)]
        entries = "".join(f"<sitemap><loc>{url}</loc></sitemap>" for url in [base + path, *children])
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex '
                f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>').encode()


@contextlib.contextmanager
def hostile_pair(attempts: int = 20, site: Site | None = None
                 ) -> Iterator[tuple[DemoServer, DemoServer]]:
    """(allowed, refused): the site (by default ``HostileSite``) on 127.0.0.2:P and on
    127.0.0.1:P, P a free port."""
    site = site or HostileSite()
    for _ in range(attempts):
        allowed = DemoServer(site, host="127.0.0.2").start()
        refused = DemoServer(site, host="127.0.0.1", port=allowed.port)
        try:
            refused.start()
        except OSError:  # the port is taken on 127.0.0.1: try another
            allowed.stop()
            continue
        try:
            yield allowed, refused
        finally:
            refused.stop()
            allowed.stop()
        return
    raise RuntimeError("no port free on both 127.0.0.1 and 127.0.0.2")


@dataclass
class CrawlRun:
    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float  # the crawl process's own peak resident memory (and its children's)

    def stat(self, key: str) -> int:
        """A counter from the stats Scrapy dumps at the end (``-v``), 0 when absent."""
        match = re.search(rf"'{re.escape(key)}': (\d+)", self.stderr)
        return int(match.group(1)) if match else 0


def run_crawl(config: dict[str, Any], out: Path, *extra: str, timeout: float = 600) -> CrawlRun:
    """``newsarchive crawl CONFIG --out OUT -v EXTRA…`` as a child process (through
    ``tests.servers.peak_rss``, which measures its own peak memory), killed with its process
    group after ``timeout`` seconds (a watchdog, not a measurement: a killed crawl fails)."""
    config_path = out.parent / f"{out.name}-site.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    stdout_path, stderr_path = out.parent / f"{out.name}.stdout", out.parent / f"{out.name}.stderr"
    rss_path = out.parent / f"{out.name}.peak-rss-kib"
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.servers.peak_rss", str(rss_path), "--",
             sys.executable, "-m", "crawler", "crawl", str(config_path), "--out", str(out), "-v",
             *extra], stdout=stdout, stderr=stderr, start_new_session=True,
        )
        watchdog = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        watchdog.start()
        try:
            proc.wait()
        finally:
            watchdog.cancel()
    peak_kib = int(rss_path.read_text()) if rss_path.exists() else 0
    return CrawlRun(proc.returncode, stdout_path.read_text(errors="replace"),
                    stderr_path.read_text(errors="replace"), peak_kib / 1024)


def warc_records(out: Path) -> list[tuple[str, str, bytes]]:
    """(record type, target URI, content) of every record in the crawl's WARCs, by warcio."""
    from warcio.archiveiterator import ArchiveIterator

    records = []
    for path in sorted(out.glob("warc/**/*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                records.append((record.rec_type, uri, record.content_stream().read()))
    return records


def site_config(base_url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "hostile",
        "start_urls": [f"{base_url}/news/"],
        "download_delay": 0,
        "autothrottle": False,
        "concurrency": 8,
        **overrides,
    }

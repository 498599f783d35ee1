"""The demo site and the news test site, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import gzip
import html
import http.client
import json
import re
import socket
import time
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.demo.server import DemoServer
from crawler.demo.site import SECTIONS, DemoSite
from tests.servers import newssite
from tests.servers.seed import load_seed_article

DESIGN_CONFIG_KEYS = {
    "name", "start_urls", "allowed_domains", "feeds", "sitemaps", "max_section_pages",
    "article_patterns", "exclude_patterns", "download_delay", "concurrency", "autothrottle",
    "allow_private_addresses", "schedule",
}


def fetch(server: DemoServer, target: str, method: str = "GET",
          headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        return resp, resp.read()
    finally:
        conn.close()


def raw_get(server: DemoServer, target: str) -> bytes:
    """The response exactly as it came off the socket."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
                     "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def dechunk(data: bytes) -> list[bytes]:
    chunks = []
    while True:
        size_line, data = data.split(b"\r\n", 1)
        size = int(size_line, 16)
        if size == 0:
            assert data == b"\r\n"
            return chunks
        chunks.append(data[:size])
        assert data[size:size + 2] == b"\r\n"
        data = data[size + 2:]


def page_text(server: DemoServer, target: str) -> str:
    resp, body = fetch(server, target)
    assert resp.status == 200, target
    if resp.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    charset = re.search(rb'<meta charset="([^"]+)"', body)
    return html.unescape(body.decode(charset[1].decode() if charset else "utf-8"))


def listing_links(server: DemoServer) -> set[str]:
    site = server.site
    links: set[str] = set()
    for section in SECTIONS:
        for page in range(1, site.section_pages(section) + 1):
            target = f"/category/{section}/" + (f"page/{page}/" if page > 1 else "")
            links |= set(re.findall(r'<h2 class="penci-entry-title[^>]*><a href="([^"]+)"',
                                    html.unescape(page_text(server, target))))
    return links


# -- the bundled demo site --------------------------------------------------------------------
def test_demo_site_shape() -> None:
    site = DemoSite()
    assert 22 <= len(site.articles) <= 26
    assert {a.family for a in site.articles} == {"wordpress", "publisher", "drupal"}
    assert {"de", "fr"} <= {a.language for a in site.articles}
    assert any(not a.authors for a in site.articles) and any(not a.image for a in site.articles)
    for section in SECTIONS:
        assert 2 <= site.section_pages(section) <= 3
    for truth in site.article_truth("http://127.0.0.1:1"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", truth["published"])
        assert truth["first_paragraph"] and truth["last_paragraph"]
        article = site.by_path[urlsplit(truth["url"]).path]
        prose = "\n".join(article.paragraphs)
        assert not [b for b in truth["boilerplate"] if b in prose], truth["url"]


def test_site_config_uses_design_keys() -> None:
    config = DemoSite().site_config("http://127.0.0.1:8000")
    assert set(config) <= DESIGN_CONFIG_KEYS
    assert config["start_urls"] == [f"http://127.0.0.1:8000/category/{s}/" for s in SECTIONS]
    assert config["max_section_pages"] == 5 and config["allow_private_addresses"] is True


def test_demo_server_standalone_serves_and_logs() -> None:
    with DemoServer(DemoSite()) as server:
        resp, body = fetch(server, "/", headers={"X-Probe": "1"})
        assert resp.status == 200 and b"Latest news" in body
        assert [entry[1:3] for entry in server.request_log] == [("GET", "/")]
        assert server.request_log[0][3]["X-Probe"] == "1"


# -- listings and pagination ------------------------------------------------------------------
def test_sections_and_pagination(news_site: DemoServer) -> None:
    site = news_site.site
    for section in SECTIONS:
        pages = site.section_pages(section)
        assert 2 <= pages <= 5
        for page in range(1, pages + 1):
            target = f"/category/{section}/" + (f"page/{page}/" if page > 1 else "")
            text = page_text(news_site, target)
            if page < pages:
                assert f'rel="next" href="/category/{section}/page/{page + 1}/"' in text
                assert "Older posts ›" in text
            else:
                assert 'rel="next"' not in text
        resp, _ = fetch(news_site, f"/category/{section}/page/{pages + 1}/")
        assert resp.status == 404


def test_home_about_contact_tag_author_pages(news_site: DemoServer) -> None:
    for target in ["/", "/about/", "/contact/", "/tag/city-council/",
                   "/author/eutoday-correspondents/", "/author/priya-raman/"]:
        assert fetch(news_site, target)[0].status == 200, target
    assert fetch(news_site, "/tag/no-such-tag/")[0].status == 404


def test_keep_alive_and_head(news_site: DemoServer) -> None:
    conn = http.client.HTTPConnection(news_site.host, news_site.port, timeout=10)
    try:
        conn.request("HEAD", "/category/politics/")
        head = conn.getresponse()
        assert head.read() == b"" and int(head.getheader("Content-Length", "0")) > 1000
        conn.request("GET", "/category/politics/")
        get = conn.getresponse()
        body = get.read()
        assert len(body) == int(head.getheader("Content-Length", "0"))
        conn.request("GET", "/robots.txt")
        assert conn.getresponse().read().startswith(b"User-agent")
    finally:
        conn.close()


# -- transfer and content encodings -----------------------------------------------------------
def test_gzip_article_is_really_gzip(news_site: DemoServer) -> None:
    resp, body = fetch(news_site, newssite.GZIP_PATH, headers={"Accept-Encoding": "gzip"})
    assert resp.getheader("Content-Encoding") == "gzip"
    assert body[:2] == b"\x1f\x8b" and int(resp.getheader("Content-Length", "0")) == len(body)
    assert b"Freight rates ease" in gzip.decompress(body)


def test_chunked_article_is_really_chunked(news_site: DemoServer) -> None:
    raw = raw_get(news_site, newssite.CHUNKED_PATH)
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nTransfer-Encoding: chunked" in head and b"Content-Length" not in head
    chunks = dechunk(payload)
    assert len({len(c) for c in chunks}) > 2
    assert b"Choir festival returns" in b"".join(chunks)


def test_redirect_chain(news_site: DemoServer) -> None:
    first, _ = fetch(news_site, "/old/story-x")
    assert (first.status, first.getheader("Location")) == (301, "/moved/story-x")
    second, _ = fetch(news_site, "/moved/story-x")
    assert (second.status, second.getheader("Location")) == (301, newssite.REDIRECT_FINAL_PATH)
    with urllib.request.urlopen(news_site.base_url + "/old/story-x", timeout=10) as resp:
        assert resp.url == news_site.base_url + newssite.REDIRECT_FINAL_PATH


def test_query_route_cookies_and_reason(news_site: DemoServer) -> None:
    resp, body = fetch(news_site, "/story?id=42&ref=home")
    assert (resp.status, resp.reason) == (200, "Fine Thanks")
    assert len(resp.msg.get_all("Set-Cookie") or []) == 2
    assert b"sailing championships" in body
    assert fetch(news_site, "/story?id=41")[0].status == 404
    raw = raw_get(news_site, "/story?id=42&ref=home")
    assert raw.startswith(b"HTTP/1.1 200 Fine Thanks\r\n") and raw.count(b"\r\nSet-Cookie: ") == 2


def test_error_pages(news_site: DemoServer) -> None:
    assert fetch(news_site, newssite.NOT_FOUND_PATH)[0].status == 404
    gone, _ = fetch(news_site, newssite.GONE_PATH)
    assert (gone.status, gone.reason) == (410, "Gone")


# -- robots, feeds, sitemaps ------------------------------------------------------------------
def test_robots(news_site: DemoServer) -> None:
    resp, body = fetch(news_site, "/robots.txt")
    text = body.decode()
    assert resp.getheader("Content-Type", "").startswith("text/plain")
    assert "Disallow: /private/" in text
    assert f"Sitemap: {news_site.base_url}/news-sitemap.xml" in text
    assert newssite.PRIVATE_PATH in news_site.site.disallowed_paths()


def feed_links(server: DemoServer) -> tuple[set[str], set[str], set[str]]:
    atom_ns = "{http://www.w3.org/2005/Atom}"
    sm_ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    rss = ET.fromstring(fetch(server, "/feed/")[1])
    atom = ET.fromstring(fetch(server, "/atom.xml")[1])
    sitemap = ET.fromstring(fetch(server, "/news-sitemap.xml")[1])
    return (
        {str(item.findtext("link")) for item in rss.iter("item")},
        {str(link.get("href")) for entry in atom.iter(f"{atom_ns}entry")
         for link in entry.iter(f"{atom_ns}link")},
        {str(url.findtext(f"{sm_ns}loc")) for url in sitemap.iter(f"{sm_ns}url")},
    )


def test_feeds_and_sitemap_list_their_only_articles(news_site: DemoServer) -> None:
    base = news_site.base_url
    rss, atom, sitemap = feed_links(news_site)
    feed_only, sitemap_only = base + newssite.FEED_ONLY_PATH, base + newssite.SITEMAP_ONLY_PATH
    assert feed_only in rss and feed_only in atom and feed_only not in sitemap
    assert sitemap_only in sitemap and sitemap_only not in rss
    listed = listing_links(news_site)
    assert newssite.FEED_ONLY_PATH not in listed and newssite.SITEMAP_ONLY_PATH not in listed
    assert {newssite.PRIVATE_PATH, "/about/", newssite.LIVE_PATH, "/old/story-x",
            newssite.NOT_FOUND_PATH, newssite.GONE_PATH, newssite.QUERY_PATH} <= listed
    assert not set(newssite.HOSTILE_PATHS) & listed
    sitemap_xml = fetch(news_site, "/news-sitemap.xml")[1]
    assert b"<news:publication_date>" in sitemap_xml


def test_every_truth_url_resolves(news_site: DemoServer) -> None:
    truths = news_site.site.article_truth(news_site.base_url)
    assert len(truths) == len(DemoSite().articles) + len(newssite.hard_case_articles()) + 1
    for truth in truths:
        target = truth["url"][len(news_site.base_url):]
        text = page_text(news_site, target)
        assert truth["title"] in text and truth["first_paragraph"] in text, target
        assert truth["last_paragraph"] in text
        if truth["image"]:
            image_path = truth["image"]["url"][len(news_site.base_url):]
            resp, body = fetch(news_site, image_path)
            assert resp.status == 200 and body.startswith(b"\x89PNG")
    with urllib.request.urlopen(news_site.base_url + "/old/story-x", timeout=10) as resp:
        assert resp.status == 200


# -- the seed article and the markup families -------------------------------------------------
def test_seed_article_page(news_site: DemoServer) -> None:
    seed = load_seed_article()
    truth = next(t for t in news_site.site.article_truth(news_site.base_url)
                 if t["title"] == seed["title"])
    assert truth["authors"] == ["EUToday Correspondents"] and truth["section"] == "ANALYSIS"
    assert truth["published"].startswith("2025-02-18T")
    assert truth["image"]["credit"] == "Russian Foreign Ministry Press Service"
    assert truth["first_paragraph"].startswith("High-level negotiations")
    assert truth["last_paragraph"].endswith("undermining American credibility among its allies.")
    for phrase in ["Read also", "You may also like", "Leave a Comment", "Editors' Picks",
                   "Latest Posts", "Image source:"]:
        assert phrase in truth["boilerplate"]
    text = page_text(news_site, urlsplit(truth["url"]).path)
    for block in seed["body"]:
        if isinstance(block, str):
            assert f"<p>{block}</p>" in text
        else:
            assert f"<h2>{block['h2']}</h2>" in text
    assert "<h2>Ukraine and Europe Left Out of the Talks</h2>" in text
    assert "<p>Image source: Russian Foreign Ministry Press Service</p>" in text
    assert 'rel="author" href="/author/eutoday-correspondents/">EUToday Correspondents</a>' in text
    assert "› </i><span><a class=\"crumb\" href=\"/category/analysis/\">ANALYSIS</a>" in text
    assert urlsplit(truth["url"]).path in listing_links(news_site)


def article_page(server: DemoServer, family: str, language: str = "en") -> str:
    article = next(a for a in server.site.articles
                   if a.family == family and a.language == language and a.charset == "utf-8"
                   and a.image and a.authors)
    return page_text(server, str(article.path))


def test_wordpress_family(news_site: DemoServer) -> None:
    text = article_page(news_site, "wordpress")
    for marker in ['<article id="post-', 'class="penci-breadcrumb', 'rel="author"',
                   'property="article:section"', 'property="article:published_time"',
                   "Read also:", "You may also like", "Leave a Comment", "Editors' Picks",
                   "Latest Posts", 'id="cookie-notice"', "Subscribe to our newsletter"]:
        assert marker in text, marker


def test_publisher_family_json_ld(news_site: DemoServer) -> None:
    text = article_page(news_site, "publisher")
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    data: dict[str, Any] = json.loads(blocks[0])
    assert data["@type"] == "NewsArticle"
    assert {"headline", "datePublished", "dateModified", "articleSection", "keywords"} <= set(data)
    assert all(a["@type"] == "Person" for a in data["author"])
    assert data["image"]["@type"] == "ImageObject" and data["image"]["creditText"]
    assert '<span class="credit">Photograph: ' in text and "Most read" in text


def test_drupal_family_microdata(news_site: DemoServer) -> None:
    text = article_page(news_site, "drupal", "de")
    assert 'itemscope itemtype="https://schema.org/NewsArticle"' in text
    assert 'itemprop="headline"' in text and 'itemprop="author"' in text
    assert re.search(r'<time itemprop="datePublished" datetime="2025-[^"]+">', text)
    assert "field--name-body" in text and "field--name-field-tags" in text
    assert "Von " in text and ("Foto: " in text or "Bild: " in text)
    assert "Par " in article_page(news_site, "drupal", "fr")


# -- hostile routes ---------------------------------------------------------------------------
def test_hostile_routes_linked_only_when_hostile(hostile_news_site: DemoServer) -> None:
    assert set(newssite.HOSTILE_PATHS) <= listing_links(hostile_news_site)
    assert set(newssite.HOSTILE_PATHS) <= set(hostile_news_site.site.non_article_paths())


def test_status_and_loop_routes(hostile_news_site: DemoServer) -> None:
    assert fetch(hostile_news_site, "/status/500")[0].status == 500
    unavailable, _ = fetch(hostile_news_site, "/status/503")
    assert (unavailable.status, unavailable.getheader("Retry-After")) == (503, "1")
    loop_a, _ = fetch(hostile_news_site, "/loop/a")
    loop_b, _ = fetch(hostile_news_site, "/loop/b")
    assert (loop_a.getheader("Location"), loop_b.getheader("Location")) == ("/loop/b", "/loop/a")


def test_huge_page_and_gzip_bomb(hostile_news_site: DemoServer) -> None:
    huge, _ = fetch(hostile_news_site, "/huge/", method="HEAD")
    assert int(huge.getheader("Content-Length", "0")) >= 30 * 1024 * 1024
    bomb, body = fetch(hostile_news_site, "/bomb/")
    assert bomb.getheader("Content-Encoding") == "gzip" and len(body) < 2 * 1024 * 1024
    inflated = gzip.GzipFile(fileobj=__import__("io").BytesIO(body)).read(4 * 1024 * 1024)
    assert len(inflated) == 4 * 1024 * 1024  # and it keeps going for 1 GiB


def test_binary_served_as_html(hostile_news_site: DemoServer) -> None:
    resp, body = fetch(hostile_news_site, "/binary-page/")
    assert resp.getheader("Content-Type", "").startswith("text/html")
    assert body.startswith(b"\x89PNG\r\n\x1a\n")


def test_legacy_charset_article(hostile_news_site: DemoServer) -> None:
    resp, body = fetch(hostile_news_site, newssite.CHARSET_PATH)
    assert resp.getheader("Content-Type") == "text/html"
    assert b'<meta charset="windows-1252">' in body
    assert "d’euros" in body.decode("windows-1252")
    truth = [t for t in hostile_news_site.site.article_truth(hostile_news_site.base_url)
             if t["url"].endswith(newssite.CHARSET_PATH)]
    assert truth and truth[0]["first_paragraph"] in html.unescape(body.decode("windows-1252"))


def test_delay_route(hostile_news_site: DemoServer) -> None:
    started = time.monotonic()
    resp, _ = fetch(hostile_news_site, "/delay/0.3")
    assert resp.status == 200 and time.monotonic() - started >= 0.3


def test_drop_route_cuts_the_body(hostile_news_site: DemoServer) -> None:
    with pytest.raises(http.client.IncompleteRead):
        fetch(hostile_news_site, "/drop")

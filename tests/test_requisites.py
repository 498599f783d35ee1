"""Requisite discovery from HTML and CSS (crawler.requisites) and the site-config keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawler.config import site_config_from_dict
from crawler.errors import ConfigError
from crawler.requisites import (
    FONT, ICON, IMAGE, MEDIA, SCRIPT, STYLESHEET, css_requisites, html_requisites,
    largest_candidate,
)

BASE = "http://news.example/2025/03/story/"
PAGE = """<html><head><base href="http://cdn.example/site/">
<link rel="stylesheet" href="/css/a.css"><link rel="alternate stylesheet" href="/alt.css">
<link rel="shortcut icon" href="/favicon.ico"><link rel="preload" as="font" href="f.woff2">
<link rel="canonical" href="/not-a-requisite/">
<meta property="og:image" content="https://img.example/lead.jpg">
<script src="app.js"></script><script>var inline = 1;</script>
<style>@import "inline.css"; .hero { background: url('hero.png') }</style></head>
<body><img src="a.png" srcset="a-480.png 480w, a-1200.png 1200w, a-800.png 800w">
<img src="data:image/png;base64,AAAA"><img src="javascript:void(0)">
<picture><source srcset="p.webp 1x, p@2x.webp 2x"><img src="p.jpg"></picture>
<video poster="poster.jpg"></video><a href="/link/">a link</a></body></html>"""


def test_html_requisites_of_every_kind_resolved_against_base() -> None:
    found = html_requisites(PAGE, BASE)
    assert [(r.url, r.kind) for r in found.requisites] == [
        ("http://cdn.example/css/a.css", STYLESHEET),
        ("http://cdn.example/favicon.ico", ICON),
        ("http://cdn.example/site/f.woff2", FONT),
        ("https://img.example/lead.jpg", IMAGE),
        ("http://cdn.example/site/app.js", SCRIPT),
        ("http://cdn.example/site/a.png", IMAGE),
        ("http://cdn.example/site/a-1200.png", IMAGE),
        ("http://cdn.example/site/p@2x.webp", IMAGE),
        ("http://cdn.example/site/p.jpg", IMAGE),
        ("http://cdn.example/site/poster.jpg", MEDIA),
        ("http://cdn.example/site/inline.css", STYLESHEET),
        ("http://cdn.example/site/hero.png", IMAGE),
    ]


def test_all_srcset_candidates_by_switch_and_the_count_cap() -> None:
    urls = [r.url for r in html_requisites(PAGE, BASE, all_srcset=True).requisites]
    assert {"http://cdn.example/site/a-480.png", "http://cdn.example/site/a-800.png",
            "http://cdn.example/site/p.webp"} <= set(urls)
    capped = html_requisites(PAGE, BASE, limit=3)
    assert len(capped.requisites) == 3 and capped.more == 9


def test_largest_srcset_candidate() -> None:
    assert largest_candidate("s.png 1x, l.png 3x, m.png 2x") == "l.png"
    assert largest_candidate("a,b.png 300w, c.png 200w") == "a,b.png"
    assert largest_candidate("") is None


def test_css_imports_fonts_and_images_in_nested_rules() -> None:
    css = b"""@charset "utf-8"; @import url("b.css") screen; @import 'c.css';
    @font-face { font-family: X; src: url(f.woff2) format("woff2"), url("f.woff"); }
    @media (min-width: 600px) { .a { background: url(m.png) } }
    .b { background-image: image-set(url("s.png") 1x); } .c { background: url(data:image/gif;base64,R0) }
    /* url(commented.png) */"""
    found = css_requisites(css, "http://news.example/css/a.css")
    assert [(r.url, r.kind) for r in found.requisites] == [
        ("http://news.example/css/b.css", STYLESHEET),
        ("http://news.example/css/c.css", STYLESHEET),
        ("http://news.example/css/f.woff2", FONT),
        ("http://news.example/css/f.woff", FONT),
        ("http://news.example/css/m.png", IMAGE),
        ("http://news.example/css/s.png", IMAGE),
    ]


def test_unparseable_documents_give_no_requisites() -> None:
    assert html_requisites(b"", BASE).requisites == []
    assert css_requisites(b"\xff\xfe{{{ url(", BASE).requisites == []


@pytest.mark.parametrize(("key", "value"), [
    ("requisites", "yes"), ("requisites_on_listings", 1), ("requisites_all_srcset", "no"),
    ("requisites_ignore_robots", 0), ("requisite_domains", "cdn.example"),
    ("requisite_domains", ["https://cdn.example/"]),
])
def test_bad_requisite_keys_name_the_key(key: str, value: object) -> None:
    with pytest.raises(ConfigError) as error:
        site_config_from_dict({"name": "x", "start_urls": ["http://x.example/"], key: value})
    assert key in str(error.value)


def test_requisite_keys_default_to_article_pages_from_any_host() -> None:
    site = site_config_from_dict({"name": "x", "start_urls": ["http://x.example/"]})
    assert site.requisites and not site.requisites_on_listings
    assert site.requisite_domains == [] and not site.requisites_ignore_robots


def test_a_bad_requisite_key_stops_the_crawl_with_exit_2_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text("name: x\nstart_urls: [http://127.0.0.1:9/]\n"
                      "requisite_domains: [http://cdn.example/]\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "crawler", "crawl", str(config),
                           "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "requisite_domains" in proc.stderr and "Traceback" not in proc.stderr


def test_requisite_domains_restrict_hosts_and_their_subdomains() -> None:
    from crawler.requisite_fetching import RequisitePolicy

    policy = RequisitePolicy(domains=("news.example", "cdn.example"))
    assert policy.host_allowed("http://news.example/a.css")
    assert policy.host_allowed("https://img.cdn.example/a.png")
    assert not policy.host_allowed("https://tracker.example/p.gif")
    assert not policy.host_allowed("https://evilnews.example/a.css")
    assert RequisitePolicy().host_allowed("https://anywhere.example/x.png")
    meta = RequisitePolicy(ignore_robots=True, max_bytes=10).request_meta("image")
    assert meta["dont_obey_robotstxt"] and meta["download_maxsize"] == 10 and meta["allow_offsite"]

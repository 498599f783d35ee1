"""Link discovery on listing pages, feeds and sitemaps, without per-site rules."""

from __future__ import annotations

import re

from crawler.discovery.feeds import feed_links, sitemap_links
from crawler.discovery.links import LinkRules, listing_links
from crawler.discovery.urls import article_url_score, is_navigation_url

BASE = "https://news.example/category/politics/"
LISTING = """<html><head><link rel="next" href="/category/politics/page/2/"></head><body>
<header><nav class="main-menu"><a href="/category/business/">Business</a>
<a href="/about/">About</a><a href="/tag/eu/">EU</a></nav></header>
<main><article><h2><a href="/2025/02/18/council-votes-on-budget/">Council votes</a></h2>
<a href="/author/jane-doe/">Jane Doe</a></article>
<article><h2><a href="https://news.example/politics/minister-resigns-after-inquiry-12345">Minister</a></h2></article>
<a href="/private/secret-story-about-things/">Secret</a>
<a href="https://elsewhere.example/2025/02/18/offsite-story-here/">Offsite</a>
<a href="/wp-content/uploads/photo.jpg">img</a><a href="#comments">c</a>
</main><aside class="widget"><a href="/2025/01/01/widget-listed-article-story/">Latest</a>
<a href="/contact/">Contact</a></aside><footer><a href="/privacy/">Privacy</a></footer></body></html>"""


def rules(**kwargs: object) -> LinkRules:
    return LinkRules(
        allowed_domains=["news.example"],
        section_urls=frozenset({"https://news.example/category/business/"}),
        **kwargs,  # type: ignore[arg-type]
    )


def test_listing_finds_articles_and_next_page() -> None:
    found = listing_links(LISTING, BASE, rules())
    assert found.next_page == "https://news.example/category/politics/page/2/"
    assert "https://news.example/2025/02/18/council-votes-on-budget/" in found.articles
    assert "https://news.example/politics/minister-resigns-after-inquiry-12345" in found.articles
    # clear article URLs in a sidebar widget are followed
    assert "https://news.example/2025/01/01/widget-listed-article-story/" in found.articles
    # linked from the listing content: fetched, the page check decides
    assert "https://news.example/author/jane-doe/" in found.articles
    joined = " ".join(found.articles)
    for never in ("elsewhere.example", "photo.jpg", "/about/", "/contact/", "/privacy/", "/tag/eu/", "category/business"):
        assert never not in joined


def test_exclude_and_article_patterns() -> None:
    found = listing_links(LISTING, BASE, rules(exclude_patterns=[re.compile("/private/")]))
    assert not any("/private/" in u for u in found.articles)
    only = listing_links(LISTING, BASE, rules(article_patterns=[re.compile(r"/\d{4}/\d{2}/\d{2}/")]))
    assert only.articles == [
        "https://news.example/2025/02/18/council-votes-on-budget/",
        "https://news.example/2025/01/01/widget-listed-article-story/",
    ]


def test_next_page_by_text_and_by_number() -> None:
    by_text = '<a href="?page=2">Older posts »</a>'
    assert listing_links(by_text, BASE, rules()).next_page == BASE + "?page=2"
    by_number = '<a href="/category/politics/page/2/">2</a><a href="/category/politics/page/3/">3</a>'
    found = listing_links(by_number, "https://news.example/category/politics/", rules())
    assert found.next_page == "https://news.example/category/politics/page/2/"
    assert listing_links(by_number, "https://news.example/category/politics/page/2/", rules(), 2).next_page == (
        "https://news.example/category/politics/page/3/"
    )


def test_url_shapes() -> None:
    assert article_url_score("https://a.example/2025/02/18/some-story-about-things/") >= 2
    assert article_url_score("https://a.example/news/world-europe-68401234") >= 1
    assert article_url_score("https://a.example/tag/europe/") < 0
    assert is_navigation_url("https://a.example/")
    assert is_navigation_url("https://a.example/author/jane/")
    assert not is_navigation_url("https://a.example/politics/a-story-here")


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>A</title><link>https://news.example/a-story</link></item>
<item><title>B</title><guid isPermaLink="true">https://news.example/b-story</guid></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
<entry><title>C</title><link rel="alternate" href="https://news.example/c-story"/></entry></feed>"""
SITEMAP = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://news.example/d-story</loc><news:news><news:title>D</news:title></news:news></url></urlset>"""
INDEX = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://news.example/sitemap-1.xml</loc></sitemap></sitemapindex>"""


def test_feeds_and_sitemaps() -> None:
    assert feed_links(RSS) == ["https://news.example/a-story", "https://news.example/b-story"]
    assert feed_links(ATOM) == ["https://news.example/c-story"]
    assert sitemap_links(SITEMAP).pages == ["https://news.example/d-story"]
    assert sitemap_links(INDEX).sitemaps == ["https://news.example/sitemap-1.xml"]
    assert feed_links(b"<html>not a feed") == [] and sitemap_links(b"\x00\x01").pages == []


def test_bounded_readers_keep_document_order() -> None:
    assert feed_links(RSS, max_links=1) == ["https://news.example/a-story"]
    found = listing_links(LISTING, BASE, rules(), max_links=4)  # 3 menu links, then one story
    assert found.truncated and found.articles == ["https://news.example/2025/02/18/council-votes-on-budget/"]
    assert not listing_links(LISTING, BASE, rules()).truncated
    assert sitemap_links(SITEMAP, max_urls=1) == sitemap_links(SITEMAP)


def test_sitemap_reader_keeps_what_precedes_a_break_and_ignores_entities() -> None:
    broken = SITEMAP.replace(b"</urlset>", b"<url><loc>https://news.example/e-story</loc></url><url><lo")
    assert sitemap_links(broken).pages == ["https://news.example/d-story", "https://news.example/e-story"]
    entity = (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
              b'<urlset><url><loc>https://news.example/&x;</loc></url></urlset>')
    assert all("root:" not in page for page in sitemap_links(entity).pages)

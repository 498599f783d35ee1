"""A URL Python cannot parse ("http://[harbour/x", a port out of range), anywhere a page, a
feed or a sitemap may put one, costs that URL only: never the page's record or its other
links."""

from __future__ import annotations

import pytest
from parsel import Selector
from scrapy.utils.test import get_crawler

from crawler.discovery.links import find_next_page, listing_links, LinkRules
from crawler.discovery.site_survey import declared_feeds, menu_section_links
from crawler.spiders.site_spider import SectionSpider
from pipelines.extract import extract
from pipelines.extract.urls import join_url, parseable, url_path

BAD = ["http://[harbour/x", "https://news.example:99999/x", "http://]/"]
PAGE_URL = "https://news.example/2024/05/01/breakwater-light/"
ARTICLE = """<html><head><title>Breakwater light goes automatic</title>{head}</head><body>
<article><h1>Breakwater light goes automatic</h1><p class="byline">By Jane Doe</p>
<time datetime="2024-05-01T10:00:00+02:00">1 May 2024</time>{body}
<p>The harbour master said the breakwater light would run on its own from next spring, after
ninety years of keepers climbing the tower every evening to light the lamp by hand.</p>
<p>The last keeper, who has lived in the cottage below the light for thirty years, will stay on
as its caretaker and guide for the visitors who come to see the old lens.</p>
<p>Engineers fitted a solar panel, a battery and a lamp that switches itself on at dusk, and the
town council has promised that the tower itself will be kept as it is.</p></article>
</body></html>"""


@pytest.mark.parametrize("bad", BAD)
def test_the_helpers_say_none_rather_than_raise(bad: str) -> None:
    assert not parseable(bad)
    assert join_url(PAGE_URL, bad) is None
    assert url_path(bad) in ("", "/x")  # a bad host: no path; a bad port: the path
    assert join_url(PAGE_URL, "/other/") == "https://news.example/other/"


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(("head", "body"), [
    ('<link rel="canonical" href="{bad}">', ""),
    ('<meta property="og:url" content="{bad}">', ""),
    ('<meta property="og:image" content="{bad}">', ""),
    ("", '<figure><img src="{bad}"><figcaption>The light. Photo: Jane Roe/AFP</figcaption></figure>'),
    ('<script type="application/ld+json">{{"@type": "NewsArticle", "url": "{bad}", '
     '"image": {{"@type": "ImageObject", "url": "{bad}"}}}}</script>', ""),
    ("", '<p>See <a href="{bad}">1 May 2024</a> and <a href="{bad}">tags</a>.</p>'),
    ("", '<ul class="tags"><li><a href="{bad}/tag/x">x</a></li>'
         '<li><a href="/tag/harbour">harbour</a></li></ul>'),
])
def test_an_unparsable_url_in_a_page_costs_that_url_only(bad: str, head: str, body: str) -> None:
    record = extract(ARTICLE.format(head=head.format(bad=bad), body=body.format(bad=bad)),
                     PAGE_URL)
    assert record["title"] == "Breakwater light goes automatic"
    assert "breakwater light would run on its own" in record["text"]
    assert record["authors"] == ["Jane Doe"]
    assert bad not in str(record.get("canonical_url")) and bad not in str(record.get("image"))


@pytest.mark.parametrize("bad", BAD)
def test_an_unparsable_link_on_a_listing_costs_that_link_only(bad: str) -> None:
    html = (f'<html><body><nav><a href="{bad}">x</a><a href="/politics/">Politics</a></nav>'
            f'<link rel="next" href="{bad}"><link rel="alternate" type="application/rss+xml" '
            f'href="{bad}"><main><a href="{bad}">Broken story</a>'
            '<a href="/2024/05/01/breakwater-light/">Breakwater light goes automatic</a>'
            '</main></body></html>')
    rules = LinkRules(allowed_domains=["news.example"])
    found = listing_links(html, "https://news.example/news/", rules)
    assert found.articles == ["https://news.example/2024/05/01/breakwater-light/"]
    assert find_next_page(Selector(text=html), "https://news.example/news/", 1) is None
    assert [link.url for link in menu_section_links(html, "https://news.example/")] == [
        "https://news.example/politics/"]
    assert declared_feeds(html, "https://news.example/") == []


def test_an_unparsable_url_in_a_feed_or_sitemap_is_skipped_and_counted() -> None:
    spider = SectionSpider(site={"name": "news", "start_urls": ["https://news.example/news/"]})
    crawler = get_crawler(SectionSpider)
    spider.crawler = crawler
    urls = [*BAD, "https://news.example/2024/05/01/breakwater-light/"]
    requests = list(spider._candidates(urls, "feed"))
    assert [r.url for r in requests] == ["https://news.example/2024/05/01/breakwater-light/"]
    assert crawler.stats.get_value("skipped/unparsable_url") == len(BAD)
    assert not any(spider.rules.followable(url) for url in BAD)

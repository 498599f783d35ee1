"""What a home page and robots.txt say about where a site lists its articles (``init``).

Plain functions over fetched text: section links from navigation menus, the feeds a page
declares, sitemaps named in robots.txt, and whether a body is a feed or a sitemap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree
from parsel import Selector
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawler.discovery.urls import (
    NAVIGATION_SEGMENTS,
    article_url_score,
    host_allowed,
    is_asset,
    normalize_url,
)
from pipelines.extract.urls import join_url

# Feed paths CMSs serve by default; probed only when the home page declares no feed.
COMMON_FEED_PATHS = ("/feed/", "/rss.xml", "/feed.xml", "/atom.xml", "/rss/", "/index.xml")
COMMON_SITEMAP_PATHS = ("/sitemap.xml",)

# Menus: <nav>, role=navigation, or a class/id naming a menu.
MENU_XPATH = (
    "//nav//a[@href] | //*[@role='navigation']//a[@href]"
    " | //*[re:test(concat(' ', @class, ' ', @id, ' '),"
    " '[\\s_-](menu|nav|navbar|navigation)[\\s_-]', 'i')]//a[@href]"
)
# Listing pages a menu may link to; every other navigation segment (about, contact, login,
# feed, search…) is not a section.
LISTING_SEGMENTS = frozenset(
    "category categories section sections topic topics tag tags archive archives".split()
)
NOT_SECTION_SEGMENTS = NAVIGATION_SEGMENTS - LISTING_SEGMENTS
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
              "application/rdf+xml")
_XML_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class MenuLink:
    url: str
    text: str


def is_section_url(url: str, home: str) -> bool:
    """A same-site listing a menu links to: not the home page, an article, a file or a
    service page (about, contact, login, feed, search…)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.lower().split("/") if s]
    if not segments or parts.query or is_asset(url):
        return False
    if not host_allowed(url, [urlsplit(home).hostname or ""]):
        return False
    if any(s in NOT_SECTION_SEGMENTS for s in segments):
        return False
    return article_url_score(url) < 2


def menu_section_links(html: str, base_url: str) -> list[MenuLink]:
    """Section links of the page's navigation menus, in page order, each once."""
    selector = Selector(text=html, base_url=base_url)
    found: dict[str, MenuLink] = {}
    for anchor in selector.xpath(MENU_XPATH):
        href = (anchor.attrib.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        joined = join_url(base_url, href)
        if joined is None:
            continue
        url = normalize_url(joined)
        if url not in found and is_section_url(url, base_url):
            text = " ".join(" ".join(anchor.xpath(".//text()").getall()).split())
            found[url] = MenuLink(url, text)
    return list(found.values())


def declared_feeds(html: str, base_url: str) -> list[str]:
    """Feeds the page declares with ``<link rel="alternate" type="application/rss+xml">``."""
    selector = Selector(text=html, base_url=base_url)
    feeds: list[str] = []
    for link in selector.xpath("//link[@href]"):
        rel = (link.attrib.get("rel") or "").lower().split()
        kind = (link.attrib.get("type") or "").lower().split(";")[0].strip()
        joined = join_url(base_url, link.attrib["href"]) if kind in FEED_TYPES else None
        if "alternate" in rel and joined is not None:
            url = normalize_url(joined)
            if url not in feeds:
                feeds.append(url)
    return feeds


def robots_sitemaps(robots_txt: bytes, base_url: str) -> list[str]:
    """The ``Sitemap:`` lines of robots.txt (Scrapy's reader), each once."""
    urls: list[str] = []
    for url in sitemap_urls_from_robots(robots_txt, base_url=base_url):
        if url not in urls:
            urls.append(url)
    return urls


def _xml_root_name(body: bytes) -> str:
    try:
        root = etree.fromstring(body.lstrip(), parser=_XML_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return ""
    if root is None or not isinstance(root.tag, str):
        return ""
    return re.sub(r"^\{.*\}", "", root.tag).lower()


def is_feed(body: bytes) -> bool:
    return _xml_root_name(body) in ("rss", "feed", "rdf")


def is_sitemap(body: bytes) -> bool:
    return _xml_root_name(body) in ("urlset", "sitemapindex")

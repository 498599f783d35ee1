"""Article candidates and the next listing page, found on a section page without site rules."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from dataclasses import dataclass, field

from parsel import Selector

from crawler.discovery.urls import (
    PAGINATION_PATH_RE,
    article_url_score,
    host_allowed,
    is_asset,
    normalize_url,
)
from pipelines.extract.urls import join_url, parseable

# Site chrome: links inside these are menus, widgets and footers, not the listing itself.
CHROME_TAGS = frozenset({"nav", "header", "footer", "aside"})
CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
CHROME_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(menu|nav|navbar|navigation|footer|masthead|sidebar|widget|breadcrumbs?|cookie"
    r"|share|sharing|social|newsletter|subscribe|comments?|related|trending|most-read|popular)(?:[\s_-]|$)",
    re.I,
)
# A listing entry: the nearest of these above a link makes it part of the listing even when
# the theme wraps its main column in something called "sidebar" or "header-…".
ENTRY_TAGS = frozenset({"article"})
ENTRY_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(post|entry|story|teaser|card|hentry|list-post|article|item)(?:[\s_-]|$)", re.I
)


def in_chrome(anchor: Any) -> bool:
    """True when the nearest telling ancestor of a link is site chrome, not a listing entry."""
    for element in anchor.iterancestors():
        tag = element.tag if isinstance(element.tag, str) else ""
        classes = f"{element.get('class', '')} {element.get('id', '')}"
        if tag in ENTRY_TAGS or (tag not in CHROME_TAGS and ENTRY_CLASS_RE.search(classes)
                                 and not CHROME_CLASS_RE.search(classes)):
            return False
        if tag in CHROME_TAGS or element.get("role", "") in CHROME_ROLES:
            return True
        if CHROME_CLASS_RE.search(classes):
            return True
    return False


NEXT_TEXT_RE = re.compile(
    r"^\s*(next|older|more|weiter|nächste|suivant|siguiente|successiv|volgende|›|»|→|>)", re.I
)


# Links read per listing page: a news section links to a few hundred; a page with 200,000
# would keep the crawl busy for a minute (NEWSARCHIVE_MAX_LINKS_PER_PAGE).
DEFAULT_MAX_LINKS = 5000


@dataclass
class ListingLinks:
    articles: list[str] = field(default_factory=list)
    next_page: str | None = None
    # True when the page had more than ``max_links`` links and the rest were not read.
    truncated: bool = False


@dataclass
class LinkRules:
    allowed_domains: list[str]
    article_patterns: list[re.Pattern[str]] = field(default_factory=list)
    exclude_patterns: list[re.Pattern[str]] = field(default_factory=list)
    section_urls: frozenset[str] = frozenset()

    def followable(self, url: str) -> bool:
        return (
            url.startswith(("http://", "https://"))
            and parseable(url)
            and host_allowed(url, self.allowed_domains)
            and not is_asset(url)
            and not any(p.search(url) for p in self.exclude_patterns)
        )


def _links(selector: Selector, base_url: str, xpath: str) -> Iterable[tuple[str, str]]:
    for anchor in selector.xpath(xpath):
        href = (anchor.attrib.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = join_url(base_url, href)
        if url is None:  # "http://[bad": that link only
            continue
        text = " ".join(anchor.xpath(".//text()").getall()).strip()
        yield normalize_url(url), text


def _anchors_xpath(max_links: int) -> str:
    return f"(//a[@href])[position() <= {int(max_links)}]"


def find_next_page(
    selector: Selector, base_url: str, current_page: int, max_links: int = DEFAULT_MAX_LINKS
) -> str | None:
    for href in selector.xpath("(//link[@rel='next']/@href | //a[@rel='next']/@href)[1]").getall():
        url = join_url(base_url, href)
        if url is not None:
            return normalize_url(url)
    anchors = _anchors_xpath(max_links)
    for url, text in _links(selector, base_url, anchors):
        if NEXT_TEXT_RE.match(text) and url != normalize_url(base_url):
            match = PAGINATION_PATH_RE.search(url)
            if match is None or int(match.group(1) or match.group(2)) > current_page:
                return url
    for url, _ in _links(selector, base_url, anchors):
        match = PAGINATION_PATH_RE.search(url)
        if match and int(match.group(1) or match.group(2)) == current_page + 1:
            return url
    return None


def listing_links(
    html: str, base_url: str, rules: LinkRules, current_page: int = 1,
    max_links: int = DEFAULT_MAX_LINKS,
) -> ListingLinks:
    """Links a section page lists: article candidates and the next page of the listing.

    Only the first ``max_links`` links of the page are read (``truncated`` says so).
    """
    selector = Selector(text=html, base_url=base_url)
    found = ListingLinks(
        next_page=find_next_page(selector, base_url, current_page, max_links),
        truncated=bool(selector.xpath(f"count(//a[@href]) > {int(max_links)}").get() == "1"),
    )
    anchors = _anchors_xpath(max_links)
    seen: set[str] = {normalize_url(base_url)}
    if found.next_page:
        seen.add(found.next_page)
    in_content: set[str] = set()
    for anchor in selector.xpath(anchors):
        if not in_chrome(anchor.root):
            in_content.update(u for u, _ in _links(anchor, base_url, "self::a"))
    for url, _ in _links(selector, base_url, anchors):
        if url in seen or url in rules.section_urls or not rules.followable(url):
            continue
        seen.add(url)
        if PAGINATION_PATH_RE.search(url):
            continue
        if rules.article_patterns:
            if any(p.search(url) for p in rules.article_patterns):
                found.articles.append(url)
            continue
        score = article_url_score(url)
        # Anything the listing itself links to is fetched (the page-level check decides);
        # from menus, sidebars and footers only URLs that clearly look like articles.
        if url in in_content or score >= 2:
            found.articles.append(url)
    return found

"""SectionSpider: section pages → pagination → article pages, plus feeds and sitemaps."""

from __future__ import annotations

import re
from functools import partial
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure

from archive.capture import FETCHED_AT_META_KEY, POINTER_META_KEY
from archive.wire import WIRE_META_KEY
from crawler.config import SiteConfig, load_site_config, site_config_from_dict
from archive.crawl_id import new_crawl_id
from crawler.errors import ConfigError
from crawler.discovery.feeds import DEFAULT_MAX_SITEMAP_URLS, feed_links, sitemap_links
from crawler.discovery.links import DEFAULT_MAX_LINKS, LinkRules, listing_links
from crawler.discovery.urls import normalize_url
from crawler.middlewares import DECODING_DEFERRED_META, DEFER_DECODING_META
from crawler.parser_pool import ParserPool
from crawler.requisite_fetching import (
    REQUISITE_META, REQUISITE_PRIORITY, RequestedUrls, RequisiteLedger, RequisitePolicy,
)
from crawler.requisites import PARSED_KINDS, Found, css_requisites, html_requisites
from pipelines.decompression import gunzip
from pipelines.export import feed_settings
from pipelines.extract.urls import parseable
from pipelines.responses import header_pairs

# Listings first, so pagination is not starved by the articles it reveals.
SECTION_PRIORITY = 10
FEED_PRIORITY = 5
MAX_SITEMAP_DEPTH = 3
T = TypeVar("T")


class SectionSpider(Spider):
    """Crawls one site (``-a site=SITE.yaml``) as its site config describes."""

    name = "sections"
    # Bounds on what one page may add to the crawl (NEWSARCHIVE_MAX_LINKS_PER_PAGE,
    # NEWSARCHIVE_SITEMAP_MAX_URLS, NEWSARCHIVE_MAX_SITEMAPS), set from the settings.
    max_links = DEFAULT_MAX_LINKS
    max_sitemap_urls = DEFAULT_MAX_SITEMAP_URLS
    max_sitemaps = 1000
    sitemaps_requested = 0

    def __init__(self, site: SiteConfig | dict | str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        try:
            if site is None:
                raise ConfigError("scrapy crawl sections", "needs a site config: -a site=SITE.yaml")
            if isinstance(site, str):
                site = load_site_config(site)
            elif isinstance(site, dict):
                site = site_config_from_dict(site)
        except ConfigError as exc:
            # `scrapy crawl` builds the spider inside its event loop, where an exception
            # becomes a traceback and exit 1: bad usage is one line and exit 2 here too.
            self.logger.error("bad config: %s", exc)
            raise SystemExit(2) from None
        self.site: SiteConfig = site
        self.site_name = site.name
        self.allowed_domains = list(site.allowed_domains)
        self.allow_private_addresses = site.allow_private_addresses
        self.rules = LinkRules(
            allowed_domains=self.allowed_domains,
            article_patterns=[re.compile(p) for p in site.article_patterns],
            exclude_patterns=[re.compile(p) for p in site.exclude_patterns],
            section_urls=frozenset(normalize_url(u) for u in site.start_urls),
        )
        self.crawl_id = ""
        self.requisite_policy = RequisitePolicy(enabled=False)
        self.requisite_ledger = RequisiteLedger()
        self.requisites_requested = RequestedUrls()
        self.parsers = ParserPool(0)  # threads, until from_crawler reads the settings

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SectionSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.crawl_id = settings.get("NEWSARCHIVE_CRAWL_ID") or new_crawl_id()
        spider.max_links = settings.getint("NEWSARCHIVE_MAX_LINKS_PER_PAGE")
        spider.max_sitemap_urls = settings.getint("NEWSARCHIVE_SITEMAP_MAX_URLS")
        spider.max_sitemaps = settings.getint("NEWSARCHIVE_MAX_SITEMAPS")
        site = spider.site
        spider.requisite_policy = RequisitePolicy.from_site(site, settings)
        spider.parsers = ParserPool.from_crawler(crawler)
        if settings.getbool("FRONTIER_SHARED"):  # other workers may fetch this one's images
            from crawler.frontier.requisite_pointers import shared_ledger

            spider.requisite_ledger = shared_ledger(crawler) or spider.requisite_ledger
        settings.set("NEWSARCHIVE_CRAWL_ID", spider.crawl_id, priority="spider")
        settings.set("DOWNLOAD_DELAY", site.download_delay, priority="spider")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", site.concurrency, priority="spider")
        settings.set("AUTOTHROTTLE_ENABLED", site.autothrottle, priority="spider")
        if site.render:
            from crawler.render import render_settings  # scrapy-playwright only when needed

            render_settings(settings, site)
        if settings.getbool("NEWSARCHIVE_EXTRACT"):
            settings.set("FEEDS", feed_settings(crawler, site.name, spider.crawl_id), priority="spider")
        return spider

    async def start(self) -> AsyncIterator[Request]:
        for url in self.site.start_urls:
            yield Request(
                url,
                callback=self.parse_section,
                errback=self.on_error,
                cb_kwargs={"page": 1},
                priority=SECTION_PRIORITY,
                meta={"discovered_via": "section"},
            )
        for url in self.site.feeds:
            yield Request(url, callback=self.parse_feed, errback=self.on_error, priority=FEED_PRIORITY)
        for url in self.site.sitemaps:
            if self._sitemap_allowed(url):
                yield Request(
                    url, callback=self.parse_sitemap, errback=self.on_error,
                    priority=FEED_PRIORITY, cb_kwargs={"depth": 0},
                )

    def _count(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)

    def _article_request(self, url: str, via: str) -> Request:
        meta = {"discovered_via": via, DEFER_DECODING_META: True}
        if self.site.render:
            meta["playwright"] = True  # crawler.render: loaded in the browser
        return Request(url, callback=self.parse_page, errback=self.on_error, meta=meta)

    async def _off_reactor(self, function: Callable[..., T], *args: Any) -> T:
        """Run a parser off the reactor (``crawler.parser_pool``): a huge page must not stall
        the crawl."""
        return await self.parsers.run(function, *args)

    def closed(self, reason: str) -> None:
        self.parsers.close()

    def _over_limit(self, key: str, url: str, what: str) -> None:
        self._count(key)
        self.logger.warning("%s: %s", url, what)

    async def parse_section(self, response: Response, page: int) -> AsyncIterator[Request]:
        self._count("pages/sections")
        if not isinstance(response, TextResponse):
            self._count("skipped/section_not_text")
            return
        found = await self._off_reactor(
            listing_links, response.text, response.url, self.rules, page, self.max_links
        )
        if found.truncated:
            self._over_limit("skipped/links_over_limit", response.url,
                             f"only its first {self.max_links} links were read "
                             "(NEWSARCHIVE_MAX_LINKS_PER_PAGE)")
        self._count("discovery/article_candidates", len(found.articles))
        if self.requisite_policy.enabled and self.requisite_policy.on_listings:
            for request in await self._page_requisites(response):
                yield request
        for url in found.articles:
            yield self._article_request(url, "section")
        if found.next_page and page < self.site.max_section_pages:
            yield Request(
                found.next_page,
                callback=self.parse_section,
                errback=self.on_error,
                cb_kwargs={"page": page + 1},
                priority=SECTION_PRIORITY,
            )

    def _candidates(self, urls: list[str], via: str) -> Iterator[Request]:
        for url in urls:
            if not parseable(url):  # "http://[bad" in a feed or sitemap: that entry only
                self._count("skipped/unparsable_url")
                continue
            url = normalize_url(url)
            if self.rules.followable(url) and (
                not self.rules.article_patterns
                or any(p.search(url) for p in self.rules.article_patterns)
            ):
                yield self._article_request(url, via)

    async def parse_feed(self, response: Response) -> AsyncIterator[Request]:
        self._count("pages/feeds")
        links = await self._off_reactor(feed_links, response.body, self.max_links + 1)
        if len(links) > self.max_links:
            del links[self.max_links:]
            self._over_limit("skipped/links_over_limit", response.url,
                             f"only its first {self.max_links} links were read "
                             "(NEWSARCHIVE_MAX_LINKS_PER_PAGE)")
        self._count("discovery/feed_links", len(links))
        for request in self._candidates(links, "feed"):
            yield request

    def _sitemap_allowed(self, url: str) -> bool:
        """Whether one more sitemap may be fetched in this crawl (counted when not)."""
        if self.sitemaps_requested >= self.max_sitemaps:
            self._count("skipped/sitemaps_over_limit")
            if self.crawler.stats is not None and self.crawler.stats.get_value(
                    "skipped/sitemaps_over_limit") == 1:
                self.logger.warning("%s: not fetched, the crawl has fetched %d sitemaps "
                                    "(NEWSARCHIVE_MAX_SITEMAPS); others are counted only",
                                    url, self.max_sitemaps)
            return False
        self.sitemaps_requested += 1
        return True

    async def parse_sitemap(self, response: Response, depth: int) -> AsyncIterator[Request]:
        self._count("pages/sitemaps")
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
        found = await self._off_reactor(sitemap_links, body, self.max_sitemap_urls)
        if found.truncated:
            self._over_limit("skipped/sitemap_truncated", response.url,
                             f"only its first {self.max_sitemap_urls} entries were read "
                             "(NEWSARCHIVE_SITEMAP_MAX_URLS)")
        self._count("discovery/sitemap_links", len(found.pages))
        for request in self._candidates(found.pages, "sitemap"):
            yield request
        if depth < MAX_SITEMAP_DEPTH:
            for index, url in enumerate(found.sitemaps):
                if url == response.url or not self.rules.followable(url):
                    continue
                if not self._sitemap_allowed(url):
                    # the rest cannot be fetched either: count them without looking at each
                    self._count("skipped/sitemaps_over_limit", len(found.sitemaps) - index - 1)
                    break
                yield Request(
                    url, callback=self.parse_sitemap, errback=self.on_error,
                    cb_kwargs={"depth": depth + 1},
                )

    def on_error(self, failure: Failure) -> None:
        """One counted line per failed fetch (the exchange itself is in the WARC if any)."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(HttpError):
            status = failure.value.response.status
            self._count(f"httperror/response_ignored_status_count/{status}")
            self.logger.info("HTTP %s for %s", status, url)
            return
        if failure.check(IgnoreRequest):
            return  # counted and logged where it was ignored (address guard, queue bound…)
        name = type(failure.value).__name__
        self._count(f"errors/download/{name}")
        self.logger.warning("Fetch failed for %s: %s %s", url, name, failure.getErrorMessage())

    async def parse_page(self, response: Response) -> AsyncIterator[Request | dict]:
        """Hand a fetched candidate to the pipelines, which decide if it is an article;
        its requisites are requested first (the record may wait for its lead image)."""
        self._count("pages/candidates")
        # (a page loaded in the browser fetched its requisites there: crawler.render)
        if (self.requisite_policy.enabled and "dataloss" not in response.flags
                and not response.meta.get("playwright")):
            for request in await self._page_requisites(response):
                yield request
        if not self.settings.getbool("NEWSARCHIVE_EXTRACT"):
            return  # archive only: the WARC has it, `reextract` makes the JSONL later
        if "dataloss" in response.flags:
            self._count("skipped/truncated")
            self.logger.warning("Skipped %s: connection lost mid-body (archived as truncated)", response.url)
            return
        if not isinstance(response, TextResponse) and not response.meta.get(DECODING_DEFERRED_META):
            # (a deferred body's type is decided where it is decoded)
            self._count("skipped/not_html")
            self.logger.info("Skipped %s: not an HTML/text response", response.url)
            return
        yield {
            "url": response.url,
            "status": response.status,
            "headers": header_pairs(response.headers),
            "body": response.body,  # still compressed when decoding was deferred
            "warc": response.meta.get(POINTER_META_KEY),
            "fetched_at": response.meta.get(FETCHED_AT_META_KEY),
            "discovered_via": response.meta.get("discovered_via"),
        }

    # --- page requisites (crawler.requisites finds them, crawler.requisite_fetching says how)

    async def _page_requisites(self, response: Response) -> list[Request]:
        content_type = response.headers.get("Content-Type", b"").lower()
        if content_type and b"html" not in content_type:
            return []
        policy = self.requisite_policy
        try:
            found = await self._off_reactor(
                page_requisites_of, response.url, list(header_pairs(response.headers)),
                response.body, bool(response.meta.get(DECODING_DEFERRED_META)),
                policy.per_page, policy.all_srcset, self.settings.getint("DOWNLOAD_MAXSIZE"))
        except (IgnoreRequest, OSError, ValueError, EOFError) as exc:
            self._count("requisites/skipped/page_undecodable")
            self.logger.info("No requisites read from %s: %s", response.url, exc)
            return []
        return list(self._requisite_requests(found, response.url, depth=0, chain=[]))

    def _requisite_requests(self, found: Found, url: str, depth: int, chain: list[str]
                            ) -> Iterator[Request]:
        policy = self.requisite_policy
        if found.more:
            self._over_limit("requisites/skipped/over_page_limit", url,
                             f"{found.more} requisites beyond the first {policy.per_page} not "
                             "fetched (NEWSARCHIVE_REQUISITES_PER_PAGE)")
            self._count("requisites/skipped/over_page_limit", found.more - 1)
        new = []
        for requisite in found.requisites:
            if requisite.url in chain or requisite.url == url:
                self._count("requisites/skipped/import_loop")
                continue
            if not policy.host_allowed(requisite.url):
                self._count("requisites/skipped/domain")
                continue
            if not self.requisites_requested.add(requisite.url):
                self._count("requisites/reused")
                continue
            new.append(requisite)
        self.requisite_ledger.requested(new)
        for requisite in new:
            self._count(f"requisites/requested/{requisite.kind}")
            yield Request(
                requisite.url, callback=self.parse_requisite, errback=self.on_requisite_error,
                priority=REQUISITE_PRIORITY, meta=policy.request_meta(requisite.kind),
                cb_kwargs={"depth": depth, "chain": [*chain, url][-policy.import_depth - 1:]},
            )

    def _requisite_url(self, request: Request) -> str:
        """The URL first asked for (a redirect changes the request's)."""
        urls = request.meta.get("redirect_urls")
        return str(urls[0]) if urls else request.url

    async def parse_requisite(self, response: Response, depth: int, chain: list[str]
                              ) -> AsyncIterator[Request]:
        kind = response.meta.get(REQUISITE_META, "other")
        self._count("requisites/responses")
        self._count("requisites/bytes", len(response.body))
        pointer = response.meta.get(POINTER_META_KEY) if 200 <= response.status < 300 else None
        self.requisite_ledger.finished(self._requisite_url(response.request), pointer)
        content_type = response.headers.get("Content-Type", b"").split(b";")[0].strip().lower()
        if kind != "stylesheet" and content_type in (b"text/html", b"application/xhtml+xml"):
            self._count(f"requisites/wrong_type/{kind}")
            self.logger.info("Requisite %s (%s) was served as %s", response.url, kind,
                             content_type.decode("latin-1"))
            return
        if kind not in PARSED_KINDS or "dataloss" in response.flags:
            return
        if content_type not in (b"", b"text/css", b"text/plain"):
            self._count("requisites/wrong_type/stylesheet")
            self.logger.info("Stylesheet %s was served as %s: not read", response.url,
                             content_type.decode("latin-1"))
            return
        if depth >= self.requisite_policy.import_depth:
            self._count("requisites/skipped/import_too_deep")
            return
        found = await self._off_reactor(
            partial(css_requisites, limit=self.requisite_policy.per_page),
            response.body, response.url)
        for request in self._requisite_requests(found, response.url, depth + 1, chain):
            yield request

    def on_requisite_error(self, failure: Failure) -> None:
        """Counted by reason; the page that needed it is archived and extracted all the same."""
        request = getattr(failure, "request", None)
        if request is not None:
            self.requisite_ledger.finished(self._requisite_url(request), None)
        message = failure.getErrorMessage()
        if failure.check(HttpError):
            reason = f"status/{failure.value.response.status}"
        elif failure.check(IgnoreRequest):
            reason = ("redirect_loop" if "redirect" in message else
                      "robots" if "robots" in message.lower() else "ignored")
        elif request is not None and getattr(
                request.meta.get(WIRE_META_KEY), "truncated", None) == "length":
            reason = "too_large"  # cut at download_maxsize (archived as WARC-Truncated)
        else:
            reason = type(failure.value).__name__
        self._count(f"requisites/failed/{reason}")
        self.logger.info("Requisite %s not fetched (%s): %s",
                         request.url if request is not None else "?", reason, message)


def page_requisites_of(url: str, headers: list[tuple[str, str]], body: bytes, deferred: bool,
                       limit: int, all_srcset: bool, max_size: int) -> Found:
    """The requisites of an HTML page as fetched (decoded first when decoding was deferred);
    the response in picklable pieces, for ``crawler.parser_pool``."""
    if deferred and any(name.lower() == "content-encoding" for name, _ in headers):
        from scrapy.http import Response

        from pipelines.responses import _content_decoded, _scrapy_headers

        response = Response(url=url, headers=_scrapy_headers(headers), body=body)
        body = _content_decoded(response, max_size).body
    return html_requisites(body, url, limit=limit, all_srcset=all_srcset)

"""``--max-articles N`` (``NEWSARCHIVE_MAX_ARTICLES``): exactly N article records, then stop.

An item pipeline after extraction: the first N records pass, the N-th closes the spider
(``closespider_itemcount``, as Scrapy's own limit says), and records of pages that were
already in flight are dropped and counted (``articles/over_limit``); those pages stay in
the WARC.  Scrapy's ``CLOSESPIDER_ITEMCOUNT`` alone lets every item in flight through.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro

FINISH_REASON = "closespider_itemcount"


class ArticleLimit:
    def __init__(self, crawler: Crawler, limit: int):
        self.crawler = crawler
        self.limit = limit
        self.passed = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleLimit:
        limit = crawler.settings.getint("NEWSARCHIVE_MAX_ARTICLES")
        if limit <= 0:
            raise NotConfigured
        return cls(crawler, limit)

    def process_item(self, item: Any) -> Any:
        if self.passed >= self.limit:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("articles/over_limit")
            url = item.get("url") if isinstance(item, dict) else None
            raise DropItem(f"over --max-articles {self.limit}: {url}")
        self.passed += 1
        if self.passed == self.limit:
            assert self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=FINISH_REASON))
        return item

"""``image.warc``: the record's lead image, pointed at in the archive when it was archived.

The spider fetches requisites ahead of pages, so the image is usually archived first; otherwise
the record waits at most ``NEWSARCHIVE_LEAD_IMAGE_WAIT`` seconds, then goes out without it
(counted). Only a 2xx requisite fetch yields ``image.warc``. On a shared (Redis) frontier the
spider's ledger also finds the pointers of images other workers archived
(``crawler.frontier.requisite_pointers``).
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from archive.layout import key_from_name
from pipelines.warc_keys import key_in_this_crawl


class LeadImagePointer:
    def __init__(self, crawler: Crawler, *, wait: float):
        self.crawler = crawler
        self.wait = wait

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeadImagePointer:
        settings = crawler.settings
        if not (settings.getbool("NEWSARCHIVE_EXTRACT") and settings.getbool("NEWSARCHIVE_REQUISITES")
                and settings.getbool("WARC_ENABLED")):
            raise NotConfigured("no extraction, no requisites or no WARC: no image pointers")
        return cls(crawler, wait=settings.getfloat("NEWSARCHIVE_LEAD_IMAGE_WAIT"))

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

    def _with_key(self, pointer: dict[str, Any]) -> dict[str, Any] | None:
        """The capture's pointer with its WARC's key, as the record's own ``warc``."""
        if pointer.get("key"):  # another worker's, published with its key
            return pointer
        filename = str(pointer.get("filename", ""))
        key = key_in_this_crawl(self.crawler, filename) or key_from_name(
            getattr(self.crawler.spider, "site_name", None), filename)
        return {"key": key, **pointer} if key else None

    async def process_item(self, item: Any) -> Any:
        image = item.get("image") if isinstance(item, dict) else None
        ledger = getattr(self.crawler.spider, "requisite_ledger", None)
        if not isinstance(image, dict) or not image.get("url") or ledger is None:
            return item
        url = str(image["url"])
        if url in ledger.pending:
            self._count("requisites/lead_image/waited")
        pointer = await ledger.wait(url, self.wait)
        if pointer is None:
            self._count("requisites/lead_image/not_archived"
                        if url not in ledger.pending else "requisites/lead_image/not_waited")
            return item
        with_key = self._with_key(pointer)
        if with_key is None:
            self._count("requisites/lead_image/no_key")
            return item
        image["warc"] = with_key
        self._count("requisites/lead_image/pointed")
        return item

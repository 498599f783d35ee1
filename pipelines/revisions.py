"""Revisions: a crawl writes a record only for a new article or one whose text or title changed.

Each record is compared with its URL's seen-store entry: unchanged ones are dropped, new ones
get ``revision`` 1, changed ones the next with ``previous`` (pointer and text digest). Every
record gains a stable ``id`` and ``first_seen``. The store learns a revision only once its
record is written (``item_scraped``), so a record dropped later is not taken for archived.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

import logging

from pipelines.validate import article_id
from archive.seen_store import (
    SeenStoreError, attach_seen_store, attached_seen_store, parse_time, text_digest,
)

logger = logging.getLogger(__name__)

SCHEMA_MINOR_WITH_REVISIONS = 2
SCHEMA_FILE = "schema/article-v1.2.schema.json"


class RevisionPipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RevisionPipeline:
        settings = crawler.settings
        if not (settings.getbool("NEWSARCHIVE_INCREMENTAL")
                and settings.getbool("NEWSARCHIVE_EXTRACT")):
            raise NotConfigured("incremental crawling or extraction is off")
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        return pipeline

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        store = attached_seen_store(self.crawler)
        if store is None:
            return item
        url = item["url"]
        digest, title = text_digest(item.get("text") or ""), text_digest(item.get("title") or "")
        try:
            entry = store.get(url)
        except SeenStoreError as exc:
            self._failed(exc)
            return item
        known = entry is not None and entry.known
        if known and entry.text_digest == digest and entry.title_digest == title:
            self._count("revisions/unchanged")
            raise DropItem(f"{url}: unchanged since revision {entry.revision}")
        record = {**item, "schema_minor": SCHEMA_MINOR_WITH_REVISIONS, "id": article_id(url)}
        if known:
            assert entry is not None
            record["revision"] = (entry.revision or 0) + 1
            record["first_seen"] = entry.first_seen or item.get("fetched_at")
            record["previous"] = {"warc": entry.warc, "text_digest": entry.text_digest}
        else:
            record["revision"] = 1
            record["first_seen"] = item.get("fetched_at")
            record["previous"] = None
        return record

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        store = attached_seen_store(self.crawler)
        if store is None or not isinstance(item, dict) or "revision" not in item:
            return
        try:
            self._remember(store, item)
        except SeenStoreError as exc:
            self._failed(exc)
            return
        self._count("revisions/new" if item["revision"] == 1 else "revisions/updated")

    def _failed(self, exc: Exception) -> None:
        """Records are written whole (schema 1.1, as without revisions) from now on."""
        logger.warning("Seen-store unusable, revisions off for the rest of the crawl: %s", exc)
        self._count("incremental/store_failed")
        attach_seen_store(self.crawler, None)

    @staticmethod
    def _remember(store: Any, item: dict[str, Any]) -> None:
        store.update(item["url"], {
            "revision": item["revision"],
            "first_seen": item["first_seen"],
            "captured_at": item.get("fetched_at"),
            "published": parse_time(item.get("published")),
            "text_digest": text_digest(item.get("text") or ""),
            "title_digest": text_digest(item.get("title") or ""),
            "warc": item.get("warc"),
            "checked_at": parse_time(item.get("fetched_at")),
        })

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

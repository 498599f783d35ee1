"""Turns fetched candidate pages into article records, off the reactor in worker processes.

Each item from the spider carries the decoded body, headers and WARC pointer of one page;
extraction (pure functions in ``pipelines.extract``) runs in a process pool so both cores
work, and Scrapy's scraper slot limit (``SCRAPER_SLOT_MAX_ACTIVE_SIZE``) keeps the HTML
waiting for a worker bounded.  Non-articles and unusable pages are dropped with a reason
that is counted in the stats.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, Mapping

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from pipelines.extract import Extraction, extract_page
from pipelines.validate import SCHEMA_VERSION

logger = logging.getLogger(__name__)


def looks_binary(body: bytes, sample: int = 4096) -> bool:
    """True for bodies that are not text whatever their Content-Type says."""
    head = body[:sample]
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls / len(head) > 0.05


def watch_parent(parent_pid: int, interval: float = 1.0) -> None:
    """Worker initializer: exit when the crawl process is gone (even after a kill -9).

    Workers are children of the forkserver, not of the crawl, and would otherwise live on
    holding the crawl's output pipes.
    """

    def watch() -> None:
        while True:
            time.sleep(interval)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def extract_for_record(body: bytes, url: str, headers: Mapping[str, str]) -> Extraction:
    """Runs in a worker process."""
    return extract_page(body, url, headers)


def build_record(item: Mapping[str, Any], extraction: Extraction, crawl_id: str) -> dict[str, Any]:
    record: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    record.update(extraction.record)
    record["url"] = item["url"]
    record["fetched_at"] = item["fetched_at"]
    record["crawl_id"] = crawl_id
    record["warc"] = item["warc"]
    return record


class ArticleExtractionPipeline:
    def __init__(self, crawler: Crawler, *, workers: int, max_bytes: int):
        self.crawler = crawler
        self.workers = workers
        self.max_bytes = max_bytes
        self.executor: Executor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleExtractionPipeline:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_EXTRACT"):
            raise NotConfigured("extraction is off (archive only)")
        workers = settings.getint("EXTRACT_WORKERS", -1)
        if workers < 0:
            workers = os.cpu_count() or 1
        return cls(crawler, workers=workers, max_bytes=settings.getint("EXTRACT_MAX_BYTES"))

    def open_spider(self) -> None:
        if self.workers > 0:
            context = multiprocessing.get_context("forkserver")
            # Workers fork from a server that already imported the extractor.
            context.set_forkserver_preload(["pipelines.extract"])
            self.executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=watch_parent,
                initargs=(os.getpid(),),
            )

    def close_spider(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=False)
            self.executor = None

    def _drop(self, key: str, message: str) -> DropItem:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)
        return DropItem(message)

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        url, body = item["url"], item["body"]
        if len(body) > self.max_bytes:
            raise self._drop("skipped/too_large", f"{url}: {len(body)} bytes, not extracted")
        if looks_binary(body):
            raise self._drop("skipped/binary", f"{url}: binary content served as text")
        try:
            if self.executor is None:
                extraction = extract_for_record(body, url, item["headers"])
            else:
                future = self.executor.submit(extract_for_record, body, url, item["headers"])
                extraction = await asyncio.wrap_future(future)
        except Exception as exc:  # a page must never stop the crawl
            logger.exception("Extraction failed for %s", url)
            raise self._drop("articles/extract_failed", f"{url}: extraction failed: {exc!r}")
        if not extraction.is_article:
            reason = extraction.reason or "not-an-article"
            raise self._drop(f"pages/non_articles/{reason}", f"{url}: not an article ({reason})")
        spider = self.crawler.spider
        record = build_record(item, extraction, getattr(spider, "crawl_id", ""))
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("articles/extracted")
        return record

"""Turns fetched candidate pages into article records, off the reactor in worker processes.

Workers run ``pipelines.responses.decide`` on each response as fetched, as ``reextract`` does,
so decoding, extraction and validation use all cores and the crawl process only writes.
``SCRAPER_SLOT_MAX_ACTIVE_SIZE`` bounds the pages waiting for a worker; non-articles and
unusable pages are dropped with a counted reason.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from pipelines.responses import ExtractSettings, FetchedResponse, Outcome, decide
from pipelines.warc_keys import key_in_this_crawl

logger = logging.getLogger(__name__)


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


class ArticleExtractionPipeline:
    def __init__(self, crawler: Crawler, *, workers: int, settings: ExtractSettings):
        self.crawler = crawler
        self.workers = workers
        self.settings = settings
        self.executor: Executor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleExtractionPipeline:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_EXTRACT"):
            raise NotConfigured("extraction is off (archive only)")
        workers = settings.getint("EXTRACT_WORKERS")
        if workers < 0:
            workers = os.cpu_count() or 1
        return cls(crawler, workers=workers, settings=ExtractSettings.from_settings(settings))

    def open_spider(self) -> None:
        if self.workers > 0:
            context = multiprocessing.get_context("forkserver")
            # Workers fork from a server that already imported the extractor and built its
            # one-time tables.
            context.set_forkserver_preload(["pipelines.responses", "pipelines.extract.preload"])
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

    def _pointer(self, pointer: dict[str, Any] | None) -> dict[str, Any] | None:
        """The capture's pointer with the WARC's key, found where the writer put the file."""
        if not pointer:
            return pointer
        key = key_in_this_crawl(self.crawler, pointer.get("filename", ""))
        return {"key": key, **pointer} if key else pointer

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        spider = self.crawler.spider
        response = FetchedResponse(
            url=item["url"],
            date=item["fetched_at"],
            status=item["status"],
            headers=item["headers"],
            payload=item["body"],
            pointer=self._pointer(item["warc"]),
            crawl_id=getattr(spider, "crawl_id", ""),
            site=getattr(spider, "site_name", None),
        )
        if self.executor is None:
            outcome = decide(response, self.settings)
        else:
            outcome = await asyncio.wrap_future(self.executor.submit(decide, response, self.settings))
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(outcome.key)
        if outcome.record is None:
            self._log(outcome)
            raise DropItem(outcome.detail or f"{item['url']}: {outcome.key}")
        return outcome.record

    @staticmethod
    def _log(outcome: Outcome) -> None:
        if outcome.key in ("articles/extract_failed", "articles/dropped/invalid_record"):
            logger.error("%s", outcome.detail)  # our bug, not the page's (with its traceback)
        elif outcome.key.startswith("skipped/") and outcome.detail:
            logger.info("Skipped %s", outcome.detail)

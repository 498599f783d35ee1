"""Incremental crawling: a known article is not fetched again unless the recrawl policy says
so, and then only conditionally (``If-None-Match`` / ``If-Modified-Since``).

A downloader middleware over the seen-store (``archive.seen_store``). Section pages, feeds,
sitemaps and robots.txt always pass; ``NEWSARCHIVE_FULL_CRAWL`` (``--full``) fetches everything
and still updates the store. An unreadable store is rebuilt from the archive, never left empty.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from archive.capture import POINTER_META_KEY
from archive.errors import StorageError
from archive.output import LocalOutput
from archive.seen_store import (
    RECHECK_META_KEY,
    CorruptSeenStore,
    RedisSeenStore,
    SeenEntry,
    SeenStoreError,
    SeenStore,
    SqliteSeenStore,
    attach_seen_store,
    has_earlier_records,
    parse_time,
    rebuild_entries,
    set_aside,
)
from archive.storage import open_storage
from archive.layout import default_spool_root, seen_state_key, storage_seen_state_path
from crawler.config import RecrawlPolicy, parse_duration, recrawl_policy
from crawler.middlewares import DEFER_DECODING_META

logger = logging.getLogger(__name__)


def is_article_candidate(request: Request) -> bool:
    """The spider marks exactly its article candidates for deferred decoding
    (``SectionSpider._article_request``); listings, feeds and sitemaps are never marked."""
    return bool(request.meta.get(DEFER_DECODING_META))


def header_text(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class IncrementalMiddleware:
    """Skips known articles, re-checks recent ones conditionally (see module docstring)."""

    def __init__(self, crawler: Crawler, *, full: bool, policy: RecrawlPolicy,
                 clock: Any = time.time):
        self.crawler = crawler
        self.full = full
        self.default_policy = policy
        self.policy = policy
        self.clock = clock
        self.store: SeenStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_INCREMENTAL"):
            raise NotConfigured("NEWSARCHIVE_INCREMENTAL is off")
        policy = RecrawlPolicy(
            younger_than=_seconds(settings.get("NEWSARCHIVE_RECRAWL_YOUNGER_THAN"),
                                  "NEWSARCHIVE_RECRAWL_YOUNGER_THAN"),
            every=_seconds(settings.get("NEWSARCHIVE_RECRAWL_EVERY"), "NEWSARCHIVE_RECRAWL_EVERY"),
            max_urls=settings.getint("NEWSARCHIVE_SEEN_STORE_MAX_URLS"),
        )
        middleware = cls(crawler, full=settings.getbool("NEWSARCHIVE_FULL_CRAWL"), policy=policy)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    # -- the store ---------------------------------------------------------------------------
    def spider_opened(self, spider: Any) -> None:
        site = getattr(spider, "site", None)
        if site is None:
            return
        own = recrawl_policy(site.recrawl, site.source)
        self.policy = RecrawlPolicy(
            younger_than=_first(own.younger_than, self.default_policy.younger_than),
            every=_first(own.every, self.default_policy.every),
            max_urls=own.max_urls or self.default_policy.max_urls,
        )
        from crawler.frontier.store import KEY_PREFIX, attached_frontier

        frontier = attached_frontier(self.crawler)
        try:
            if frontier is not None:
                self.store = self._open_redis(
                    RedisSeenStore(frontier.server, f"{KEY_PREFIX}:{site.name}"), site.name)
            else:
                self.store = self._open_sqlite(site.name)
        except SeenStoreError as exc:
            self.failed(exc)
            return
        attach_seen_store(self.crawler, self.store)
        if self.full:
            logger.info("Full crawl of site %s: every known article is fetched again", site.name)

    def _archive_storage(self) -> Any:
        from archive.crawl_output import crawl_output

        output = crawl_output(self.crawler)
        return getattr(output, "storage", None) or open_storage(output.uri)

    def _rebuild(self, store: SeenStore, site: str) -> int:
        count = store.load(rebuild_entries(self._archive_storage(), site))
        self._count("incremental/seen_store_rebuilt")
        return count

    def _open_sqlite(self, site: str) -> SqliteSeenStore:
        path = self._sqlite_path(site)
        try:
            store = SqliteSeenStore(path)
        except CorruptSeenStore as exc:
            aside = set_aside(path)
            self._count("incremental/seen_store_corrupt")
            logger.warning("Seen-store unreadable (%s): set aside as %s, rebuilding it from the "
                           "archive", exc, aside.name)
            store = SqliteSeenStore(path)
        earlier = has_earlier_records(self._archive_storage(), site)
        if not earlier and store.has_known():
            # (a storage archive's store lives outside it: the bucket may be new or emptied)
            store.close()
            aside = set_aside(path, "stale")
            logger.warning("Seen-store %s describes articles this archive has no record of: "
                           "set aside as %s", path, aside.name)
            store = SqliteSeenStore(path)
        if store.count() == 0 and earlier:
            count = self._rebuild(store, site)
            logger.warning("Seen-store of site %s rebuilt from the archive's JSONL: %d articles",
                           site, count)
        return store

    def _open_redis(self, store: RedisSeenStore, site: str) -> SeenStore:
        if store.exists():
            return store
        try:
            earlier = has_earlier_records(self._archive_storage(), site)
            if earlier:
                logger.warning("Redis holds no seen-store for site %s although this worker's "
                               "archive has earlier crawls of it (keys lost?): rebuilding it "
                               "from this worker's archive", site)
                self._count("incremental/seen_store_lost")
                count = self._rebuild(store, site)
                logger.warning("Seen-store of site %s rebuilt in Redis: %d articles", site, count)
        except (StorageError, OSError) as exc:
            logger.warning("Redis holds no seen-store for site %s and this worker's archive "
                           "cannot be read (%s): every article is fetched (a full crawl)",
                           site, exc)
            self._count("incremental/seen_store_lost")
        store.mark_created()
        return store

    def _sqlite_path(self, site: str) -> Path:
        """In a local archive, beside its other state; for storage, beside the spools."""
        from archive.crawl_output import crawl_output

        output = crawl_output(self.crawler)
        key = seen_state_key(site)
        if isinstance(output, LocalOutput):
            return output.local_path(key)
        spool_root = Path(self.crawler.settings.get("STORAGE_SPOOL_DIR") or default_spool_root())
        path = storage_seen_state_path(spool_root, str(getattr(output, "uri", "storage")), site)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def failed(self, exc: Exception) -> None:
        """The store failed: every article is fetched from now on (nothing is lost)."""
        logger.warning("Seen-store unusable, fetching every article for the rest of the crawl: "
                       "%s", exc)
        self._count("incremental/store_failed")
        attach_seen_store(self.crawler, None)
        self.store = None

    def spider_closed(self, spider: Any) -> None:
        if self.store is None:
            return
        try:
            self._close_store()
        except SeenStoreError as exc:
            self.failed(exc)

    def _close_store(self) -> None:
        assert self.store is not None
        pruned = self.store.prune(self.policy.max_urls or 0) if self.policy.max_urls else 0
        if pruned:
            self._count("incremental/pruned", pruned)
        stats = self._stats()
        logger.info("Incremental: %d known articles not fetched, %d re-checked (%d not modified)",
                    stats.get_value("incremental/skipped_known", 0),
                    stats.get_value("incremental/conditional", 0),
                    stats.get_value("incremental/not_modified", 0))
        self.store.close()
        attach_seen_store(self.crawler, None)
        self.store = None

    # -- requests ----------------------------------------------------------------------------
    def due(self, entry: SeenEntry, now: float) -> bool:
        """Whether a known article is inside the recrawl window and due for a check."""
        born = entry.published if entry.published is not None else parse_time(entry.first_seen)
        if born is None or now - born >= (self.policy.younger_than or 0):
            return False
        return entry.checked_at is None or now - entry.checked_at >= (self.policy.every or 0)

    def process_request(self, request: Request) -> None:
        if self.store is None or self.full or not is_article_candidate(request):
            return None
        try:
            entry = self.store.get(request.url)
        except SeenStoreError as exc:
            self.failed(exc)
            return None
        if entry is None or not entry.known:
            return None
        if not self.due(entry, self.clock()):
            self._count("incremental/skipped_known")
            raise IgnoreRequest(f"{request.url}: known article, not due for a re-check")
        if entry.etag:
            request.headers["If-None-Match"] = entry.etag
        if entry.last_modified:
            request.headers["If-Modified-Since"] = entry.last_modified
        if entry.etag or entry.last_modified:
            request.meta[RECHECK_META_KEY] = {"url": entry.url, "warc": entry.warc,
                                              "payload_digest": entry.payload_digest}
            self._count("incremental/conditional")
        else:
            self._count("incremental/recheck_unconditional")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if self.store is None or not is_article_candidate(request):
            return response
        try:
            return self._answered(request, response)
        except SeenStoreError as exc:
            self.failed(exc)
            if response.status == 304 and RECHECK_META_KEY in request.meta:
                raise IgnoreRequest(f"{request.url}: not modified") from None
            return response

    def _answered(self, request: Request, response: Response) -> Response:
        assert self.store is not None
        now = self.clock()
        if response.status == 304 and RECHECK_META_KEY in request.meta:
            self.store.update(request.url, {"checked_at": now})
            self._count("incremental/not_modified")
            raise IgnoreRequest(f"{request.url}: not modified (archived as a revisit)")
        if response.status == 200:
            pointer = request.meta.get(POINTER_META_KEY) or {}
            self.store.update(response.url, {
                "etag": header_text(response, "ETag"),
                "last_modified": header_text(response, "Last-Modified"),
                "payload_digest": pointer.get("payload_digest"),
                "checked_at": now,
            })
        return response

    def _stats(self) -> Any:
        assert self.crawler.stats is not None
        return self.crawler.stats

    def _count(self, key: str, count: int = 1) -> None:
        self._stats().inc_value(key, count)


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)


def _seconds(value: Any, name: str) -> float:
    """A NEWSARCHIVE_RECRAWL_* setting: seconds, or a duration such as ``6h``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return parse_duration(str(value), "-s", name, allow_zero=True)

"""The WARC capture downloader middleware: every exchange recorded as it came off the wire.

Placed last (order 950), it sees each request after every other middleware shaped it and each
response before decompression, redirects, retries or cookies, so robots.txt, feeds, sitemaps,
redirects and error pages are archived like everything else.  Heads come from ``archive.wire``,
revisits from ``archive.dedup``; a body cut short is still archived, as ``WARC-Truncated``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from archive.cdxj import LiveIndex, index_closed_warc
from archive.crawl_lock import CrawlLock
from archive.crawl_output import crawl_output
from archive.dedup import DedupIndex, Original, dedup_state_path
from archive.output import IndexBeforeClose, LocalOutput
from archive.records import (
    Record,
    RecordFactory,
    http_block,
    looks_compressed,
    sha1_digest,
    utc_now,
    warc_date,
)
from archive.seen_store import RECHECK_META_KEY
from archive.warc_writer import RotatingWarcWriter
from archive.record_threads import RecordThreads
from archive.wire import (
    WIRE_META_KEY,
    WireExchange,
    content_encoded,
    request_block,
    response_head,
    wire_head,
)
from archive.errors import StorageError
from pipelines.versions import EXTRACTOR_NAME, EXTRACTOR_VERSION, PACKAGE_VERSION

logger = logging.getLogger(__name__)

POINTER_META_KEY = "warc"
# Payloads to deflate from this size go to the record threads; a smaller one, or one stored
# as received (already compressed), costs less in place than the hand-over between threads.
# There, payloads are also sampled for compressed formats (records.looks_compressed).
THREADED_DEFLATE_MIN = 16 * 1024
FETCHED_AT_META_KEY = "fetched_at"


def warcinfo_fields(
    crawl_id: str, site: str, operator: str, robots: bool, user_agent: str
) -> dict[str, str]:
    from importlib.metadata import version

    return {
        "software": f"newsarchive/{PACKAGE_VERSION} (Scrapy/{version('scrapy')}; warcio/{version('warcio')})",
        "extractor": f"{EXTRACTOR_NAME}/{EXTRACTOR_VERSION}",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "isPartOf": crawl_id,
        "description": f"newsarchive crawl of site '{site}'",
        "hostname": socket.gethostname(),
        "operator": operator,
        "robots": "obey" if robots else "ignore",
        "http-header-user-agent": user_agent,
    }


class WarcCaptureMiddleware:
    """Writes one request and one response record per exchange (see module docstring)."""

    def __init__(
        self,
        crawler: Crawler,
        *,
        max_size: int,
        gzip_level: int,
        operator: str,
        record_threads: int = 0,
        dedup: bool = True,
        cdxj: bool = True,
        factory: RecordFactory | None = None,
    ):
        self.crawler = crawler
        self.max_size = max_size
        self.gzip_level = gzip_level
        self.record_threads = record_threads
        self.operator = operator
        self.dedup_enabled = dedup
        # Closed WARCs are indexed on one background thread so rotation never stalls the
        # reactor; spider_closed waits for the last index before the manifest is written.
        self.indexer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cdxj") if cdxj else None
        self.live_index = LiveIndex() if cdxj else None
        self.factory = factory or RecordFactory()
        self.writer: RotatingWarcWriter | None = None
        self.threads: RecordThreads | None = None
        self.failed = False
        self.dedup: DedupIndex | None = None
        self.crawl_lock: CrawlLock | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        middleware = cls(
            crawler,
            max_size=settings.getint("WARC_MAX_SIZE"),
            gzip_level=settings.getint("WARC_GZIP_LEVEL"),
            record_threads=settings.getint("WARC_RECORD_THREADS"),
            operator=settings.get("NEWSARCHIVE_OPERATOR"),
            dedup=settings.getbool("WARC_DEDUP"),
            cdxj=settings.getbool("WARC_CDXJ"),
        )
        middleware.take_crawl_lock()
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        # Connected after the manifest extension's (extensions are built before downloader
        # middlewares), so the crawl is alive until its manifest is written.
        crawler.signals.connect(middleware.engine_stopped, signal=signals.engine_stopped)
        return middleware

    def spider_opened(self, spider: Any) -> None:
        settings = self.crawler.settings
        site = getattr(spider, "site_name", spider.name)
        crawl_id = getattr(spider, "crawl_id", "") or settings.get("NEWSARCHIVE_CRAWL_ID")
        output = crawl_output(self.crawler)
        if self.dedup_enabled:
            self.dedup = DedupIndex(dedup_state_path(output, settings.get("STORAGE_SPOOL_DIR")))
        # With indexing on, the indexer reports a closed WARC to the output, after reading
        # it: a storage output uploads a reported file and removes it from the spool.
        sink = IndexBeforeClose(output) if self.indexer is not None else output
        self.writer = RotatingWarcWriter(
            sink,
            site=site,
            crawl_id=crawl_id,
            warcinfo=warcinfo_fields(
                crawl_id,
                site,
                self.operator,
                settings.getbool("ROBOTSTXT_OBEY"),
                settings.get("USER_AGENT"),
            ),
            max_size=self.max_size,
            gzip_level=self.gzip_level,
            factory=self.factory,
            on_closed=self._file_closed,
            on_written=self.live_index.add if self.live_index is not None else None,
        )
        self.threads = RecordThreads(self.writer, self.record_threads)

    def _file_closed(self, key: str, path: Any) -> None:
        if self.dedup is not None:
            self.call_dedup("file_closed", key.rsplit("/", 1)[-1])
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("warc/files_closed")
        if self.indexer is not None:
            self.indexer.submit(self._index_and_close, key)

    def _index_and_close(self, key: str) -> None:
        """On the indexer thread: index the closed WARC, then report both to the output."""
        try:
            assert self.live_index is not None
            lines = self.live_index.take(key.rsplit("/", 1)[-1])
            index_closed_warc(crawl_output(self.crawler), key, self.crawler.stats,
                              close_warc=True, lines=lines)
        except StorageError as exc:  # the spool journal failed: not reported as stored
            logger.error("Could not record %s as closed: %s", key, exc)
            self._stats().inc_value("warc/write_failed")

    def call_dedup(self, method: str, *args: Any) -> Any:
        """Call the revisit index; if its database fails (disk full…), go on without it."""
        dedup = self.dedup
        if dedup is None:
            return None
        try:
            return getattr(dedup, method)(*args)
        except sqlite3.Error as exc:
            logger.warning("Revisit index disabled for the rest of the crawl: %s", exc)
            self._stats().inc_value("warc/dedup_failed")
            self.dedup = None
            with contextlib.suppress(sqlite3.Error):
                dedup.close()
            return None

    def stop_on_write_failure(self, exc: Exception) -> None:
        """A WARC that cannot be written stops the crawl: nothing fetched goes unarchived."""
        self._stats().inc_value("warc/write_failed")
        if self.failed:
            return
        self.failed = True
        logger.error("Stopping the crawl: %s", exc)
        engine = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason="warc_write_failed"))

    def spider_closed(self, spider: Any) -> None:
        if self.threads is not None:
            self.threads.close()
        if self.writer is not None:
            self.writer.close()
        if self.indexer is not None:
            self.indexer.shutdown(wait=True)
        if self.live_index is not None:
            self.live_index.close()
        if self.dedup is not None:
            self.call_dedup("close")
            self.dedup = None

    def take_crawl_lock(self) -> None:
        """Tell crash recovery in other processes that this crawl is alive: taken before
        the spider opens (and with it the JSONL feed), so no file of the crawl predates it."""
        crawl_id = getattr(self.crawler.spider, "crawl_id", "") or \
            self.crawler.settings.get("NEWSARCHIVE_CRAWL_ID")
        output = crawl_output(self.crawler)
        if not crawl_id or not isinstance(output, LocalOutput):
            return  # a spool has its own owner lock (archive.storage.spool)
        lock = CrawlLock.for_crawl(output.root, crawl_id)
        if lock.try_acquire():
            self.crawl_lock = lock
        else:
            logger.warning("Crawl %s is locked by another process", crawl_id)

    def engine_stopped(self) -> None:
        if self.crawl_lock is not None:
            self.crawl_lock.release()
            self.crawl_lock = None

    def process_request(self, request: Request) -> None:
        # A redirect or retry copies meta: an earlier exchange must not stand for this one.
        request.meta.pop(WIRE_META_KEY, None)

    async def process_response(self, request: Request, response: Response) -> Response:
        if self.writer is None or urlsplit(response.url).scheme not in ("http", "https"):
            return response
        if "playwright" in response.flags:
            return response  # a rendered DOM: archive.browser_capture wrote the exchanges
        status_line, header_lines = response_head(request, response)
        truncated = None
        if "download_stopped" in response.flags:
            truncated = "length"
        elif "dataloss" in response.flags:
            truncated = "disconnect"
        ip = str(response.ip_address) if response.ip_address else None
        await self._archive(
            request, response.url, status_line, header_lines, response.body, truncated, ip
        )
        self._stats().inc_value(f"warc/responses/status/{response.status}")
        return response

    async def process_exception(self, request: Request, exception: BaseException) -> None:
        """A download cut short (size limit, lost connection): archive what arrived."""
        wire: WireExchange | None = request.meta.get(WIRE_META_KEY)
        if self.writer is None or wire is None or wire.truncated is None:
            return
        if wire.partial_body is None:
            return
        status_line, header_lines = wire_head(wire)
        await self._archive(
            request,
            request.url,
            status_line,
            header_lines,
            wire.partial_body,
            wire.truncated,
            wire.ip_address,
        )
        self._stats().inc_value(f"warc/truncated/{wire.truncated}")
        return

    def _stats(self) -> Any:
        assert self.crawler.stats is not None
        return self.crawler.stats

    async def _archive(
        self,
        request: Request,
        url: str,
        status_line: bytes,
        header_lines: list[bytes],
        body: bytes,
        truncated: str | None,
        ip: str | None,
    ) -> None:
        assert self.writer is not None and self.threads is not None
        fetched = utc_now()
        # A 304 to a re-check (crawler.incremental): a revisit of the capture it confirms.
        not_modified = status_line.split(b" ", 2)[1:2] == [b"304"]
        recheck = request.meta.get(RECHECK_META_KEY) if not_modified else None
        confirmed = None
        if recheck is not None:
            confirmed = self._not_modified(url, status_line, header_lines, recheck, fetched, ip)
        deduplicate = truncated is None and recheck is None
        make = partial(self._exchange_records, request.url, request_block(request), url,
                       status_line, header_lines, body, truncated, ip, fetched, deduplicate,
                       confirmed)
        try:
            (_, pointer), (original, digest, stored) = await self.threads.make_and_write(
                make, worth_a_thread=len(body) >= THREADED_DEFLATE_MIN
                and not content_encoded(header_lines))
        except StorageError as exc:
            self.stop_on_write_failure(exc)
            raise IgnoreRequest(f"{url}: not archived ({exc})") from exc
        stats = self._stats()
        stats.inc_value("warc/records_written", 2)
        stats.set_value("warc/bytes_written", self.writer.bytes_written)
        if recheck is not None:
            request.meta[POINTER_META_KEY] = recheck.get("warc")
            stats.inc_value("warc/revisits_written")
            stats.inc_value("warc/revisits_not_modified")
        elif original is not None:
            # The payload lives in the original record: that is what a pointer must reach.
            request.meta[POINTER_META_KEY] = original.pointer()
            stats.inc_value("warc/revisits_written")
            stats.inc_value("warc/revisit_payload_bytes_saved", len(body))
        else:
            request.meta[POINTER_META_KEY] = pointer.to_dict()
            if stored:  # compressed already: stored in the WARC, not deflated again
                stats.inc_value("warc/payloads_stored")
            if deduplicate:
                self.call_dedup("add", Original(
                    url=url, digest=digest, record_id=pointer.record_id,
                    date=warc_date(fetched), filename=pointer.filename,
                    offset=pointer.offset, length=pointer.length))
        request.meta[FETCHED_AT_META_KEY] = fetched_iso(fetched)

    def _exchange_records(
        self, request_url: str, request_head: bytes, url: str, status_line: bytes,
        header_lines: list[bytes], body: bytes, truncated: str | None, ip: str | None,
        fetched: datetime, deduplicate: bool, record: Record | None,
    ) -> tuple[tuple[Record, Record], tuple[Original | None, str, bool]]:
        """The exchange's request record and its response (or revisit) record, with the
        original a revisit refers to (``deduplicate``: the revisit index's earliest record of
        this payload at this URL), the payload digest and whether the payload is stored as
        it came (compressed already: a Content-Encoding, or a large payload that
        :func:`looks_compressed`, sampled here); run on a record thread, where the
        index's look-up costs the crawl's thread nothing.  ``record`` is the response record
        when it was made already (a not-modified revisit)."""
        digest = sha1_digest(body)
        stored = False
        original = None
        if record is None and deduplicate:
            original = self.call_dedup("lookup", url, digest)
        if record is None and original is not None:
            block, _ = http_block(status_line, header_lines, b"")
            record = self.factory.revisit(
                url, block, digest, original.url, original.date,
                refers_to=original.record_id, date=fetched, ip_address=ip,
            )
        elif record is None:
            block, payload_offset = http_block(status_line, header_lines, body)
            stored = content_encoded(header_lines) or (
                len(body) >= THREADED_DEFLATE_MIN and looks_compressed(body))
            record = self.factory.response(
                url, block, payload_offset, date=fetched, ip_address=ip,
                extra=[("WARC-Truncated", truncated)] if truncated else [],
                payload_digest=digest, payload_compressed=stored,
            )
        request_record = self.factory.request(
            request_url, request_head, concurrent_to=record.record_id,
            date=record.header("WARC-Date") or warc_date(fetched), ip_address=ip,
        )
        return (request_record, record), (original, digest, stored)

    def _not_modified(self, url: str, status_line: bytes, header_lines: list[bytes],
                      recheck: dict[str, Any], fetched: datetime, ip: str | None) -> Any:
        """The server-not-modified revisit, dated by the revisit index when it knows the
        original (``WARC-Refers-To-Date`` is left out rather than guessed)."""
        pointer = recheck.get("warc") or {}
        original = self.call_dedup("lookup", recheck["url"], recheck.get("payload_digest") or "")
        block, _ = http_block(status_line, header_lines, b"")
        return self.factory.not_modified_revisit(
            url, block, refers_to_uri=recheck["url"],
            refers_to=original.record_id if original else pointer.get("record_id"),
            refers_to_date=original.date if original else None, date=fetched, ip_address=ip)


def capture_of(crawler: Crawler) -> WarcCaptureMiddleware | None:
    """The crawl's capture middleware: None outside a crawl, or with capture off."""
    try:
        engine = crawler.engine
        middlewares = engine.downloader.middleware.middlewares if engine is not None else ()
    except RuntimeError:  # no engine: called outside a crawl
        middlewares = ()
    return next((m for m in middlewares if isinstance(m, WarcCaptureMiddleware)), None)


def fetched_iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

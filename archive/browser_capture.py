"""Browser capture: every network exchange of a page load in a real browser, as WARC records.

``PageRecorder`` collects a Playwright page's responses; ``BrowserCaptureMiddleware`` writes them
through the crawl's WARC writer, so they are indexed, deduplicated and manifested as usual.
Bodies come decoded from the browser, so the status line is rebuilt, stale length and encoding
headers are kept as ``X-Archive-Orig-<name>`` and each record has ``WARC-Browser-Capture``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from archive.capture import (
    FETCHED_AT_META_KEY,
    POINTER_META_KEY,
    WarcCaptureMiddleware,
    capture_of,
    fetched_iso,
)
from archive.dedup import Original
from archive.wire import reason_phrase
from archive.errors import StorageError
from archive.records import (
    BROWSER_HEADER,
    Record,
    RecordFactory,
    http_block,
    looks_compressed,
    sha1_digest,
    utc_now,
    warc_date,
)

logger = logging.getLogger(__name__)

RECORDER_META_KEY = "newsarchive_page_recorder"
# Headers describing the framing of the wire, which a decoded body no longer has.
_FRAMING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
ORIGINAL_PREFIX = "X-Archive-Orig-"


@dataclass
class BrowserExchange:
    """One request and its response as the browser reported them."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    status_text: str
    response_headers: list[tuple[str, str]]
    body: bytes
    ip_address: str | None = None
    resource_type: str = ""
    main_document: bool = False
    truncated: str | None = None
    fetched: datetime = field(default_factory=utc_now)


def _header_lines(headers: list[tuple[str, str]], *, keep_framing: bool) -> list[bytes]:
    lines = []
    for name, value in headers:
        if name.startswith(":"):
            continue  # HTTP/2 pseudo-headers: the request line/status line says it
        if not keep_framing and name.lower() in _FRAMING_HEADERS:
            name = ORIGINAL_PREFIX + name
        # A browser reports repeated headers joined by newlines (Set-Cookie): one line each.
        for part in value.split("\n"):
            lines.append(f"{name}: {part}".encode("latin-1", "replace"))
    return lines


def request_block(exchange: BrowserExchange) -> bytes:
    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = list(exchange.request_headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    start = f"{exchange.method} {target} HTTP/1.1".encode("latin-1", "replace")
    block, _ = http_block(start, _header_lines(headers, keep_framing=True),
                          exchange.request_body)
    return block


def response_head(exchange: BrowserExchange) -> tuple[bytes, list[bytes]]:
    text = exchange.status_text or reason_phrase(exchange.status)
    status_line = f"HTTP/1.1 {exchange.status} {text}".rstrip().encode("latin-1", "replace")
    return status_line, _header_lines(exchange.response_headers, keep_framing=False)


def with_header(record: Record, name: str, value: str) -> Record:
    """The record with one more WARC header, before its digests."""
    headers = list(record.headers)
    at = next((i for i, (key, _) in enumerate(headers) if key == "WARC-Block-Digest"),
              len(headers))
    headers.insert(at, (name, value))
    return dataclasses.replace(record, headers=headers)


def exchange_records(
    factory: RecordFactory, exchange: BrowserExchange, browser: str,
    original: Original | None = None,
) -> tuple[Record, Record]:
    """The (request, response-or-revisit) records of one browser exchange."""
    status_line, header_lines = response_head(exchange)
    ip = exchange.ip_address
    if original is not None:
        block, _ = http_block(status_line, header_lines, b"")
        record = factory.revisit(
            exchange.url, block, sha1_digest(exchange.body), original.url, original.date,
            refers_to=original.record_id, date=exchange.fetched, ip_address=ip,
        )
    else:
        block, payload_offset = http_block(status_line, header_lines, exchange.body)
        extra = [("WARC-Truncated", exchange.truncated)] if exchange.truncated else []
        record = factory.response(exchange.url, block, payload_offset, date=exchange.fetched,
                                  ip_address=ip, extra=extra,
                                  payload_compressed=looks_compressed(exchange.body))
    record = with_header(record, BROWSER_HEADER, browser)
    request = factory.request(
        exchange.url, request_block(exchange), concurrent_to=record.record_id,
        date=record.header("WARC-Date") or warc_date(exchange.fetched), ip_address=ip,
    )
    return with_header(request, BROWSER_HEADER, browser), record


def dom_record(factory: RecordFactory, url: str, dom: bytes, refers_to: str,
               browser: str) -> Record:
    """The rendered DOM as a ``conversion`` record of the page's response record."""
    return Record(
        headers=[
            ("WARC-Type", "conversion"),
            ("WARC-Record-ID", factory.make_id()),
            ("WARC-Date", warc_date(factory.clock())),
            ("WARC-Target-URI", url),
            ("WARC-Refers-To", refers_to),
            (BROWSER_HEADER, browser),
            ("WARC-Block-Digest", sha1_digest(dom)),
            ("Content-Type", "text/html; charset=utf-8"),
        ],
        block=dom,
    )


class PageRecorder:
    """Collects a Playwright page's exchanges: ``attach`` before navigation, ``settle`` after.

    Bodies are read as responses arrive (a page may drop them later); ``settle`` waits until
    the network is idle (at most ``idle_timeout`` seconds) and every body read is done.
    """

    def __init__(self, *, max_body: int, idle_timeout: float,
                 address_of: Callable[[str], str | None] | None = None):
        self.max_body = max_body
        self.idle_timeout = idle_timeout
        # Through the crawl's guarded proxy the browser sees only the proxy's address.
        self.address_of = address_of
        self.exchanges: list[BrowserExchange] = []
        self.failed_requests = 0
        self.browser = "Chromium"
        self._pending: set[asyncio.Task[None]] = set()
        self._main_frame: Any = None

    async def attach(self, page: Any, request: Any = None) -> None:
        self._main_frame = page.main_frame
        browser = page.context.browser
        if browser is not None:
            self.browser = f"{browser.browser_type.name.capitalize()}/{browser.version}"
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)

    def _on_response(self, response: Any) -> None:
        task = asyncio.ensure_future(self._read(response))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _on_request_failed(self, request: Any) -> None:
        self.failed_requests += 1

    async def _read(self, response: Any) -> None:
        from playwright.async_api import Error as PlaywrightError

        fetched = utc_now()
        request = response.request
        try:
            request_headers = [(h["name"], h["value"]) for h in await request.headers_array()]
            response_headers = [(h["name"], h["value"]) for h in await response.headers_array()]
        except PlaywrightError as exc:  # the page or browser went away: nothing to keep
            logger.debug("Exchange of %s lost: %s", response.url, exc)
            return
        body, truncated = b"", None
        if not 300 <= response.status < 400:  # a redirect has no body to read
            try:
                body = await response.body()
            except PlaywrightError as exc:
                logger.debug("No body for %s: %s", response.url, exc)
                truncated = "unspecified"
        if len(body) > self.max_body:
            body, truncated = body[: self.max_body], "length"
        ip = None
        if self.address_of is not None:
            ip = self.address_of(response.url)
        else:
            with contextlib.suppress(PlaywrightError, KeyError, TypeError):
                address = await response.server_addr()
                ip = address["ipAddress"] if address else None
        self.exchanges.append(BrowserExchange(
            url=response.url,
            method=request.method,
            request_headers=request_headers,
            request_body=request.post_data_buffer or b"",
            status=response.status,
            status_text=response.status_text,
            response_headers=response_headers,
            body=body,
            ip_address=ip,
            resource_type=request.resource_type,
            main_document=(request.is_navigation_request()
                           and response.frame == self._main_frame),
            truncated=truncated,
            fetched=fetched,
        ))

    async def settle(self, page: Any) -> None:
        from playwright.async_api import Error as PlaywrightError

        try:
            await page.wait_for_load_state("networkidle", timeout=self.idle_timeout * 1000)
        except PlaywrightError:
            logger.info("%s: network not idle after %gs; archiving what loaded",
                        page.url, self.idle_timeout)
        await self.drain()

    async def drain(self) -> None:
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def main_exchange(self, url: str) -> BrowserExchange | None:
        """The main document's final response (after redirects), else the one for ``url``."""
        documents = [e for e in self.exchanges
                     if e.main_document and not 300 <= e.status < 400]
        for exchange in reversed(documents):
            if exchange.url == url:
                return exchange
        if documents:
            return documents[-1]
        return next((e for e in reversed(self.exchanges) if e.url == url), None)


class BrowserCaptureMiddleware:
    """Writes a rendered page's exchanges (``request.meta[RECORDER_META_KEY]``) to the WARC.

    Placed just after the capture middleware (order 960): on the way back it runs first, so
    the article's ``warc`` pointer is set before the pipelines see the response, and the
    capture middleware leaves responses flagged ``playwright`` (whose body is the DOM, not
    what a server sent) to it.
    """

    def __init__(self, crawler: Crawler, *, keep_dom: bool = True):
        self.crawler = crawler
        self.keep_dom = keep_dom
        self.capture: WarcCaptureMiddleware | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserCaptureMiddleware:
        if not crawler.settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        middleware = cls(crawler, keep_dom=crawler.settings.getbool("NEWSARCHIVE_RENDER_KEEP_DOM"))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Any) -> None:
        self.capture = capture_of(self.crawler)

    def _stats(self) -> Any:
        return self.crawler.stats

    def process_response(self, request: Request, response: Response) -> Response:
        recorder: PageRecorder | None = request.meta.pop(RECORDER_META_KEY, None)
        if recorder is None or "playwright" not in response.flags:
            return response
        main = recorder.main_exchange(response.url)
        pointer = self._write(recorder, main)
        if main is None or pointer is None:
            self._stats().inc_value("warc/browser/no_main_document")
            logger.warning("%s: the browser reported no response for the page itself",
                           response.url)
            return response
        request.meta[POINTER_META_KEY] = pointer
        request.meta[FETCHED_AT_META_KEY] = fetched_iso(main.fetched)
        if self.keep_dom and self.capture is not None and self.capture.writer is not None:
            record = dom_record(self.capture.factory, response.url, response.body,
                                pointer["record_id"], recorder.browser)
            self._write_records(record)
        self._stats().inc_value("warc/browser/pages")
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        """A page that failed to load (timeout, crash): archive what arrived of it."""
        recorder: PageRecorder | None = request.meta.pop(RECORDER_META_KEY, None)
        if recorder is not None and recorder.exchanges:
            self._write(recorder, None)
            self._stats().inc_value("warc/browser/pages_failed")

    def _write_records(self, *records: Record) -> list[Any]:
        assert self.capture is not None and self.capture.writer is not None
        try:
            pointers = self.capture.writer.write(*records)
        except StorageError as exc:
            self.capture.stop_on_write_failure(exc)
            raise IgnoreRequest(f"not archived ({exc})") from exc
        stats = self._stats()
        stats.inc_value("warc/records_written", len(records))
        stats.set_value("warc/bytes_written", self.capture.writer.bytes_written)
        return pointers

    def _write(self, recorder: PageRecorder, main: BrowserExchange | None) -> dict | None:
        """Write every exchange; return the pointer for ``main``'s payload."""
        capture = self.capture
        if capture is None or capture.writer is None:
            return None
        main_pointer = None
        stats = self._stats()
        stats.inc_value("warc/browser/failed_requests", recorder.failed_requests)
        for exchange in recorder.exchanges:
            if urlsplit(exchange.url).scheme not in ("http", "https"):
                continue  # data: and blob: URLs are part of the page, not exchanges
            digest = sha1_digest(exchange.body)
            original = None
            if exchange.truncated is None:
                original = capture.call_dedup("lookup", exchange.url, digest)
            request_record, record = exchange_records(
                capture.factory, exchange, recorder.browser, original)
            _, pointer = self._write_records(request_record, record)
            stats.inc_value("warc/browser/exchanges")
            stats.inc_value(f"warc/responses/status/{exchange.status}")
            if original is not None:
                stats.inc_value("warc/revisits_written")
                stats.inc_value("warc/revisit_payload_bytes_saved", len(exchange.body))
                found = original.pointer()
            else:
                found = pointer.to_dict()
                if exchange.truncated is None:
                    capture.call_dedup("add", Original(
                        url=exchange.url, digest=digest, record_id=pointer.record_id,
                        date=record.header("WARC-Date") or "", filename=pointer.filename,
                        offset=pointer.offset, length=pointer.length,
                    ))
            if exchange is main:
                main_pointer = found
        return main_pointer

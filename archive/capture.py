"""WARC capture: a downloader middleware that records every exchange as it came off the wire.

Placed last among downloader middlewares (order 950), it sees each request after every
other middleware has shaped it (cookies, user agent, Accept-Encoding) and each response
before decompression, redirect handling, retries or cookie processing, so redirects,
robots.txt, feeds, sitemaps and error pages are archived like everything else.

Scrapy's ``Response`` keeps neither the reason phrase nor header casing and order; when the
download handler recorded them (``archive.wire``), they are used as sent; otherwise the
status line and headers are rebuilt from the ``Response``.
"""

from __future__ import annotations

import http
import logging
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archive.records import RecordFactory, http_block, utc_now, warc_date
from archive.warc_writer import RotatingWarcWriter
from archive.crawl_output import crawl_output
from crawler import __version__

logger = logging.getLogger(__name__)

WIRE_META_KEY = "newsarchive_wire"
POINTER_META_KEY = "warc"
FETCHED_AT_META_KEY = "fetched_at"


@dataclass
class WireExchange:
    """What the download handler saw on the wire, stored in ``request.meta[WIRE_META_KEY]``."""

    status_line: bytes
    header_lines: list[bytes]
    request_head: bytes | None = None
    # Original framing headers that no longer describe the stored (dechunked) body.
    dechunked: bool = False
    notes: list[str] = field(default_factory=list)


def reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def response_head(request: Request, response: Response) -> tuple[bytes, list[bytes]]:
    """Status line and header lines of a response: from the wire when known."""
    wire: WireExchange | None = request.meta.get(WIRE_META_KEY)
    if wire is not None:
        lines = list(wire.header_lines)
        if wire.dechunked:
            lines = [
                b"X-Archive-Orig-" + line if line.lower().startswith(b"transfer-encoding:") else line
                for line in lines
            ]
        return wire.status_line, lines
    protocol = response.protocol or "HTTP/1.1"
    status_line = f"{protocol} {response.status} {reason_phrase(response.status)}".rstrip()
    lines = [
        bytes(name) + b": " + bytes(value)
        for name, values in response.headers.items()
        for value in values
    ]
    return status_line.encode("latin-1"), lines


def request_block(request: Request) -> bytes:
    """The request as sent: from the wire when known, else rebuilt from the Request."""
    wire: WireExchange | None = request.meta.get(WIRE_META_KEY)
    if wire is not None and wire.request_head is not None:
        return wire.request_head + request.body
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = []
    if b"Host" not in request.headers:
        lines.append(b"Host: " + parts.netloc.encode("idna" if not parts.netloc.isascii() else "ascii"))
    for name, values in request.headers.items():
        for value in values:
            lines.append(bytes(name) + b": " + bytes(value))
    if request.body and b"Content-Length" not in request.headers:
        lines.append(b"Content-Length: " + str(len(request.body)).encode())
    start = f"{request.method} {target} HTTP/1.1".encode("latin-1")
    block, _ = http_block(start, lines, request.body)
    return block


def warcinfo_fields(crawl_id: str, site: str, operator: str, robots: bool, user_agent: str) -> dict[str, str]:
    from importlib.metadata import version

    return {
        "software": f"newsarchive/{__version__} (Scrapy/{version('scrapy')}; warcio/{version('warcio')})",
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
        factory: RecordFactory | None = None,
    ):
        self.crawler = crawler
        self.max_size = max_size
        self.gzip_level = gzip_level
        self.operator = operator
        self.factory = factory or RecordFactory()
        self.writer: RotatingWarcWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        middleware = cls(
            crawler,
            max_size=settings.getint("WARC_MAX_SIZE"),
            gzip_level=settings.getint("WARC_GZIP_LEVEL"),
            operator=settings.get("NEWSARCHIVE_OPERATOR", ""),
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Any) -> None:
        settings = self.crawler.settings
        site = getattr(spider, "site_name", spider.name)
        crawl_id = getattr(spider, "crawl_id", "") or settings.get("NEWSARCHIVE_CRAWL_ID")
        self.writer = RotatingWarcWriter(
            crawl_output(self.crawler),
            site=site,
            crawl_id=crawl_id,
            warcinfo=warcinfo_fields(
                crawl_id,
                site,
                self.operator,
                settings.getbool("ROBOTSTXT_OBEY"),
                settings.get("USER_AGENT", ""),
            ),
            max_size=self.max_size,
            gzip_level=self.gzip_level,
            factory=self.factory,
            on_closed=self._file_closed,
        )

    def _file_closed(self, key: str, path: Any) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("warc/files_closed")

    def spider_closed(self, spider: Any) -> None:
        if self.writer is not None:
            self.writer.close()

    def process_response(self, request: Request, response: Response) -> Response:
        if self.writer is None or urlsplit(response.url).scheme not in ("http", "https"):
            return response
        fetched = utc_now()
        status_line, header_lines = response_head(request, response)
        block, payload_offset = http_block(status_line, header_lines, response.body)
        extra = []
        if "download_stopped" in response.flags:
            extra.append(("WARC-Truncated", "length"))
        elif "dataloss" in response.flags:
            extra.append(("WARC-Truncated", "disconnect"))
        ip = str(response.ip_address) if response.ip_address else None
        response_record = self.factory.response(
            response.url, block, payload_offset, date=fetched, ip_address=ip, extra=extra
        )
        request_record = self.factory.request(
            request.url,
            request_block(request),
            concurrent_to=response_record.record_id,
            date=response_record.header("WARC-Date") or warc_date(fetched),
            ip_address=ip,
        )
        _, pointer = self.writer.write(request_record, response_record)
        request.meta[POINTER_META_KEY] = pointer.to_dict()
        request.meta[FETCHED_AT_META_KEY] = fetched_iso(fetched)
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("warc/records_written", 2)
        stats.set_value("warc/bytes_written", self.writer.bytes_written)
        stats.inc_value(f"warc/responses/status/{response.status}")
        return response


def fetched_iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

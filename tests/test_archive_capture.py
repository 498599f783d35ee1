"""WarcCaptureMiddleware in isolation: hand-built requests/responses, a fixed clock and ids."""

from __future__ import annotations

import asyncio

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import DownloadCancelledError, NotConfigured
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

import crawler.settings as project_settings
from archive.capture import FETCHED_AT_META_KEY, POINTER_META_KEY, WarcCaptureMiddleware
from archive.wire import WIRE_META_KEY, WireExchange
from archive.records import RecordFactory, sha1_digest
from tests.test_archive_records import fastwarc_verify, members, warcio_check

# the archive's settings with their defaults (crawler/settings.py, the only place they are)
PROJECT_SETTINGS = {name: getattr(project_settings, name) for name in dir(project_settings)
                    if name.startswith(("WARC_", "NEWSARCHIVE_"))}
MOMENT = datetime(2026, 11, 27, 1, 2, 3, 456789, tzinfo=UTC)


def make_middleware(out: Path, crawl_id: str = "c1", **settings: object) -> WarcCaptureMiddleware:
    crawler = get_crawler(
        Spider,
        settings_dict={
            **PROJECT_SETTINGS,
            "NEWSARCHIVE_OUTPUT": str(out),
            "NEWSARCHIVE_CRAWL_ID": crawl_id,
            "WARC_ENABLED": True,
            "WARC_MAX_SIZE": 1_000_000_000,
            "WARC_GZIP_LEVEL": 6,
            **settings,
        },
    )
    crawler.spider = crawler._create_spider("news")
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    ids = (f"<urn:uuid:00000000-0000-4000-8000-{crawl_id}{n:08d}>" for n in itertools.count(1))
    middleware.factory = RecordFactory(clock=lambda: MOMENT, make_id=lambda: next(ids))
    middleware.spider_opened(crawler.spider)
    return middleware


@pytest.fixture
def middleware(tmp_path: Path) -> Iterator[WarcCaptureMiddleware]:
    mw = make_middleware(tmp_path)
    yield mw
    mw.spider_closed(mw.crawler.spider)


def records(out: Path) -> list[tuple[str, dict[str, str], bytes]]:
    found = []
    for path in sorted(out.rglob("*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle, no_record_parse=True):
                found.append(
                    (record.rec_type, dict(record.rec_headers.headers), record.raw_stream.read())
                )
    return found


def fetch(mw: WarcCaptureMiddleware, request: Request, response: Response) -> Response:
    assert mw.process_request(request) is None
    return asyncio.run(mw.process_response(request, response))


def test_disabled_raises_not_configured(tmp_path: Path) -> None:
    crawler = get_crawler(Spider, settings_dict={"WARC_ENABLED": False})
    with pytest.raises(NotConfigured):
        WarcCaptureMiddleware.from_crawler(crawler)


def test_wire_exchange_used_as_sent(middleware: WarcCaptureMiddleware, tmp_path: Path) -> None:
    request = Request("http://example.org/a?b=1")
    middleware.process_request(request)
    request.meta[WIRE_META_KEY] = WireExchange(
        status_line=b"HTTP/1.1 200 Fine Thanks",
        header_lines=[b"set-cookie: a=1", b"Transfer-Encoding: chunked", b"Set-Cookie: b=2"],
        request_head=b"GET /a?b=1 HTTP/1.1\r\nHost: example.org\r\nCookie: z=9\r\n\r\n",
        dechunked=True,
    )
    response = Response(request.url, status=200, body=b"hello", request=request)
    assert asyncio.run(middleware.process_response(request, response)) is response
    middleware.spider_closed(middleware.crawler.spider)
    (_, _, req_block), (_, headers, resp_block) = [
        r for r in records(tmp_path) if r[0] != "warcinfo"
    ]
    assert resp_block == (
        b"HTTP/1.1 200 Fine Thanks\r\nset-cookie: a=1\r\n"
        b"X-Archive-Orig-Transfer-Encoding: chunked\r\nSet-Cookie: b=2\r\n\r\nhello"
    )
    assert req_block == b"GET /a?b=1 HTTP/1.1\r\nHost: example.org\r\nCookie: z=9\r\n\r\n"
    assert headers["WARC-Payload-Digest"] == sha1_digest(b"hello")
    pointer = request.meta[POINTER_META_KEY]
    assert pointer["record_id"] == headers["WARC-Record-ID"]
    assert request.meta[FETCHED_AT_META_KEY].endswith("Z")
    (path,) = tmp_path.rglob("*.warc.gz")
    chunk = path.read_bytes()[pointer["offset"] : pointer["offset"] + pointer["length"]]
    assert members(chunk)[0].endswith(resp_block + b"\r\n\r\n")
    fastwarc_verify(path)
    warcio_check(path)


def test_without_wire_rebuilt_from_response(
    middleware: WarcCaptureMiddleware, tmp_path: Path
) -> None:
    request = Request("http://example.org/", headers={"User-Agent": "t/1"})
    fetch(middleware, request, Response(request.url, status=404, headers={"X-A": "b"}, body=b"no"))
    middleware.spider_closed(middleware.crawler.spider)
    (_, _, req_block), (_, _, resp_block) = [r for r in records(tmp_path) if r[0] != "warcinfo"]
    assert resp_block == b"HTTP/1.1 404 Not Found\r\nX-A: b\r\n\r\nno"
    assert req_block.startswith(b"GET / HTTP/1.1\r\nHost: example.org\r\n")


def test_stale_wire_from_redirect_is_not_reused(
    middleware: WarcCaptureMiddleware, tmp_path: Path
) -> None:
    first = Request("http://example.org/old")
    middleware.process_request(first)
    first.meta[WIRE_META_KEY] = WireExchange(b"HTTP/1.1 301 Gone Over There", [b"Location: /new"])
    asyncio.run(middleware.process_response(first, Response(first.url, status=301, request=first)))
    follow = first.replace(url="http://example.org/new")  # as RedirectMiddleware does: meta copied
    assert WIRE_META_KEY in follow.meta
    fetch(middleware, follow, Response(follow.url, status=200, body=b"new"))
    middleware.spider_closed(middleware.crawler.spider)
    blocks = [r[2] for r in records(tmp_path) if r[0] == "response"]
    assert blocks[0].startswith(b"HTTP/1.1 301 Gone Over There\r\nLocation: /new\r\n")
    assert blocks[1].startswith(b"HTTP/1.1 200 OK\r\n")


def test_truncated_download_archived_and_exception_kept(
    middleware: WarcCaptureMiddleware, tmp_path: Path
) -> None:
    request = Request("http://example.org/huge")
    middleware.process_request(request)
    request.meta[WIRE_META_KEY] = WireExchange(
        b"HTTP/1.1 200 OK", [b"Content-Length: 999999"], truncated="length", partial_body=b"abc"
    )
    exception = DownloadCancelledError("too big")
    assert asyncio.run(middleware.process_exception(request, exception)) is None
    # Failures with no wire exchange (DNS, refused connection) leave no record.
    assert asyncio.run(middleware.process_exception(Request("http://example.org/x"), exception)) is None
    middleware.spider_closed(middleware.crawler.spider)
    ((_, headers, block),) = [r for r in records(tmp_path) if r[0] == "response"]
    assert headers["WARC-Truncated"] == "length"
    assert block == b"HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\nabc"
    assert middleware.crawler.stats.get_value("warc/truncated/length") == 1


def test_download_stopped_flag_marks_truncated(
    middleware: WarcCaptureMiddleware, tmp_path: Path
) -> None:
    request = Request("http://example.org/s")
    fetch(middleware, request, Response(request.url, body=b"ab", flags=["download_stopped"]))
    middleware.spider_closed(middleware.crawler.spider)
    ((_, headers, _),) = [r for r in records(tmp_path) if r[0] == "response"]
    assert headers["WARC-Truncated"] == "length"

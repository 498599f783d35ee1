"""DeferredDecompressionMiddleware: article pages stay compressed unless something needs them."""

from __future__ import annotations

import gzip
import zlib

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawler.middlewares import (
    DECODING_DEFERRED_META,
    DEFER_DECODING_META,
    DeferredDecompressionMiddleware,
)
from pipelines.responses import ExtractSettings, FetchedResponse, decide, header_pairs

PAGE = (b"<html><head><title>Harbour news</title></head><body><article><h1>Harbour news</h1>"
        + b"<p>The harbour reopened on Monday after a week of repairs to the outer wall.</p>" * 20
        + b"</article></body></html>")


@pytest.fixture
def middleware() -> DeferredDecompressionMiddleware:
    crawler = get_crawler(Spider)
    crawler.spider = crawler._create_spider("test")
    return DeferredDecompressionMiddleware.from_crawler(crawler)


def _exchange(body: bytes, encoding: str | None = "gzip", *, defer: bool = True,
              content_type: str | None = "text/html; charset=utf-8") -> tuple[Request, Response]:
    request = Request("http://news.example/2025/03/harbour", meta={DEFER_DECODING_META: defer})
    headers = {}
    if encoding:
        headers["Content-Encoding"] = encoding
    if content_type:
        headers["Content-Type"] = content_type
    return request, Response(request.url, headers=headers, body=body, request=request)


def test_article_page_stays_compressed_and_a_worker_decodes_it(middleware) -> None:
    request, response = _exchange(gzip.compress(PAGE))
    out = middleware.process_response(request, response)
    assert out is response and out.body == response.body
    assert request.meta[DECODING_DEFERRED_META] is True
    # what the extraction worker makes of it: the same record as from the plain page
    fetched = FetchedResponse(url=request.url, date="2025-03-15T10:00:00Z", status=200,
                              headers=header_pairs(out.headers), payload=out.body,
                              pointer={"filename": "x.warc.gz", "offset": 0, "length": 1,
                                       "record_id": "<urn:uuid:1>", "payload_digest": "sha1:X"},
                              crawl_id="c")
    plain = FetchedResponse(**{**fetched.__dict__, "payload": PAGE,
                               "headers": [("Content-Type", "text/html; charset=utf-8")]})
    settings = ExtractSettings.from_settings()
    assert decide(fetched, settings).record == decide(plain, settings).record


@pytest.mark.parametrize(
    ("body", "encoding", "defer", "content_type"),
    [
        # a listing or feed: the spider parses it here
        (gzip.compress(PAGE), "gzip", False, "text/html"),
        # MetaRefreshMiddleware must see the refresh tag
        (gzip.compress(PAGE.replace(b"<head>", b'<head><meta http-equiv="Refresh" '
                                              b'content="0;url=/elsewhere">')), "gzip", True,
         "text/html"),
        # encodings other than gzip, and stacked ones, take Scrapy's usual path
        (zlib.compress(PAGE), "deflate", True, "text/html"),
        (gzip.compress(gzip.compress(PAGE)), "gzip, gzip", True, "text/html"),
        # without a Content-Type Scrapy sniffs the decoded body for the response class
        (gzip.compress(PAGE), "gzip", True, None),
    ],
    ids=["listing", "meta-refresh", "deflate", "stacked", "no-content-type"],
)
def test_decoded_here_when_something_needs_it(middleware, body: bytes, encoding: str,
                                              defer: bool, content_type: str | None) -> None:
    request, response = _exchange(body, encoding, defer=defer, content_type=content_type)
    out = middleware.process_response(request, response)
    assert out.body == PAGE or out.body.startswith(b"<html><head><meta")
    assert DECODING_DEFERRED_META not in request.meta
    if content_type:
        assert isinstance(out, HtmlResponse)


def test_corrupt_gzip_is_left_to_scrapy(middleware) -> None:
    request, response = _exchange(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises((EOFError, OSError, zlib.error)):  # Scrapy's own handling: an error
        middleware.process_response(request, response)
    assert DECODING_DEFERRED_META not in request.meta

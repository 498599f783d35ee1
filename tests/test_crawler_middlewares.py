"""DeferredDecompressionMiddleware: article pages stay compressed unless something needs them."""

from __future__ import annotations

import gzip
import zlib

import brotli

import pytest
from backports import zstd
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.http.response import text as scrapy_text
from scrapy.utils.test import get_crawler

from crawler.middlewares import (
    DECODING_DEFERRED_META,
    DEFER_DECODING_META,
    DeferredDecompressionMiddleware,
)
from pipelines.responses import ExtractSettings, FetchedResponse, decide, header_pairs
from crawler.run import crawl_settings

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


def _compress(encoding: str, data: bytes) -> bytes:
    if encoding == "br":
        return brotli.compress(data)
    if encoding == "zstd":
        return zstd.compress(data)
    if encoding == "deflate":
        return zlib.compress(data)
    if encoding == "raw-deflate":
        compressor = zlib.compressobj(wbits=-15)
        return compressor.compress(data) + compressor.flush()
    return gzip.compress(data)


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "raw-deflate", "br", "zstd"])
def test_article_page_stays_compressed_and_a_worker_decodes_it(middleware, encoding: str) -> None:
    # a server answers with whichever encoding it prefers of those Scrapy asks for
    request, response = _exchange(_compress(encoding, PAGE), encoding.replace("raw-", ""))
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
    settings = ExtractSettings.from_settings(crawl_settings())
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
        # stacked encodings take Scrapy's usual path
        (gzip.compress(gzip.compress(PAGE)), "gzip, gzip", True, "text/html"),
        # without a Content-Type Scrapy sniffs the decoded body for the response class
        (gzip.compress(PAGE), "gzip", True, None),
    ],
    ids=["listing", "meta-refresh", "stacked", "no-content-type"],
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


# A head as many news pages have it: ads refreshed by script, a no-JS reload in <noscript>.
AD_REFRESH_HEAD = (b'<script>googletag.cmd.push(function(){setInterval(function(){'
                   b'googletag.pubads().refresh();},60000);});</script>'
                   b'<noscript><meta http-equiv="refresh" content="0; url=/?nojs=1"></noscript>')


@pytest.mark.parametrize(
    ("head", "settings"),
    [
        (AD_REFRESH_HEAD, {}),
        # a refresh too slow for MetaRefreshMiddleware to follow (METAREFRESH_MAXDELAY)
        (b'<meta http-equiv="refresh" content="300; url=/latest">', {}),
        # the crawl follows no meta refresh at all
        (b'<meta http-equiv="refresh" content="0; url=/elsewhere">', {"METAREFRESH_ENABLED": False}),
    ],
    ids=["ad-refresh-and-noscript", "slower-than-maxdelay", "metarefresh-off"],
)
def test_refresh_that_is_never_followed_keeps_the_page_compressed(head: bytes, settings: dict) -> None:
    crawler = get_crawler(Spider, settings_dict=settings)
    crawler.spider = crawler._create_spider("test")
    middleware = DeferredDecompressionMiddleware.from_crawler(crawler)
    request, response = _exchange(gzip.compress(PAGE.replace(b"<head>", b"<head>" + head)),
                                  content_type="text/html")
    out = middleware.process_response(request, response)
    assert out.body == response.body
    assert request.meta[DECODING_DEFERRED_META] is True


class _TextSpy(HtmlResponse):
    """An HtmlResponse that counts reads of ``.text`` (test-only spy)."""

    text_reads = 0

    @property
    def text(self) -> str:
        type(self).text_reads += 1
        return super().text


def test_deferred_body_is_never_charset_sniffed(monkeypatch) -> None:
    """A handler may type a gzip body as HTML from Content-Type alone: no charset declared,
    MetaRefreshMiddleware's ``.text`` would make Scrapy guess one from the compressed bytes."""
    sniffed: list[bytes] = []

    def spy_from_bytes(data: bytes, *args, **kwargs):
        sniffed.append(bytes(data[:2]))
        return real_from_bytes(data, *args, **kwargs)

    real_from_bytes = scrapy_text.from_bytes
    monkeypatch.setattr(scrapy_text, "from_bytes", spy_from_bytes)
    _TextSpy.text_reads = 0
    request = Request("http://news.example/2025/03/harbour", meta={DEFER_DECODING_META: True})
    body = gzip.compress(PAGE, 6)
    response = _TextSpy(request.url, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
                        body=body, request=request)

    crawler = get_crawler(Spider)
    crawler.spider = crawler._create_spider("test")
    out = DeferredDecompressionMiddleware.from_crawler(crawler).process_response(request, response)
    after_refresh = MetaRefreshMiddleware.from_crawler(crawler).process_response(request, out)

    assert sniffed == []  # charset_normalizer never saw the compressed bytes
    assert _TextSpy.text_reads == 0
    assert after_refresh is out
    assert type(out) is Response and out.body == body

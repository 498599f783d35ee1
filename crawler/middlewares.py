"""Downloader middlewares of the crawler (not archive capture: see archive.capture)."""

from __future__ import annotations

import logging
import sys
import zlib
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import ACCEPTED_ENCODINGS, HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response
from w3lib.html import get_meta_refresh

from pipelines.decompression import decode, inflating

logger = logging.getLogger(__name__)


# Request meta keys: the response goes to extraction only (never parsed for links here), and
# its body was left encoded (Scrapy then makes it a plain ``Response``, whatever the type).
DEFER_DECODING_META = "newsarchive_defer_decoding"
DECODING_DEFERRED_META = "newsarchive_decoding_deferred"
_HEAD_BYTES = 16 * 1024  # MetaRefreshMiddleware reads 4096 characters: at most 16 KiB


def _gzip_head(body: bytes) -> bytes:
    return inflating.decompressobj(wbits=31).decompress(body, _HEAD_BYTES)


def _deflate_head(body: bytes) -> bytes:
    """With or without its zlib wrapper, as Scrapy's ``_inflate`` reads it."""
    try:
        return zlib.decompressobj().decompress(body, _HEAD_BYTES)
    except zlib.error:
        return zlib.decompressobj(wbits=-15).decompress(body, _HEAD_BYTES)


def _brotli_head(body: bytes) -> bytes:
    import brotli

    head: bytes = brotli.Decompressor().process(body, output_buffer_limit=_HEAD_BYTES)
    return head


def _zstd_head(body: bytes) -> bytes:
    if sys.version_info >= (3, 14):
        from compression import zstd
    else:
        from backports import zstd
    head: bytes = zstd.ZstdDecompressor().decompress(body, max_length=_HEAD_BYTES)
    return head


# Every encoding Scrapy asks for (brotli and zstd only when their modules are installed): a
# server answers with whichever it prefers, and CDNs prefer br.  Decoders of the first 16 KiB.
_HEAD_DECODERS = {
    encoding: decoder
    for encodings, decoder in [
        ((b"gzip", b"x-gzip"), _gzip_head),
        ((b"deflate",), _deflate_head),
        ((b"br",), _brotli_head),
        ((b"zstd",), _zstd_head),
    ]
    for encoding in encodings
    if encoding == b"x-gzip" or encoding in ACCEPTED_ENCODINGS
}


class DeferredDecompressionMiddleware(HttpCompressionMiddleware):
    """HttpCompressionMiddleware that leaves article pages compressed (one encoding of those
    Scrapy asks for: gzip, deflate, br, zstd).

    An article page is only archived (already done, from the raw bytes) and handed to the
    extraction workers, which decode it themselves (``pipelines.responses.decide``, with
    the same Scrapy helpers and DOWNLOAD_MAXSIZE).  Decoding it here would cost the crawl
    process CPU for nothing in archive-only crawls and ship four times the bytes to the
    workers in full ones.  Listings, feeds and sitemaps are decoded as usual, and so is
    any page whose decoded head holds a meta refresh MetaRefreshMiddleware would follow
    (found with the w3lib function it uses, on the first 16 KiB, so a word "refresh" in an
    ad script or a refresh inside ``<noscript>`` keeps the page on the fast path).

    A deferred response is always a plain ``Response``: nothing downstream may read
    ``.text`` of compressed bytes (without a declared charset, Scrapy would run
    charset_normalizer over the whole compressed body to guess one).
    """

    def __init__(self, stats: Any = None, *, crawler: Crawler | None = None):
        super().__init__(stats, crawler=crawler)
        settings = crawler.settings if crawler is not None else None
        self.metarefresh_enabled = settings.getbool("METAREFRESH_ENABLED") if settings else True
        self.metarefresh_ignore_tags = (
            settings.getlist("METAREFRESH_IGNORE_TAGS") if settings else ["noscript"])
        self.metarefresh_maxdelay = settings.getint("METAREFRESH_MAXDELAY") if settings else 100

    _decode = staticmethod(decode)  # Scrapy's results, gzip in one zlib-ng call

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if (request.meta.get(DEFER_DECODING_META) and request.method != "HEAD"
                and self._deferrable(request, response)):
            assert self.stats is not None
            self.stats.inc_value("httpcompression/deferred_count")
            request.meta[DECODING_DEFERRED_META] = True
            if type(response) is not Response:
                # e.g. a handler that typed it from Content-Type alone: a TextResponse over
                # gzip bytes would be charset-sniffed by the first reader of ``.text``.
                response = Response(**{name: getattr(response, name) for name in Response.attributes})
            return response
        return super().process_response(request, response)

    def _deferrable(self, request: Request, response: Response) -> bool:
        encodings = [e.strip().lower() for v in response.headers.getlist("Content-Encoding")
                     for e in v.split(b",") if e.strip()]
        if len(encodings) != 1 or encodings[0] not in _HEAD_DECODERS:
            return False
        if not response.headers.get("Content-Type"):
            return False  # Scrapy would sniff the decoded body to choose the response class
        try:
            head = _HEAD_DECODERS[encodings[0]](response.body)
        except Exception:  # noqa: BLE001 -- zlib.error, brotli.error, zstd.ZstdError…
            return False  # a corrupt body: Scrapy's decoding below reports it as always
        if not head or b"\x00" in head:
            return False  # empty, binary or UTF-16: Scrapy's usual path decides
        return not self._follows_meta_refresh(request, response.url, head)

    def _follows_meta_refresh(self, request: Request, url: str, head: bytes) -> bool:
        if not self.metarefresh_enabled or request.meta.get("dont_redirect"):
            return False
        return meta_refresh_in_head(head, url, self.metarefresh_ignore_tags,
                                    self.metarefresh_maxdelay)


def meta_refresh_in_head(head: bytes, url: str, ignore_tags: list[str], maxdelay: int) -> bool:
    """Whether MetaRefreshMiddleware could redirect on this head (bytes, any
    ASCII-compatible charset; the caller keeps bytes with NULs, UTF-16 and such, off this).

    Decoded as latin-1, which keeps every ASCII byte where it was: the tag is found in any
    ASCII-compatible charset, declared or not, and nothing is sniffed.  Only a "no" is relied
    on; on a "yes" the page is decoded and MetaRefreshMiddleware decides.
    """
    if b"refresh" not in head.lower():
        return False
    interval, target = get_meta_refresh(head.decode("latin-1"), url, "latin-1",
                                        ignore_tags=ignore_tags)
    return target is not None and float(interval or 0) < maxdelay


class HeadFirstMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware, which decodes each HTML page whole (``response.text``)
    to read a refresh tag from its first 4,096 characters.  Here the first 16 KiB of bytes
    are looked at first; only a page whose head holds a refresh it could follow, or that is
    not in an ASCII-compatible charset (NUL bytes), is decoded for it.  Every uncompressed
    page of a crawl went through that decoding (3% of the crawl process's time)."""

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Request | Response:
        if isinstance(response, HtmlResponse):
            head = response.body[:_HEAD_BYTES]
            if b"\x00" not in head and not meta_refresh_in_head(
                    head, response.url, self._ignore_tags, self._maxdelay):
                return response
        return super().process_response(request, response)

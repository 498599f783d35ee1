"""Downloader middlewares of the crawler (not archive capture: see archive.capture)."""

from __future__ import annotations

import logging
import zlib

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import Response

logger = logging.getLogger(__name__)


# Request meta keys: the response goes to extraction only (never parsed for links here), and
# its body was left encoded (Scrapy then makes it a plain ``Response``, whatever the type).
DEFER_DECODING_META = "newsarchive_defer_decoding"
DECODING_DEFERRED_META = "newsarchive_decoding_deferred"
_DEFERRABLE = {b"gzip", b"x-gzip"}
_HEAD_BYTES = 16 * 1024  # MetaRefreshMiddleware reads 4096 characters: at most 16 KiB


class DeferredDecompressionMiddleware(HttpCompressionMiddleware):
    """HttpCompressionMiddleware that leaves article pages compressed.

    An article page is only archived (already done, from the raw bytes) and handed to the
    extraction workers, which decode it themselves (``pipelines.responses.decide``, with
    the same Scrapy helpers and DOWNLOAD_MAXSIZE).  Decoding it here would cost the crawl
    process CPU for nothing in archive-only crawls and ship four times the bytes to the
    workers in full ones.  Listings, feeds and sitemaps are decoded as usual, and so is
    any page whose decoded head mentions ``refresh``, so MetaRefreshMiddleware (which reads
    the first 4096 characters) still sees every ``<meta http-equiv=refresh>``.
    """

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if (request.meta.get(DEFER_DECODING_META) and request.method != "HEAD"
                and self._deferrable(response)):
            assert self.stats is not None
            self.stats.inc_value("httpcompression/deferred_count")
            request.meta[DECODING_DEFERRED_META] = True
            return response
        return super().process_response(request, response)

    @staticmethod
    def _deferrable(response: Response) -> bool:
        encodings = [e.strip().lower() for v in response.headers.getlist("Content-Encoding")
                     for e in v.split(b",") if e.strip()]
        if len(encodings) != 1 or encodings[0] not in _DEFERRABLE:
            return False
        if not response.headers.get("Content-Type"):
            return False  # Scrapy would sniff the decoded body to choose the response class
        try:
            head = zlib.decompressobj(wbits=31).decompress(response.body, _HEAD_BYTES)
        except zlib.error:
            return False  # let the middleware deal with a corrupt body as it always does
        return bool(head) and b"refresh" not in head.lower() and b"\x00" not in head

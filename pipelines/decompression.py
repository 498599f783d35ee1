"""Content-Encoding decoding as Scrapy's HttpCompressionMiddleware does it, with a gzip body
of whole members inflated in one call of zlib-ng.

Scrapy's ``gunzip`` reads through ``gzip.GzipFile`` 64 KiB at a time, in Python; for the
usual body that costs several times the inflating itself, on whichever thread decodes it
(bench/crawl.py's profile: 8% of the crawl process on a pre-gzipped site).  Anything unusual
(truncated, a bad CRC, bytes after the last member) is left to Scrapy's function, which keeps
what it can read, so results are Scrapy's own.
"""

from __future__ import annotations

import zlib

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.utils.gz import gunzip as scrapy_gunzip

from archive.records import deflating as inflating  # zlib-ng, or zlib without its wheel
from archive.upstream import _DecompressionMaxSizeExceeded

_GZIP_MAGIC = b"\x1f\x8b"
_ERRORS = (zlib.error, inflating.error)


def gunzip(data: bytes, max_size: int = 0) -> bytes:
    """What ``scrapy.utils.gz.gunzip(data, max_size=max_size)`` returns or raises."""
    pieces = []
    size = 0
    rest = data
    while True:
        inflater = inflating.decompressobj(zlib.MAX_WBITS | 16)
        try:
            piece = inflater.decompress(rest, max_size - size + 1 if max_size else 0)
        except _ERRORS:
            return scrapy_gunzip(data, max_size=max_size)
        size += len(piece)
        if max_size and size > max_size:
            raise _DecompressionMaxSizeExceeded(size, max_size)
        if not inflater.eof:
            return scrapy_gunzip(data, max_size=max_size)
        pieces.append(piece)
        rest = inflater.unused_data
        if not rest.strip(b"\0"):
            return b"".join(pieces) if len(pieces) > 1 else piece
        if not rest.startswith(_GZIP_MAGIC):
            return scrapy_gunzip(data, max_size=max_size)


def decode(body: bytes, encoding: bytes, max_size: int) -> bytes:
    """``HttpCompressionMiddleware._decode``: one encoding of a Content-Encoding list."""
    if encoding in (b"gzip", b"x-gzip"):
        return gunzip(body, max_size)
    return HttpCompressionMiddleware._decode(body, encoding, max_size)

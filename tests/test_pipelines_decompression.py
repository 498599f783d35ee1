"""gzip bodies decode to what Scrapy's own gunzip gives, valid or not, in one call when valid."""

from __future__ import annotations

import gzip
import zlib

import pytest
from scrapy.utils.gz import gunzip as scrapy_gunzip

import pipelines.decompression as decompression
from archive.upstream import _DecompressionMaxSizeExceeded
from crawler.middlewares import DeferredDecompressionMiddleware

PAGE = b"".join(b"<p>Paragraph %d of the story, with some words.</p>\n" % i for i in range(5000))
MEMBER = gzip.compress(PAGE, mtime=0)
BAD_CRC = MEMBER[:-8] + bytes([MEMBER[-8] ^ 0xFF]) + MEMBER[-7:]

BODIES = {
    "one member": MEMBER,
    "two members": MEMBER + gzip.compress(b"<p>more</p>", mtime=0),
    "zero padding": MEMBER + b"\0" * 100,
    "bytes after the member": MEMBER + b"<html>junk",
    "truncated": MEMBER[: len(MEMBER) // 2],
    "bad crc": BAD_CRC,
    "empty content": gzip.compress(b"", mtime=0),
}


def outcome(function, body, max_size):
    try:
        return "ok", function(body, max_size=max_size)
    except _DecompressionMaxSizeExceeded:
        return "too large", None
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        return type(exc).__name__, None


@pytest.mark.parametrize("name", list(BODIES))
@pytest.mark.parametrize("max_size", [0, len(PAGE), len(PAGE) - 1, 1000])
def test_the_same_result_as_scrapys_gunzip(name, max_size):
    body = BODIES[name]
    assert outcome(decompression.gunzip, body, max_size) == outcome(scrapy_gunzip, body, max_size)


@pytest.mark.parametrize("body", [b"", b"not gzip at all", b"\x1f\x8b\x08garbage"])
def test_what_is_not_gzip_fails_as_in_scrapy(body):
    assert outcome(decompression.gunzip, body, 0) == outcome(scrapy_gunzip, body, 0)
    assert (outcome(decompression.gunzip, body, 0)[0] == "ok") == (body == b"")


def test_a_valid_body_is_inflated_without_scrapys_reader(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the slow path was taken")

    monkeypatch.setattr(decompression, "scrapy_gunzip", refuse)
    assert decompression.gunzip(BODIES["two members"], 64 << 20) == PAGE + b"<p>more</p>"


def test_a_gzip_bomb_stops_one_byte_past_the_limit():
    bomb = gzip.compress(b"\0" * (50 << 20), mtime=0)
    with pytest.raises(_DecompressionMaxSizeExceeded) as raised:
        decompression.gunzip(bomb, max_size=1 << 20)
    assert raised.value.decompressed_size == (1 << 20) + 1


def test_the_crawls_middleware_and_other_encodings_use_the_same_decoding():
    assert DeferredDecompressionMiddleware._decode(MEMBER, b"x-gzip", 0) == PAGE
    deflated = zlib.compress(PAGE)
    assert DeferredDecompressionMiddleware._decode(deflated, b"deflate", 0) == PAGE

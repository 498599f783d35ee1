"""Serialise WARC/1.1 records byte for byte.

warcio builds records from parsed ``StatusAndHeaders``, re-serialising HTTP headers (it
percent-encodes non-ASCII values and normalises line endings), which would change what the
server sent.  Here the HTTP block is written exactly as given, both digests are computed in
one pass over it, and each record becomes one gzip member.  Reading and validation use
warcio and FastWARC.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import uuid
import zlib

try:  # zlib-ng: the same deflate format, 2-2.5x faster at level 6 for the same size
    from zlib_ng import zlib_ng as deflating
except ImportError:  # pragma: no cover - a platform without its wheel
    deflating = zlib  # type: ignore[assignment]
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

# Marks the records of a browser capture (archive.browser_capture), its value the browser.
BROWSER_HEADER = "WARC-Browser-Capture"

WARC_VERSION = b"WARC/1.1"
CRLF = b"\r\n"


def sha1_digest(data: bytes | memoryview) -> str:
    """A WARC digest value: ``sha1:`` + base32 of the SHA-1, as warcio and Heritrix write."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date with microseconds, always UTC (``2026-11-27T01:02:03.456789Z``)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Record:
    """A record ready to write: WARC headers (name, value) in order and the block bytes."""

    headers: list[tuple[str, str]]
    block: bytes
    # Offset in the block from which the bytes are already compressed (an HTTP payload with
    # a Content-Encoding): gzip stores them instead of deflating them again for nothing.
    stored_from: int | None = None

    @property
    def record_id(self) -> str:
        return self.header("WARC-Record-ID") or ""

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def head_bytes(self) -> bytes:
        """The WARC header section, up to and including the blank line."""
        lines = [WARC_VERSION]
        for name, value in self.headers:
            lines.append(f"{name}: {value}".encode())
        lines.append(f"Content-Length: {len(self.block)}".encode("ascii"))
        return CRLF.join(lines) + CRLF + CRLF

    def to_bytes(self) -> bytes:
        return self.head_bytes() + self.block + CRLF + CRLF

    def gzip_parts(self, level: int = 6) -> list[bytes]:
        """The record as one gzip member, in pieces."""
        if self.stored_from is not None:
            return self._gzip_parts_stored_tail(level, self.stored_from)
        # One call on one copy: each call into zlib lets go of the GIL and must wait to get
        # it back, which on a record thread costs the crawl's thread more than the copy.
        return [deflating.compress(b"".join((self.head_bytes(), self.block, CRLF + CRLF)),
                                   level, zlib.MAX_WBITS | 16)]

    def _gzip_parts_stored_tail(self, level: int, split: int) -> list[bytes]:
        """One gzip member whose deflate stream is the head deflated at ``level``, flushed to
        a byte boundary, then the rest in stored blocks (a valid deflate stream: blocks need
        not refer back).  The CRC and size cover everything, as for any member."""
        head = self.head_bytes()
        block = memoryview(self.block)
        crc = deflating.crc32(CRLF + CRLF, deflating.crc32(block, deflating.crc32(head)))
        size = len(head) + len(block) + 4
        deflater = deflating.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
        return [
            _GZIP_HEADER,
            deflater.compress(head),
            deflater.compress(block[:split]),
            deflater.flush(zlib.Z_FULL_FLUSH),
            stored_blocks(block[split:], CRLF + CRLF),
            struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF),
        ]


_STORED_MAX = 0xFFFF


def stored_blocks(data: memoryview, last: bytes) -> bytes:
    """``data`` then ``last`` as raw deflate stored blocks, the one holding ``last`` final
    (RFC 1951, 3.2.4), for a stream at a byte boundary.  What ``compressobj(0)`` makes, at
    a tenth of its cost: nothing is searched."""
    pieces: list[bytes | memoryview] = []
    for start in range(0, len(data), _STORED_MAX):
        chunk = data[start:start + _STORED_MAX]
        pieces += [struct.pack("<BHH", 0, len(chunk), len(chunk) ^ 0xFFFF), chunk]
    pieces += [struct.pack("<BHH", 1, len(last), len(last) ^ 0xFFFF), last]
    return b"".join(pieces)


# Bytes from the middle of a large payload deflated to tell whether deflating it pays.
COMPRESSED_SAMPLE = 4096


def looks_compressed(payload: bytes) -> bool:
    """Whether a sample from the middle of ``payload`` barely shrinks when deflated (a
    JPEG, PNG, WebP, video or zip file): deflating it whole would cost CPU for nothing, so
    it is stored as it came.  Payloads under four samples are never sampled."""
    if len(payload) < 4 * COMPRESSED_SAMPLE:
        return False
    middle = len(payload) // 2
    sample = memoryview(payload)[middle:middle + COMPRESSED_SAMPLE]
    # level 2: zlib-ng's level 1 uses fixed Huffman codes, which miss the gain of a small
    # alphabet (base64's 64 symbols shrink to 76% at level 2, not at all at 1)
    return len(deflating.compress(sample, 2)) > 0.95 * COMPRESSED_SAMPLE


# What zlib writes for a gzip member without a name or time (RFC 1952: OS 3 = Unix).
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"


def gzip_member(data: bytes, level: int = 6) -> bytes:
    compressor = deflating.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()


def http_block(start_line: bytes, header_lines: Iterable[bytes], body: bytes) -> tuple[bytes, int]:
    """The HTTP message as a block; returns (block, offset of the payload in it)."""
    head = start_line + CRLF + b"".join(line + CRLF for line in header_lines) + CRLF
    return head + body, len(head)


@dataclass
class RecordFactory:
    """Builds records; the clock and the id generator are injectable for golden tests."""

    clock: Callable[[], datetime] = utc_now
    make_id: Callable[[], str] = new_record_id

    def warcinfo(self, filename: str, fields: dict[str, str]) -> Record:
        block = b"".join(f"{k}: {v}\r\n".encode() for k, v in fields.items() if v)
        return Record(
            headers=[
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", self.make_id()),
                ("WARC-Date", warc_date(self.clock())),
                ("WARC-Filename", filename),
                ("WARC-Block-Digest", sha1_digest(block)),
                ("Content-Type", "application/warc-fields"),
            ],
            block=block,
        )

    def response(
        self,
        uri: str,
        block: bytes,
        payload_offset: int,
        *,
        date: datetime | None = None,
        ip_address: str | None = None,
        extra: Iterable[tuple[str, str]] = (),
        payload_digest: str | None = None,
        payload_compressed: bool = False,
    ) -> Record:
        """A response record; ``payload_digest`` when the caller already hashed the payload,
        ``payload_compressed`` when it is compressed already (a Content-Encoding, or
        :func:`looks_compressed`): stored, not deflated again."""
        headers = self._record_start("response", uri, date, ip_address)
        headers.extend(extra)
        headers += [
            ("WARC-Block-Digest", sha1_digest(block)),
            # a memoryview slice: the payload is hashed in place, not copied
            (
                "WARC-Payload-Digest",
                payload_digest or sha1_digest(memoryview(block)[payload_offset:]),
            ),
            ("Content-Type", "application/http; msgtype=response"),
        ]
        return Record(headers=headers, block=block,
                      stored_from=payload_offset if payload_compressed else None)

    def request(
        self,
        uri: str,
        block: bytes,
        *,
        concurrent_to: str,
        date: str,
        ip_address: str | None = None,
    ) -> Record:
        headers = [
            ("WARC-Type", "request"),
            ("WARC-Record-ID", self.make_id()),
            ("WARC-Date", date),
            ("WARC-Target-URI", uri),
        ]
        if ip_address:
            headers.append(("WARC-IP-Address", ip_address))
        headers += [
            ("WARC-Concurrent-To", concurrent_to),
            ("WARC-Block-Digest", sha1_digest(block)),
            ("Content-Type", "application/http; msgtype=request"),
        ]
        return Record(headers=headers, block=block)

    def revisit(
        self,
        uri: str,
        http_head: bytes,
        payload_digest: str,
        refers_to_uri: str,
        refers_to_date: str,
        *,
        refers_to: str | None = None,
        date: datetime | None = None,
        ip_address: str | None = None,
    ) -> Record:
        headers = self._record_start("revisit", uri, date, ip_address)
        headers += [
            ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
            ("WARC-Refers-To-Target-URI", refers_to_uri),
            ("WARC-Refers-To-Date", refers_to_date),
        ]
        if refers_to:
            headers.append(("WARC-Refers-To", refers_to))
        headers += [
            ("WARC-Block-Digest", sha1_digest(http_head)),
            ("WARC-Payload-Digest", payload_digest),
            ("Content-Type", "application/http; msgtype=response"),
        ]
        return Record(headers=headers, block=http_head)

    def _record_start(self, kind: str, uri: str, date: datetime | None, ip_address: str | None
                      ) -> list[tuple[str, str]]:
        """The headers a response or revisit record opens with, in the order they are written."""
        headers = [
            ("WARC-Type", kind),
            ("WARC-Record-ID", self.make_id()),
            ("WARC-Date", warc_date(date or self.clock())),
            ("WARC-Target-URI", uri),
        ]
        if ip_address:
            headers.append(("WARC-IP-Address", ip_address))
        return headers

    def not_modified_revisit(
        self,
        uri: str,
        http_head: bytes,
        *,
        refers_to_uri: str,
        refers_to: str | None = None,
        refers_to_date: str | None = None,
        date: datetime | None = None,
        ip_address: str | None = None,
    ) -> Record:
        """A 304 answer to a conditional request: a revisit of the server-not-modified
        profile (WARC 1.1, 6.7.2), referring to the earlier capture it confirms.  The block is
        the 304's head; there is no payload, so no payload digest."""
        headers = self._record_start("revisit", uri, date, ip_address)
        headers += [
            ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/server-not-modified"),
            ("WARC-Refers-To-Target-URI", refers_to_uri),
        ]
        if refers_to_date:
            headers.append(("WARC-Refers-To-Date", refers_to_date))
        if refers_to:
            headers.append(("WARC-Refers-To", refers_to))
        headers += [
            ("WARC-Block-Digest", sha1_digest(http_head)),
            ("Content-Type", "application/http; msgtype=response"),
        ]
        return Record(headers=headers, block=http_head)

"""Golden tests of WARC serialisation: fixed clock and ids, records compared byte for byte,
then read back with warcio and FastWARC, and ``warcio check``."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import itertools
import random
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator

from archive.records import (
    CRLF,
    Record,
    RecordFactory,
    http_block,
    looks_compressed,
    sha1_digest,
    stored_blocks,
    warc_date,
)
from archive.warc_writer import RotatingWarcWriter, WarcPointer

MOMENT = datetime(2026, 11, 27, 1, 2, 3, 456789, tzinfo=UTC)
DATE = "2026-11-27T01:02:03.456789Z"


def fixed_factory() -> RecordFactory:
    ids = (f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>" for n in itertools.count(1))
    return RecordFactory(clock=lambda: MOMENT, make_id=lambda: next(ids))


def digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


class Sink:
    """The writer's storage protocol over a plain directory."""

    def __init__(self, root: Path):
        self.root = root
        self.closed: list[str] = []

    def local_path(self, key: str) -> Path:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def file_closed(self, key: str) -> None:
        self.closed.append(key)


def members(data: bytes) -> list[bytes]:
    """Every gzip member decompressed; fails on a torn or trailing-garbage file."""
    out, offset = [], 0
    while offset < len(data):
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        out.append(d.decompress(data[offset:]))
        assert d.eof, f"torn member at {offset}"
        offset = len(data) - len(d.unused_data)
    return out


def warcio_check(path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "digest failed" not in result.stdout
    # warcio does not check a revisit's payload digest (it has no payload): only that.
    unchecked = [line for line in result.stdout.splitlines() if "not checked" in line]
    assert all(line.strip().endswith("(revisit)") for line in unchecked), result.stdout


def fastwarc_verify(path: Path) -> list[str]:
    types = []
    with open(path, "rb") as handle:
        for record in FastIterator(handle, record_types=WarcRecordType.any_type, parse_http=False):
            types.append(record.headers["WARC-Type"])
            assert record.verify_block_digest(), record.record_id
            if record.record_type == WarcRecordType.response:
                record.parse_http()
                assert record.verify_payload_digest(), record.record_id
    return types


def test_sha1_digest_and_date_format() -> None:
    assert sha1_digest(b"") == "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
    assert sha1_digest(memoryview(b"abc")[1:]) == sha1_digest(b"bc")
    assert warc_date(MOMENT) == DATE


def test_http_block_keeps_bytes_as_given() -> None:
    block, offset = http_block(
        b"HTTP/1.1 200 Fine Thanks", [b"X-A:  b ", b"set-cookie: c"], b"\xff\x00"
    )
    assert block == b"HTTP/1.1 200 Fine Thanks\r\nX-A:  b \r\nset-cookie: c\r\n\r\n\xff\x00"
    assert block[offset:] == b"\xff\x00"


PAYLOAD = gzip.compress(b"<html><body>caf\xc3\xa9</body></html>", mtime=0)
RESPONSE_HEAD = (
    b"HTTP/1.1 200 Fine Thanks\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"Set-Cookie: a=1\r\n"
    b"set-cookie: b=2\r\n"
    b"Content-Encoding: gzip\r\n"
    b"X-Archive-Orig-Transfer-Encoding: chunked\r\n"
    b"\r\n"
)
REQUEST_BLOCK = b"GET /news?id=1&x=%C3%A9 HTTP/1.1\r\nHost: example.org\r\nUser-Agent: t/1\r\n\r\n"
URL = "https://example.org/news?id=1&x=%C3%A9"


def expected_record(headers: list[tuple[str, str]], block: bytes) -> bytes:
    head = "WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode() + f"Content-Length: {len(block)}\r\n\r\n".encode() + block + b"\r\n\r\n"


def build_records(factory: RecordFactory) -> tuple[Record, Record, Record]:
    response = factory.response(
        URL,
        RESPONSE_HEAD + PAYLOAD,
        len(RESPONSE_HEAD),
        ip_address="192.0.2.7",
        extra=[("WARC-Truncated", "length")],
    )
    request = factory.request(
        URL, REQUEST_BLOCK, concurrent_to=response.record_id, date=DATE, ip_address="192.0.2.7"
    )
    revisit = factory.revisit(
        URL,
        RESPONSE_HEAD,
        sha1_digest(PAYLOAD),
        URL,
        "2026-01-01T00:00:00.000000Z",
        refers_to="<urn:uuid:00000000-0000-4000-8000-000000000099>",
    )
    return response, request, revisit


def test_records_byte_for_byte() -> None:
    response, request, revisit = build_records(fixed_factory())
    assert response.to_bytes() == expected_record(
        [
            ("WARC-Type", "response"),
            ("WARC-Record-ID", "<urn:uuid:00000000-0000-4000-8000-000000000001>"),
            ("WARC-Date", DATE),
            ("WARC-Target-URI", URL),
            ("WARC-IP-Address", "192.0.2.7"),
            ("WARC-Truncated", "length"),
            ("WARC-Block-Digest", digest(RESPONSE_HEAD + PAYLOAD)),
            ("WARC-Payload-Digest", digest(PAYLOAD)),
            ("Content-Type", "application/http; msgtype=response"),
        ],
        RESPONSE_HEAD + PAYLOAD,
    )
    assert request.to_bytes() == expected_record(
        [
            ("WARC-Type", "request"),
            ("WARC-Record-ID", "<urn:uuid:00000000-0000-4000-8000-000000000002>"),
            ("WARC-Date", DATE),
            ("WARC-Target-URI", URL),
            ("WARC-IP-Address", "192.0.2.7"),
            ("WARC-Concurrent-To", "<urn:uuid:00000000-0000-4000-8000-000000000001>"),
            ("WARC-Block-Digest", digest(REQUEST_BLOCK)),
            ("Content-Type", "application/http; msgtype=request"),
        ],
        REQUEST_BLOCK,
    )
    assert revisit.to_bytes() == expected_record(
        [
            ("WARC-Type", "revisit"),
            ("WARC-Record-ID", "<urn:uuid:00000000-0000-4000-8000-000000000003>"),
            ("WARC-Date", DATE),
            ("WARC-Target-URI", URL),
            ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
            ("WARC-Refers-To-Target-URI", URL),
            ("WARC-Refers-To-Date", "2026-01-01T00:00:00.000000Z"),
            ("WARC-Refers-To", "<urn:uuid:00000000-0000-4000-8000-000000000099>"),
            ("WARC-Block-Digest", digest(RESPONSE_HEAD)),
            ("WARC-Payload-Digest", digest(PAYLOAD)),
            ("Content-Type", "application/http; msgtype=response"),
        ],
        RESPONSE_HEAD,
    )
    # One gzip member, in pieces, decompresses to exactly the record.
    for record in (response, request, revisit):
        assert members(b"".join(record.gzip_parts(1))) == [record.to_bytes()]


def test_written_file_golden_and_independent_readers(tmp_path: Path) -> None:
    factory = fixed_factory()
    sink = Sink(tmp_path)
    closed: list[tuple[str, Path]] = []
    writer = RotatingWarcWriter(
        sink,
        "demo",
        "c1",
        {"software": "newsarchive/test", "empty": ""},
        factory=factory,
        on_closed=lambda key, path: closed.append((key, path)),
    )
    response, request, revisit = build_records(factory)
    pointers = writer.write(request, response, revisit)
    key = "warc/demo/2026/11/27/c1-00000.warc.gz"
    assert (tmp_path / (key + ".open")).exists()
    writer.close()
    path = tmp_path / key
    assert closed == [(key, path)] and sink.closed == [key]
    assert not (tmp_path / (key + ".open")).exists()

    data = path.read_bytes()
    warcinfo_block = b"software: newsarchive/test\r\n"
    expected = [
        expected_record(
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", "<urn:uuid:00000000-0000-4000-8000-000000000004>"),
                ("WARC-Date", DATE),
                ("WARC-Filename", "c1-00000.warc.gz"),
                ("WARC-Block-Digest", digest(warcinfo_block)),
                ("Content-Type", "application/warc-fields"),
            ],
            warcinfo_block,
        ),
        request.to_bytes(),
        response.to_bytes(),
        revisit.to_bytes(),
    ]
    assert members(data) == expected

    # Pointers: each (offset, length) is exactly one member holding that record.
    assert [p.record_id for p in pointers] == [
        request.record_id,
        response.record_id,
        revisit.record_id,
    ]
    assert pointers[1] == WarcPointer(
        "c1-00000.warc.gz",
        pointers[1].offset,
        pointers[1].length,
        response.record_id,
        digest(PAYLOAD),
    )
    for pointer, record in zip(pointers, (request, response, revisit)):
        chunk = data[pointer.offset : pointer.offset + pointer.length]
        assert members(chunk) == [record.to_bytes()]

    # warcio reads the HTTP headers as sent, and the payload (un-gzipped by warcio).
    with open(path, "rb") as handle:
        records = [
            (r.rec_type, r.http_headers, r.content_stream().read()) for r in ArchiveIterator(handle)
        ]
    assert [r[0] for r in records] == ["warcinfo", "request", "response", "revisit"]
    http = records[2][1]
    assert http.statusline == "200 Fine Thanks"
    assert http.headers[1:3] == [("Set-Cookie", "a=1"), ("set-cookie", "b=2")]
    assert records[2][2] == b"<html><body>caf\xc3\xa9</body></html>"
    assert fastwarc_verify(path) == ["warcinfo", "request", "response", "revisit"]
    warcio_check(path)


def test_rotation_and_no_overwrite(tmp_path: Path) -> None:
    factory = fixed_factory()
    body = b"HTTP/1.1 200 OK\r\n\r\n" + random.Random(1).randbytes(3_000)
    writer = RotatingWarcWriter(
        Sink(tmp_path), "s", "c", {"a": "b"}, max_size=5_000, factory=factory, gzip_level=1
    )
    for _ in range(5):
        writer.write(factory.response("http://x/", body, 19))
    writer.close()
    assert len(writer.closed_keys) >= 2
    for key in writer.closed_keys:
        types = fastwarc_verify(tmp_path / key)
        assert types[0] == "warcinfo" and set(types[1:]) == {"response"}

    # A second writer with the same crawl id must not replace the files above.
    before = {key: (tmp_path / key).read_bytes() for key in writer.closed_keys}
    again = RotatingWarcWriter(Sink(tmp_path), "s", "c", {"a": "b"}, factory=factory)
    again.write(factory.response("http://x/", body, 19))
    again.close()
    assert again.closed_keys[0] not in before
    assert {key: (tmp_path / key).read_bytes() for key in before} == before


@pytest.mark.parametrize("level", [1, 6, 9])
def test_gzip_levels_roundtrip(level: int) -> None:
    record = fixed_factory().response("http://x/", b"HTTP/1.1 200 OK\r\n\r\n" + b"a" * 10_000, 19)
    (data,) = members(b"".join(record.gzip_parts(level)))
    assert data == record.to_bytes()
    records = list(ArchiveIterator(io.BytesIO(b"".join(record.gzip_parts(level)))))
    assert len(records) == 1


def test_compressed_payload_is_stored_not_deflated_again(tmp_path: Path) -> None:
    page = b"<html><body>" + b"".join(b"<p>Paragraph %d of the story.</p>" % i
                                      for i in range(4000)) + b"</body></html>"
    payload = gzip.compress(page, mtime=0)
    block, offset = http_block(b"HTTP/1.1 200 OK", [b"Content-Encoding: gzip"], payload)
    factory = fixed_factory()
    stored = factory.response("http://x/a", block, offset, payload_compressed=True)
    deflated = fixed_factory().response("http://x/a", block, offset)
    member = b"".join(stored.gzip_parts(6))
    # the same record bytes, one member, as any reader sees it
    (data,) = members(member)
    assert data == stored.to_bytes() == deflated.to_bytes()
    assert zlib.decompress(member, zlib.MAX_WBITS | 16) == stored.to_bytes()
    # the payload costs its own size plus block framing, the head is still deflated
    assert len(member) < len(stored.to_bytes())
    assert len(member) - len(payload) < len(stored.head_bytes()) + 64
    # a file of such records passes both readers' digest checks
    writer = RotatingWarcWriter(Sink(tmp_path), "s", "c", {"a": "b"}, factory=factory)
    writer.write(stored)
    writer.close()
    path = tmp_path / writer.closed_keys[0]
    assert fastwarc_verify(path) == ["warcinfo", "response"]
    warcio_check(path)


def test_only_payloads_that_barely_compress_look_compressed() -> None:
    noise = random.Random(3).randbytes(100_000)
    assert looks_compressed(b"\xff\xd8\xff\xe0" + noise)  # a JPEG's entropy-coded bytes
    assert looks_compressed(gzip.compress(base64.b64encode(noise)))
    page = b"<p>" + b"".join(b"Paragraph %d of the story.</p><p>" % i for i in range(4000))
    assert not looks_compressed(page)
    assert not looks_compressed(base64.b64encode(noise))  # six bits a byte: worth deflating
    assert not looks_compressed(b"\x89PNG\r\n\x1a\n" + bytes(100_000))  # a PNG of zeros
    assert not looks_compressed(noise[:16_000])  # too short to sample


@pytest.mark.parametrize("size", [0, 1, 0xFFFF, 0x10000, 200_001])
def test_stored_blocks_are_a_deflate_stream_of_the_bytes(size: int) -> None:
    data = bytes(range(256)) * (size // 256 + 1)
    data = data[:size]
    stream = stored_blocks(memoryview(data), CRLF + CRLF)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    assert inflater.decompress(stream) == data + CRLF + CRLF
    assert inflater.eof and inflater.unused_data == b""


@pytest.mark.parametrize("size", [0, 0xFFFF - 40, 150_000])
def test_stored_tail_member_reads_back_whatever_the_payload_size(size: int) -> None:
    payload = gzip.compress(bytes(range(256)) * (size // 256), mtime=0)[:size] if size else b""
    block, offset = http_block(b"HTTP/1.1 200 OK", [b"Content-Encoding: gzip"], payload)
    record = fixed_factory().response("http://x/a", block, offset, payload_compressed=True)
    member = b"".join(record.gzip_parts(6))
    assert zlib.decompress(member, zlib.MAX_WBITS | 16) == record.to_bytes()

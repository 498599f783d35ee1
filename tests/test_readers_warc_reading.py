"""The one WARC reader (``archive.warc_reading``) on damaged input: it always ends, never
raises, and every byte of the input is in a record read or in a span it names."""

from __future__ import annotations

import contextlib
import faulthandler
import gzip
import io
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.layout import key_problem
from archive.records import Record, RecordFactory, gzip_member, http_block
from archive.verify import HashingReader, warc_problems
from archive.warc_reading import (
    Unreadable,
    WarcRecord,
    gzip_members,
    read_warc,
)
from tests.synthetic_pages import news_page

WATCHDOG_SECONDS = 60
PROPERTY_SETTINGS = settings(max_examples=40, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])


class ReaderHung(AssertionError):
    pass


@contextlib.contextmanager
def watchdog(seconds: int = WATCHDOG_SECONDS) -> Iterator[None]:
    """A hard bound on the block: SIGALRM fails it from Python code, and faulthandler ends
    the process (with every thread's traceback) if a C loop never gives the signal a
    chance."""
    def expire(signum: int, frame: Any) -> None:
        raise ReaderHung(f"the reader did not end within {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    faulthandler.dump_traceback_later(seconds * 2, exit=True, file=2)  # fd 2: not captured
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, previous)


# --- WARCs to damage -------------------------------------------------------------------------


def article_html(n: int) -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {i} of story {n}: the council met on Tuesday to discuss the harbour "
        "plan, and residents asked many questions about costs, dates and the effect on "
        "local fishing.</p>" for i in range(8))
    head = ("<meta property='og:type' content='article'>"
            f"<meta property='article:published_time' content='2026-01-{n % 28 + 1:02d}"
            "T10:00:00+00:00'>")
    article = (f"<article><h1>Story number {n}</h1><p class='byline'>By Ann Writer</p>"
               f"{paragraphs}</article>")
    return news_page(f"Story number {n}", article, head=head).encode()


def article_url(n: int) -> str:
    return f"https://news.example/2026/01/story-{n}.html"


def response_record(url: str, body: bytes, header_lines: list[bytes] | None = None,
                    factory: RecordFactory | None = None) -> Record:
    lines = [b"Content-Type: text/html; charset=utf-8", *(header_lines or []),
             f"Content-Length: {len(body)}".encode()]
    block, payload_offset = http_block(b"HTTP/1.1 200 OK", lines, body)
    return (factory or RecordFactory()).response(url, block, payload_offset)


def article_records(count: int, url_format: str = "{url}") -> list[Record]:
    factory = RecordFactory()
    records = [factory.warcinfo("test.warc.gz", {"software": "newsarchive-test",
                                                 "isPartOf": "test-crawl"})]
    for n in range(count):
        url = url_format.format(url=article_url(n))
        records.append(response_record(url, article_html(n), factory=factory))
    return records


@dataclass(frozen=True)
class Built:
    data: bytes
    spans: list[tuple[int, int, str]]  # (start, end, record id) of every record

    def intact_after(self, damaged: range, shift: int = 0, cut: int | None = None
                     ) -> list[tuple[int, str]]:
        """(offset, record id) of the records untouched by damage to ``damaged`` bytes,
        offsets moved by ``shift`` after it, and ending before ``cut``."""
        intact = []
        for start, end, record_id in self.spans:
            if cut is not None and end > cut:
                continue
            if end <= damaged.start:
                intact.append((start, record_id))
            elif start >= damaged.stop:
                intact.append((start + shift, record_id))
        return intact


def build(records: list[Record], compressed: bool = True) -> Built:
    out, spans = bytearray(), []
    for record in records:
        data = gzip_member(record.to_bytes()) if compressed else record.to_bytes()
        spans.append((len(out), len(out) + len(data), record.record_id))
        out += data
    return Built(bytes(out), spans)


def with_claim(record: Record, claim: int) -> bytes:
    """The record's bytes with its Content-Length replaced by ``claim``."""
    raw = record.to_bytes()
    old = f"Content-Length: {len(record.block)}\r\n".encode()
    assert raw.count(old) == 1
    return raw.replace(old, f"Content-Length: {claim}\r\n".encode())


def read_all(data: bytes) -> list[WarcRecord | Unreadable]:
    with watchdog():
        return list(read_warc(io.BytesIO(data)))


def assert_accounts_for(items: list[WarcRecord | Unreadable], size: int) -> None:
    """Records read and spans named tile the input: no byte is silently skipped."""
    if size == 0:
        assert len(items) == 1 and isinstance(items[0], Unreadable)
        assert items[0].length == 0
        return
    position, previous_span = 0, (0, 0)
    for item in items:
        if isinstance(item, WarcRecord) and item.offset < position:
            # several records of one gzip member share its span
            assert (item.offset, item.offset + item.length) == previous_span
            continue
        assert item.offset == position, (position, item)
        assert item.length > 0, item
        previous_span = (item.offset, item.offset + item.length)
        position += item.length
    assert position == size


def assert_reads(items: list[WarcRecord | Unreadable], intact: list[tuple[int, str]]) -> None:
    read = {(item.offset, item.record_id) for item in items if isinstance(item, WarcRecord)}
    missing = [entry for entry in intact if entry not in read]
    assert not missing, (missing, items)


BASE = article_records(3)
GZ = build(BASE)
PLAIN = build(BASE, compressed=False)


# --- properties ------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(st.data())
def test_truncated_anywhere(data: st.DataObject) -> None:
    built = data.draw(st.sampled_from([GZ, PLAIN]))
    cut = data.draw(st.integers(0, len(built.data)))
    items = read_all(built.data[:cut])
    assert_accounts_for(items, cut)
    assert_reads(items, built.intact_after(range(cut, cut), cut=cut))
    if cut not in {end for _, end, _ in built.spans}:  # a cut between records leaves no trace
        assert any(isinstance(item, Unreadable) for item in items)


@PROPERTY_SETTINGS
@given(st.data())
def test_garbage_inserted_or_appended(data: st.DataObject) -> None:
    built = data.draw(st.sampled_from([GZ, PLAIN]))
    garbage = data.draw(st.binary(min_size=1, max_size=300))
    at = data.draw(st.one_of(st.just(len(built.data)), st.integers(0, len(built.data))))
    damaged = built.data[:at] + garbage + built.data[at:]
    items = read_all(damaged)
    assert_accounts_for(items, len(damaged))
    # the record the garbage landed in is lost (or read with the garbage, where nothing
    # checks it: a WARC header value); those before and after are read
    assert_reads(items, built.intact_after(range(at, at + 1), shift=len(garbage)))
    if at == len(built.data):
        assert isinstance(items[-1], Unreadable) and items[-1].offset == at


@PROPERTY_SETTINGS
@given(st.data())
def test_flipped_bytes(data: st.DataObject) -> None:
    built = data.draw(st.sampled_from([GZ, PLAIN]))
    damaged = bytearray(built.data)
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(damaged) - 1), st.integers(1, 255)),
                               min_size=1, max_size=4))
    for at, mask in flips:
        damaged[at] ^= mask
    items = read_all(bytes(damaged))
    assert_accounts_for(items, len(damaged))
    intact = built.spans
    for at, _ in flips:
        intact = [s for s in intact if not s[0] <= at < s[1]]
    assert_reads(items, [(start, record_id) for start, _, record_id in intact])


@PROPERTY_SETTINGS
@given(st.data())
def test_a_lying_content_length(data: st.DataObject) -> None:
    """A record claiming more (up to far more) bytes than it has swallows nothing."""
    compressed = data.draw(st.booleans())
    liar = data.draw(st.integers(1, len(BASE) - 1))
    tail = sum(len(r.to_bytes()) for r in BASE[liar:])
    # uncompressed, a claim is only known false once it runs past the end of the file
    low = len(BASE[liar].block) + 1 if compressed else len(BASE[liar].block) + tail
    claim = data.draw(st.one_of(st.integers(low, low + 10_000), st.integers(low, 1 << 42)))
    raw = [r.to_bytes() for r in BASE]
    raw[liar] = with_claim(BASE[liar], claim)
    parts = [gzip_member(r) if compressed else r for r in raw]
    damaged = b"".join(parts)
    items = read_all(damaged)
    assert_accounts_for(items, len(damaged))
    starts = [sum(len(p) for p in parts[:n]) for n in range(len(parts))]
    expected = [(starts[n], BASE[n].record_id) for n in range(len(BASE)) if n != liar]
    assert_reads(items, expected)
    lost = [item for item in items if isinstance(item, Unreadable)]
    assert lost and lost[0].offset == starts[liar]
    assert f"Content-Length {claim}" in lost[0].problem


@PROPERTY_SETTINGS
@given(st.data())
def test_verify_names_every_unreadable_span(data: st.DataObject) -> None:
    built = data.draw(st.sampled_from([GZ, PLAIN]))
    cut = data.draw(st.integers(0, len(built.data)))
    garbage = data.draw(st.binary(max_size=100))
    damaged = built.data[:cut] + garbage
    items = read_all(damaged)
    with watchdog():
        problems, records = warc_problems(HashingReader(io.BytesIO(damaged)))
    assert records == sum(isinstance(item, WarcRecord) for item in items)
    for item in items:
        if isinstance(item, Unreadable):
            assert f"unreadable: {item}" in problems
    lost = any(isinstance(item, Unreadable) for item in items)
    assert bool(problems) == lost


# --- one case each -------------------------------------------------------------------------


def test_a_long_compressible_record_then_another_verify_ends(tmp_path: Path) -> None:
    """Issue 14.1: a member ending inside an output-limited decompress call."""
    body = b"".join(b"<p>Live blog entry, repeated markup.</p>\n" for _ in range(72_000))
    body = body[:3_000_000]
    records = [RecordFactory().warcinfo("w.warc.gz", {"software": "t"}),
               response_record("https://news.example/live", body),
               response_record("https://news.example/next", b"<p>small</p>")]
    path = tmp_path / "w.warc.gz"
    path.write_bytes(build(records).data)
    with watchdog(), open(path, "rb") as stream:
        problems, count = warc_problems(HashingReader(stream))
    assert (problems, count) == ([], 3)


def test_the_walker_finds_a_member_ending_inside_a_limited_call() -> None:
    text = b"<p>hello</p>\n" * 300_000  # more than 1 MiB decompressed, about 8 KB packed
    first, second = gzip.compress(text), gzip.compress(b"second")
    with watchdog():
        members = list(gzip_members(io.BytesIO(first + second)))
    assert [(m.start, m.end, m.data) for m in members] == [
        (0, len(first), text), (len(first), len(first) + len(second), b"second")]


def test_angle_bracketed_target_uri_reads_as_a_uri() -> None:
    raw = article_records(1, "<{url}>")[1].to_bytes()
    wget_style = b"WARC/1.0" + raw[len(b"WARC/1.1"):]
    (record,) = read_all(gzip_member(wget_style))
    assert isinstance(record, WarcRecord)
    assert record.header("WARC-Target-URI") == f"<{article_url(0)}>"
    assert record.target_uri == article_url(0)


def test_a_head_of_100000_lines_is_read_by_warcio() -> None:
    """FastWARC refuses the HTTP head ("Maximum header length exceeded"); warcio reads it."""
    hostile = response_record("https://news.example/hostile", b"<p>x</p>",
                              [f"X-Filler-{n}: v".encode() for n in range(100_000)])
    after = response_record("https://news.example/after", b"<p>after</p>")
    items = read_all(build([hostile, after]).data)
    assert [type(item) for item in items] == [WarcRecord, WarcRecord]
    first = items[0]
    assert isinstance(first, WarcRecord)
    message = first.http()
    assert message.payload == b"<p>x</p>" and len(message.headers) == 100_002
    with watchdog():
        problems, count = warc_problems(io.BytesIO(build([hostile, after]).data))
    assert count == 2 and problems == ["first record is response, not warcinfo"]


def test_a_wrong_payload_digest_behind_a_long_head_is_caught() -> None:
    """The warcio path checks payload digests too."""
    hostile = response_record("https://news.example/hostile", b"<p>x</p>",
                              [f"X-Filler-{n}: v".encode() for n in range(100_000)])
    headers = [(k, "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" if k == "WARC-Payload-Digest" else v)
               for k, v in hostile.headers]
    tampered = Record(headers, hostile.block)
    with watchdog():
        problems, _ = warc_problems(io.BytesIO(build([tampered]).data))
    assert f"payload digest mismatch in {tampered.record_id} at offset 0" in problems


def test_megabytes_of_garbage_between_records_are_one_named_span() -> None:
    garbage = bytes(range(7, 250)) * 20_000  # about 5 MB, no gzip header in it
    items = read_all(GZ.data + garbage + GZ.data)
    end = len(GZ.data) + len(garbage)
    assert [str(i) for i in items if isinstance(i, Unreadable)] == [
        f"bytes {len(GZ.data)}-{end}: neither a gzip member nor a WARC record"]
    assert sum(isinstance(i, WarcRecord) for i in items) == 2 * len(GZ.spans)


def test_an_empty_and_a_text_file_are_named() -> None:
    assert [str(i) for i in read_all(b"")] == ["bytes 0-0: empty: no WARC records"]
    text = b"this is not a WARC\n" * 10
    assert [str(i) for i in read_all(text)] == [
        f"bytes 0-{len(text)}: neither a gzip member nor a WARC record"]


@pytest.mark.parametrize("key, problem", [
    ("warc/site/2026/01/02/a.warc.gz", None),
    ("warc/../../etc/passwd", "has a '.' or '..' part"),
    ("/etc/passwd", "is absolute"),
    ("warc\\..\\x", "contains a backslash"),
    ("warc/a\0b", "contains a NUL byte"),
    ("", "not a non-empty string"),
    (None, "not a non-empty string"),
    ("warc//a", "has an empty part"),
    ("C:/x", "is absolute"),
])
def test_key_problem(key: Any, problem: str | None) -> None:
    assert key_problem(key) == problem

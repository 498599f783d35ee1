"""The project's one reader of WARC files that may be damaged, and its one gzip-member walker.

:func:`gzip_members` walks a stream member by member; :func:`read_warc` frames its records
(gzip per record, whole-file gzip or plain) itself, because FastWARC and warcio trust
``Content-Length`` and stop at the first bad byte. Every byte ends in a :class:`WarcRecord` or in
an :class:`Unreadable` span; reading always ends and never raises. HTTP messages are parsed by
FastWARC, else warcio (:meth:`WarcRecord.http`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/1."
#: A gzip member or record larger than this once decompressed is named, not read (a
#: record claiming more is not believed).  Scrapy's DOWNLOAD_MAXSIZE default is the same.
MAX_RECORD_BYTES = 1 << 30
MAX_WARC_HEAD_BYTES = 1 << 20
PLAIN = "uncompressed WARC record here"
_VERSION_LINE = re.compile(r"WARC/[0-9]+\.[0-9]+")


# --- the gzip-member walker --------------------------------------------------------------


@dataclass(frozen=True)
class GzipMember:
    """One span of a gzip stream: a whole member (``problem`` empty; ``data`` its
    decompressed bytes when asked for), or bytes that are not one (``problem`` says why)."""

    start: int
    end: int
    data: bytes | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


class _Input:
    """A read-ahead buffer over a stream: ``buf[0]`` is at file offset ``base``."""

    def __init__(self, stream: BinaryIO | io.RawIOBase, base: int = 0):
        self.stream = stream
        self.buf = bytearray()
        self.base = base
        self.eof = False
        self.error = ""

    def fill(self) -> bool:
        """Read one more chunk; False at the end of the stream (or a read error)."""
        if self.eof:
            return False
        try:
            data = self.stream.read(CHUNK)
        except (OSError, ValueError) as exc:
            self.error = f"read error: {exc}"
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def have(self, size: int) -> bool:
        while len(self.buf) < size:
            if not self.fill():
                return False
        return True

    def drop(self, size: int) -> None:
        del self.buf[:size]
        self.base += size

    def skip_to(self, needles: tuple[bytes, ...]) -> int:
        """Drop bytes up to the next needle after the first byte (or to the end of the
        stream); return how many were dropped.  Memory stays bounded however long the
        span."""
        longest = max(len(n) for n in needles)
        dropped, start = 0, 1
        while True:
            hits = [p for p in (self.buf.find(n, start) for n in needles) if p >= 0]
            if hits:
                self.drop(min(hits))
                return dropped + min(hits)
            keep = min(len(self.buf), longest - 1)
            size = max(len(self.buf) - keep, start if self.buf else 0)
            dropped += size
            self.drop(size)
            start = 0
            if not self.fill():
                dropped += len(self.buf)
                self.drop(len(self.buf))
                return dropped


def _inflate_member(source: _Input, keep_data: bool) -> GzipMember:
    """Decompress the member at the start of ``source.buf`` (which starts with the gzip
    magic) without consuming it; ``end`` is relative to the buffer."""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    pos = size = 0
    out: list[bytes] = []
    too_large = False
    feed = 1 << 14  # small first: zlib copies what follows a member (``unused_data``)
    while True:
        chunk = bytes(source.buf[pos:pos + feed])
        feed = min(feed * 2, CHUNK)
        try:
            # no input left: output held back by the last output-limited call comes first
            piece = inflater.decompress(chunk, CHUNK)
        except zlib.error as exc:
            return GzipMember(0, len(source.buf), problem=f"corrupt gzip member ({exc})")
        if not chunk:
            if not piece and not inflater.eof and not source.fill():
                return GzipMember(0, len(source.buf), problem=(
                    source.error or "truncated gzip member: the file ends inside it"))
        elif not inflater.eof:
            consumed = len(chunk) - len(inflater.unconsumed_tail)
            if not consumed and not piece:
                return GzipMember(0, len(source.buf), problem="gzip member makes no progress")
            pos += consumed
        size += len(piece)
        if size > MAX_RECORD_BYTES:
            too_large, out = True, []
        elif keep_data and piece:
            out.append(piece)
        if inflater.eof:
            # when a member ends inside an output-limited call, ``unconsumed_tail`` still
            # holds the bytes after it too: only ``unused_data`` says where it ended
            end = pos + len(chunk) - len(inflater.unused_data)
            if too_large:
                return GzipMember(0, end, problem=(
                    f"gzip member decompresses to more than {MAX_RECORD_BYTES} bytes"))
            return GzipMember(0, end, b"".join(out) if keep_data else None)


def _walk(source: _Input, keep_data: bool, warc_lines: bool) -> Iterator[GzipMember]:
    """Members and bad spans of ``source`` with file offsets; with ``warc_lines`` an
    uncompressed ``WARC/1.`` line also ends a bad span (yielded as an empty span with
    problem ``PLAIN`` for the caller to frame and consume)."""
    needles = (GZIP_MAGIC, WARC_MAGIC) if warc_lines else (GZIP_MAGIC,)
    while True:
        if not source.have(len(GZIP_MAGIC)) and not source.buf:
            return
        if source.buf.startswith(GZIP_MAGIC):
            member = _inflate_member(source, keep_data)
            start = source.base
            if member.ok:
                source.drop(member.end)
                yield GzipMember(start, source.base, member.data)
                continue
            source.skip_to(needles)
            yield GzipMember(start, source.base, problem=member.problem)
            continue
        if warc_lines and source.have(len(WARC_MAGIC)) and source.buf.startswith(WARC_MAGIC):
            yield GzipMember(source.base, source.base, problem=PLAIN)
            continue
        start = source.base
        source.skip_to(needles)
        yield GzipMember(start, source.base, problem=source.error or (
            "neither a gzip member nor a WARC record" if warc_lines else "not gzip data"))


def gzip_members(stream: BinaryIO | io.RawIOBase, *, keep_data: bool = True,
                 start: int = 0) -> Iterator[GzipMember]:
    """Every member of a gzip stream, and every span of bytes that is not a whole member.

    Offsets count from ``start`` (the stream's position in its file).  After a bad span the
    walk resumes at the next gzip header, so a torn, corrupt or foreign span is named and
    the members after it are still found.  Ends at the end of the stream; never raises for
    the bytes it reads.
    """
    source = _Input(stream, start)
    pending: GzipMember | None = None
    for span in _walk(source, keep_data, warc_lines=False):
        if span.ok:
            if pending:
                yield pending
                pending = None
            yield span
        elif pending and pending.end == span.start:
            pending = GzipMember(pending.start, span.end, problem=pending.problem)
        else:
            if pending:
                yield pending
            pending = span
    if pending:
        yield pending


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unreadable:
    """A span of a WARC file that holds no record that could be read."""

    offset: int
    length: int
    problem: str

    def __str__(self) -> str:
        return f"bytes {self.offset}-{self.offset + self.length}: {self.problem}"


class UnreadableRecord(ValueError):
    """A framed record whose HTTP message neither FastWARC nor warcio can parse."""


@dataclass(frozen=True)
class HttpMessage:
    status: int
    headers: list[tuple[str, str]]
    payload: bytes


@dataclass
class WarcRecord:
    """One record as framed: where it is in the file and its uncompressed bytes."""

    offset: int  # of the record (its gzip member) in the file
    length: int  # bytes in the file
    headers: list[tuple[str, str]]
    raw: bytes  # the WARC head, block and closing CRLF CRLF
    block_start: int
    block_length: int
    _parsed: dict[str, Any] = field(default_factory=dict, repr=False)

    def header(self, name: str) -> str | None:
        """The first value of a WARC header, by case-insensitive name."""
        index = self._parsed.get("headers")
        if index is None:
            index = self._parsed["headers"] = {}
            for key, value in self.headers:
                index.setdefault(key.lower(), value)
        return index.get(name.lower())  # type: ignore[no-any-return]

    @property
    def rec_type(self) -> str:
        return (self.header("WARC-Type") or "").strip().lower()

    @property
    def record_id(self) -> str:
        return self.header("WARC-Record-ID") or ""

    @property
    def target_uri(self) -> str:
        """``WARC-Target-URI``, without the angle brackets WARC/1.0 writers (wget) put
        around it."""
        uri = (self.header("WARC-Target-URI") or "").strip()
        if uri.startswith("<") and uri.endswith(">"):
            uri = uri[1:-1].strip()
        return uri

    @property
    def block(self) -> bytes:
        return self.raw[self.block_start:self.block_start + self.block_length]

    @property
    def is_http(self) -> bool:
        return (self.header("Content-Type") or "").strip().lower().startswith("application/http")

    def where(self) -> str:
        return f"{self.record_id or 'record'} at offset {self.offset}"

    def http(self, prefer: str = "fastwarc") -> HttpMessage:
        """Status, headers (wire order) and payload of the HTTP message in the block, by
        FastWARC, else warcio (``prefer="warcio"``: the other way round).  Raises
        :class:`UnreadableRecord` when neither parses it."""
        key = f"http/{prefer}"
        if key not in self._parsed:
            parsers = [_http_by_fastwarc, _http_by_warcio]
            if prefer == "warcio":
                parsers.reverse()
            errors = []
            for parse in parsers:
                try:
                    self._parsed[key] = parse(self.raw)
                    break
                except Exception as exc:  # noqa: BLE001 -- foreign parsers raise many types; named below
                    errors.append(f"{parse.__name__.removeprefix('_http_by_')}: {exc!r}")
            else:
                self._parsed[key] = UnreadableRecord(
                    f"HTTP message unreadable ({'; '.join(errors)})")
        result = self._parsed[key]
        if isinstance(result, UnreadableRecord):
            raise result
        return result  # type: ignore[no-any-return]


def _http_by_fastwarc(raw: bytes) -> HttpMessage:
    from fastwarc.warc import ArchiveIterator

    record = next(iter(ArchiveIterator(io.BytesIO(raw), parse_http=False)), None)
    if record is None:
        raise ValueError("FastWARC finds no record")
    record.parse_http()
    http = record.http_headers
    if http is None:
        raise ValueError("no HTTP head")
    return HttpMessage(http.status_code or 0, list(http.astuples()), record.reader.read())


def _http_by_warcio(raw: bytes) -> HttpMessage:
    from warcio.archiveiterator import ArchiveIterator

    record = next(iter(ArchiveIterator(io.BytesIO(raw), ensure_http_headers=False)), None)
    if record is None or record.http_headers is None:
        raise ValueError("no HTTP head")
    try:
        status = int(record.http_headers.get_statuscode() or 0)
    except ValueError:
        status = 0
    return HttpMessage(status, list(record.http_headers.headers), record.raw_stream.read())


def _frame_plain(source: _Input) -> tuple[WarcRecord | None, int, str]:
    """(record, bytes it takes, "") for the record at the start of ``source.buf``, or
    (None, 0, problem)."""
    if not source.have(len(WARC_MAGIC)) or not source.buf.startswith(WARC_MAGIC):
        return None, 0, "not a WARC record"
    head_end = source.buf.find(b"\r\n\r\n")
    while head_end < 0 and len(source.buf) < MAX_WARC_HEAD_BYTES:
        searched = max(0, len(source.buf) - 3)
        if not source.fill():
            break
        head_end = source.buf.find(b"\r\n\r\n", searched)
    if head_end < 0 or head_end > MAX_WARC_HEAD_BYTES:
        return None, 0, "WARC header does not end"
    lines = bytes(source.buf[:head_end]).decode("utf-8", "replace").split("\r\n")
    if not _VERSION_LINE.fullmatch(lines[0]):
        return None, 0, f"bad WARC version line {lines[0][:40]!r}"
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # a folded header line
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        if not sep:
            return None, 0, f"bad WARC header line {line[:60]!r}"
        headers.append((name.strip(), value.strip()))
    lengths = [v for k, v in headers if k.lower() == "content-length"]
    if len(lengths) != 1 or not lengths[0].isdigit():
        return None, 0, "no valid Content-Length"
    length = int(lengths[0])
    if length > MAX_RECORD_BYTES:
        return None, 0, f"Content-Length {length} is more than this reader believes"
    block_start = head_end + 4
    total = block_start + length + 4
    if not source.have(total):
        return None, 0, (f"Content-Length {length}, but only "
                         f"{max(0, len(source.buf) - block_start)} bytes follow the header")
    if source.buf[total - 4:total] != b"\r\n\r\n":
        return None, 0, f"the block does not end where Content-Length {length} says"
    record = WarcRecord(source.base, total, headers, bytes(source.buf[:total]), block_start,
                        length)
    return record, total, ""


def _frame_member(member: GzipMember) -> Iterator[WarcRecord | Unreadable]:
    """The records of one decompressed gzip member (normally one)."""
    source = _Input(io.BytesIO(member.data or b""))
    length = member.end - member.start
    while source.have(1):
        record, size, problem = _frame_plain(source)
        if record is None:
            yield Unreadable(member.start, length, f"in the gzip member: {problem}")
            return
        record.offset, record.length = member.start, length
        source.drop(size)
        yield record


def read_warc(stream: BinaryIO | io.RawIOBase, *, start: int = 0
              ) -> Iterator[WarcRecord | Unreadable]:
    """Every record of a WARC stream, and every span of it that holds no readable record.

    ``start``: the stream's position in its file (offsets are file offsets).  An empty
    stream yields one :class:`Unreadable` of length 0.  See the module docstring.
    """
    source = _Input(stream, start)
    pending: Unreadable | None = None
    anything = False

    def lost(offset: int, length: int, problem: str) -> Unreadable | None:
        nonlocal pending
        if pending and pending.offset + pending.length == offset and pending.problem == problem:
            pending = Unreadable(pending.offset, pending.length + length, problem)
            return None
        flushed, pending = pending, Unreadable(offset, length, problem)
        return flushed

    for span in _walk(source, keep_data=True, warc_lines=True):
        anything = True
        items: list[WarcRecord | Unreadable] = []
        if span.problem == PLAIN:
            record, size, problem = _frame_plain(source)
            if record is None:
                offset = source.base
                items.append(Unreadable(offset, source.skip_to((GZIP_MAGIC, WARC_MAGIC)),
                                        problem))
            else:
                source.drop(size)
                items.append(record)
        elif span.problem:
            items.append(Unreadable(span.start, span.end - span.start, span.problem))
        else:
            items.extend(_frame_member(span))
        for item in items:
            if isinstance(item, Unreadable):
                flushed = lost(item.offset, item.length, item.problem)
                if flushed:
                    yield flushed
                continue
            if pending:
                yield pending
                pending = None
            yield item
    if pending:
        yield pending
    if not anything:
        yield Unreadable(start, 0, source.error or "empty: no WARC records")


def read_warc_file(path: Path | str, *, start: int = 0) -> Iterator[WarcRecord | Unreadable]:
    """:func:`read_warc` over a file; a file that cannot be opened is one
    :class:`Unreadable`."""
    try:
        stream = open(path, "rb")  # noqa: SIM115 -- closed below, around the generator
    except OSError as exc:
        yield Unreadable(start, 0, f"cannot open: {exc.strerror or exc}")
        return
    with stream:
        try:
            stream.seek(start)
        except OSError as exc:
            yield Unreadable(start, 0, f"cannot seek: {exc}")
            return
        yield from read_warc(stream, start=start)


# --- digests --------------------------------------------------------------------------------


def digest_matches(declared: str, data: bytes) -> bool | None:
    """Whether a WARC digest value (``sha1:BASE32``, or hex, or base64) is that of ``data``;
    None for an algorithm hashlib does not know."""
    algorithm, _, value = declared.strip().partition(":")
    try:
        digest = hashlib.new(algorithm.strip().lower().replace("-", ""), data).digest()
    except ValueError:
        return None
    value = value.strip().rstrip("=")
    return (value.upper() == base64.b32encode(digest).decode().rstrip("=")
            or value.lower() == digest.hex()
            or value == base64.b64encode(digest).decode().rstrip("="))

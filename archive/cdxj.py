"""CDXJ indexes of our WARC files, in the format pywb and ReplayWeb.page read.

Lines are exactly cdxj-indexer's (tests compare them), sorted for pywb's binary search, with
request records folded into their response. Our own WARCs are indexed as written
(``LiveIndex``), never read back; other or recovered files go through cdxj-indexer itself,
a damaged one over its readable records only. Index keys mirror WARC keys.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from archive.layout import index_key_for, part_path
from archive.warc_reading import Unreadable, read_warc_file

if TYPE_CHECKING:
    from archive.records import Record
    from archive.warc_writer import WarcPointer

logger = logging.getLogger(__name__)


def index_lines(warc_paths: list[Path], losses: list[str] | None = None) -> list[str]:
    """Sorted CDXJ lines of several WARC files (``filename`` is each file's base name).

    Damaged files are indexed as far as they can be read (:func:`run_indexer`); what could
    not be is named in ``losses``.
    """
    from io import StringIO

    out = StringIO()
    found = run_indexer(out, [str(p) for p in warc_paths], post_append=True, sort=True)
    if losses is not None:
        losses.extend(found)
    return out.getvalue().splitlines(keepends=True)


def readable_regions(path: Path) -> tuple[list[tuple[int, int]], list[Unreadable]]:
    """The byte ranges of ``path`` made of readable records, and the spans between them
    that hold none (``archive.warc_reading``)."""
    regions: list[tuple[int, int]] = []
    lost: list[Unreadable] = []
    for item in read_warc_file(path):
        if isinstance(item, Unreadable):
            lost.append(item)
            continue
        end = item.offset + item.length
        if regions and item.offset <= regions[-1][1]:
            regions[-1] = (regions[-1][0], max(regions[-1][1], end))
        else:
            regions.append((item.offset, end))
    return regions, lost


class _Slice(io.RawIOBase):
    """``length`` bytes of a file from its current position."""

    def __init__(self, raw: BinaryIO, length: int):
        super().__init__()
        self.raw, self.left = raw, length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(min(len(buffer), self.left))
        self.left -= len(data)
        buffer[:len(data)] = data
        return len(data)


Regions = tuple[list[tuple[int, int]], list[Unreadable]]


def run_indexer(output: Any, inputs: list[str], known: dict[str, Regions] | None = None,
                **options: Any) -> list[str]:
    """cdxj-indexer's ``CDXJIndexer(output, inputs, **options).process_all()``, except that
    a damaged file is indexed region by region, over its readable records only (cdxj-indexer
    stops with a traceback at trailing garbage); returns what was not indexed, named.
    ``known``: :func:`readable_regions` of inputs already read (their unreadable spans are
    not named again)."""
    from cdxj_indexer.main import CDXJIndexer

    losses: list[str] = []
    damaged: dict[str, list[tuple[int, int]]] = {}
    for name in inputs:
        if known and name in known:
            regions, lost = known[name]
        else:
            regions, lost = readable_regions(Path(name))
            losses += [f"{name}: {span}" for span in lost]
        if lost:
            damaged[name] = regions

    class RegionIndexer(CDXJIndexer):  # type: ignore[misc]
        shift = 0

        def process_one(self, input_: Any, out: Any, filename: str) -> None:
            try:
                if filename not in damaged:
                    super().process_one(input_, out, filename)
                    return
                for start, end in damaged[filename]:
                    input_.seek(start)
                    self.shift = start
                    super().process_one(io.BufferedReader(_Slice(input_, end - start)), out,
                                        filename)
            except Exception as exc:  # noqa: BLE001 -- warcio raises many types: named
                losses.append(f"{filename}: not indexed from byte {self.shift} on: {exc!r}")
            finally:
                self.shift = 0

        def _do_write(self, urlkey: str, ts: str, index: dict[str, Any], out: Any) -> None:
            if self.shift and "offset" in index:
                index["offset"] = str(int(index["offset"]) + self.shift)
            super()._do_write(urlkey, ts, index, out)

    RegionIndexer(output, inputs, **options).process_all()
    return losses


def write_index(warc_path: Path, index_path: Path, lines: list[str] | None = None) -> list[str]:
    """Write the sorted CDXJ index of one WARC file; atomic (temporary file, then rename).
    ``lines``: already made (``LiveIndex``), else cdxj-indexer reads the file.  Returns the
    spans of a damaged file that could not be indexed, named."""
    warc_path, index_path = Path(warc_path), Path(index_path)
    losses: list[str] = []
    if lines is None:
        lines = index_lines([warc_path], losses)
    index_path.parent.mkdir(parents=True, exist_ok=True)
    partial = part_path(index_path)
    with open(partial, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(lines)
    os.replace(partial, index_path)
    return losses


_MIME_END = re.compile(r"[;\s]")
_INDEXED_TYPES = ("response", "revisit")


def _http_head(block: bytes) -> tuple[str | None, str | None]:
    """(status code, Content-Type) of an HTTP response head, read as warcio reads it."""
    end = block.find(b"\r\n\r\n")
    lines = (block if end < 0 else block[:end]).split(b"\r\n")
    parts = _decode(lines[0]).split(None, 2)
    status = parts[1] if len(parts) > 1 else None
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"content-type":
            return status, _decode(value).strip()
    return status, None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("iso-8859-1")


def url_key(url: str) -> str:
    import surt

    try:
        return surt.surt(url)
    except Exception:  # noqa: BLE001 -- as cdxj-indexer: an unparseable URL is its own key
        return url


def cdxj_line(record: Record, pointer: WarcPointer) -> str | None:
    """The line cdxj-indexer writes for this record at this place, or None if it skips it."""
    entry = cdxj_entry(record, pointer)
    return None if entry is None else entry_line(entry)


def cdxj_entry(record: Record, pointer: WarcPointer) -> tuple[str, str, dict[str, str]] | None:
    """What the record's line is made of, as read from the record: (URL, WARC-Date, fields).
    Cheap; the costly part of a line (its SURT key) is left to :func:`entry_line`."""
    kind = record.header("WARC-Type")
    if kind not in _INDEXED_TYPES:
        return None
    url = record.header("WARC-Target-URI") or ""
    status, content_type = _http_head(record.block)
    index: dict[str, str] = {"url": url}
    mime = "warc/revisit" if kind == "revisit" else (
        _MIME_END.split(content_type, 1)[0].strip() if content_type is not None else None)
    if mime is not None:
        index["mime"] = mime
    if status is not None:
        index["status"] = status
    digest = record.header("WARC-Payload-Digest")
    if digest:
        index["digest"] = digest
    index.update(length=str(pointer.length), offset=str(pointer.offset),
                 filename=pointer.filename)
    return url, record.header("WARC-Date") or "", index


def entry_line(entry: tuple[str, str, dict[str, str]]) -> str:
    from warcio.timeutils import iso_date_to_timestamp

    url, date, index = entry
    return f"{url_key(url)} {iso_date_to_timestamp(date)} {json.dumps(index)}\n"


class LiveIndex:
    """CDXJ lines of the records a writer appends, per file, taken when the file closes.

    Entries (:func:`cdxj_entry`) wait in an anonymous temporary file, not in memory: the crawl
    holds no per-URL state in RAM.  They become lines in :meth:`take`, on the indexer thread
    once the file is closed: SURT keys cost the crawl's busy thread about as much as writing
    the records did.  After a crash they are gone with it, and recovery indexes the WARC
    with cdxj-indexer."""

    def __init__(self) -> None:
        self._files: dict[str, IO[str]] = {}
        self._lock = threading.Lock()

    def add(self, record: Record, pointer: WarcPointer) -> None:
        entry = cdxj_entry(record, pointer)
        if entry is None:
            return
        with self._lock:
            spill = self._files.get(pointer.filename)
            if spill is None:
                spill = self._files[pointer.filename] = tempfile.TemporaryFile(  # noqa: SIM115
                    "w+", encoding="utf-8", newline="\n")  # closed by take() or close()
            spill.write(json.dumps(entry) + "\n")

    def take(self, filename: str) -> list[str]:
        """The file's lines sorted and without repeats (as cdxj-indexer's sorting writer)."""
        with self._lock:
            spill = self._files.pop(filename, None)
        if spill is None:
            return []
        with spill:
            spill.seek(0)
            lines = [entry_line(json.loads(entry)) for entry in spill]
        lines.sort()
        return [line for i, line in enumerate(lines) if i == 0 or line != lines[i - 1]]

    def close(self) -> None:
        with self._lock:
            files, self._files = self._files, {}
        for spill in files.values():
            spill.close()


def index_closed_warc(output: Any, warc_key: str, stats: Any = None, *,
                      close_warc: bool = False, lines: list[str] | None = None) -> str | None:
    """Write the CDXJ index of a closed WARC beside it in the output; return its key.

    ``close_warc``: also report the WARC itself closed (after indexing: a storage output
    may upload and remove a file as soon as it is reported).
    """
    index_key = index_key_for(warc_key)
    try:
        write_index(output.local_path(warc_key), output.local_path(index_key), lines)
    except Exception:  # an unindexable WARC must not stop the crawl; verify will name it
        logger.exception("Could not index %s", warc_key)
        if stats is not None:
            stats.inc_value("warc/index_failed")
        if close_warc:
            output.file_closed(warc_key)
        return None
    if close_warc:
        output.file_closed(warc_key)
    output.file_closed(index_key)
    if stats is not None:
        stats.inc_value("warc/indexes_written")
    return index_key

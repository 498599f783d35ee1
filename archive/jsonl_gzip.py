"""Gzip-compressed JSONL that survives a kill: written line by line, recovered to its last
whole line.

``LineFlushedGzipPlugin`` (a feed-export plugin) sync-flushes every write to the OS, so every
line written before a kill decompresses (Scrapy's ``GzipPlugin`` left 0 bytes). ``cut_jsonl``
keeps the whole lines whose WARC pointers survived recovery, or removes a file left empty.
``stored_lines`` is how every reader of a stored JSONL (verify, report, the seen-store's
rebuild) reads it.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from archive.layout import part_path

_GZIP_WBITS = zlib.MAX_WBITS | 16
_INFLATE_CHUNK = 1 << 16


class LineFlushedGzipPlugin:
    """Gzip postprocessing whose every write is decompressible from the file at once.

    Feed options: ``gzip_compresslevel`` (default 6), as for Scrapy's ``GzipPlugin``.
    """

    def __init__(self, file: BinaryIO, feed_options: dict[str, Any]) -> None:
        self.file = file
        level = int(feed_options.get("gzip_compresslevel", 6))
        self._deflate = zlib.compressobj(level, zlib.DEFLATED, _GZIP_WBITS)

    def write(self, data: bytes) -> int:
        # The jsonlines exporter writes one whole line per call.
        self.file.write(self._deflate.compress(data) + self._deflate.flush(zlib.Z_SYNC_FLUSH))
        self.file.flush()
        return len(data)

    def close(self) -> None:
        self.file.write(self._deflate.flush(zlib.Z_FINISH))
        self.file.flush()


def readable_prefix(data: bytes) -> bytes:
    """All that decompresses of a gzip stream (one or more members), torn or not."""
    out: list[bytes] = []
    while data:
        inflater = zlib.decompressobj(_GZIP_WBITS)
        consumed = 0
        while consumed < len(data) and not inflater.eof:
            chunk = data[consumed:consumed + _INFLATE_CHUNK]
            before = inflater.copy()
            try:
                out.append(inflater.decompress(chunk))
            except zlib.error:  # corrupt from somewhere in this chunk: keep what precedes it
                out.append(_inflate_until_error(before, chunk))
                return b"".join(out)
            consumed += len(chunk)
        if not inflater.eof:
            break
        data = inflater.unused_data + data[consumed:]
    return b"".join(out)


def _inflate_until_error(inflater: Any, data: bytes) -> bytes:
    out = []
    for offset in range(len(data)):
        try:
            out.append(inflater.decompress(data[offset:offset + 1]))
        except zlib.error:
            break
    return b"".join(out)


def whole_lines(data: bytes) -> list[bytes]:
    """The complete (newline-ended) lines of ``data``; a partial last line is dropped."""
    return data[:data.rfind(b"\n") + 1].splitlines(keepends=True)


def pointer_survives(record: Any, warc_ends: dict[str, int]) -> bool:
    """False when the record's WARC pointer reaches past what recovery kept of its file
    (``warc_ends``: WARC file name → bytes kept; absent names are not this crawl's)."""
    pointer = record.get("warc") if isinstance(record, dict) else None
    if not isinstance(pointer, dict):
        return True
    name = str(pointer.get("filename", ""))
    if name not in warc_ends:
        return True
    try:
        end = int(pointer.get("offset", 0)) + int(pointer.get("length", 0))
    except (TypeError, ValueError):
        return False
    return end <= warc_ends[name]


def cut_jsonl(path: Path, warc_ends: dict[str, int]) -> int:
    """Rewrite a possibly torn ``.jsonl.gz`` as a valid one holding its whole JSON lines
    whose pointers survive (:func:`pointer_survives`); remove it when none does.  Return
    the number of lines kept."""
    kept = []
    for line in whole_lines(readable_prefix(path.read_bytes())):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and pointer_survives(record, warc_ends):
            kept.append(line)
    if not kept:
        path.unlink()
        return 0
    partial = part_path(path)
    with open(partial, "wb") as handle:
        handle.write(gzip.compress(b"".join(kept), compresslevel=6, mtime=0))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    return len(kept)


def stored_lines(storage: Any, key: str) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) of every non-blank line of a stored JSONL file (gzip when
    its key ends in ``.gz``), streamed; a line that is not JSON gives its ``ValueError`` as
    the value.  Storage, OS and gzip errors reach the caller after the lines before them."""
    with storage.open_read(key) as raw:
        stream: Any = gzip.GzipFile(fileobj=raw) if key.endswith(".gz") else raw
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except ValueError as exc:
                yield number, exc

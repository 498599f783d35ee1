"""Rotating WARC writer: ``.warc.gz.open`` while written, renamed when closed.

Each file starts with a ``warcinfo`` record; every record is its own gzip member, flushed to
the OS as soon as it is written, so a crash leaves at most the last member incomplete and
the ``.open`` suffix says the file was never closed (``archive.recovery`` repairs it).
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from archive.records import Record, RecordFactory
from archive.errors import StorageError
from archive.layout import open_path as open_path_of
from archive.layout import warc_key

logger = logging.getLogger(__name__)

# Below the kernel's IOV_MAX (1024): a longer batch is joined and written as one piece.
WRITEV_MAX_PARTS = 512

class FileSink(Protocol):
    def local_path(self, key: str) -> Path: ...

    def file_closed(self, key: str) -> object: ...


@dataclass(frozen=True)
class WarcPointer:
    """Where a record lives: ``length`` bytes at ``offset`` of ``filename``."""

    filename: str
    offset: int
    length: int
    record_id: str
    payload_digest: str | None

    def to_dict(self) -> dict:
        return {
            "filename": self.filename,
            "offset": self.offset,
            "length": self.length,
            "record_id": self.record_id,
            "payload_digest": self.payload_digest,
        }


class RotatingWarcWriter:
    """Writes records into ``warc/<site>/<YYYY>/<MM>/<DD>/<crawl_id>-<serial>.warc.gz``.

    ``warcinfo`` is the block of the ``warcinfo`` record starting each file.  A file is
    closed and a new one begun once it reaches ``max_size`` bytes.
    """

    def __init__(
        self,
        sink: FileSink,
        site: str,
        crawl_id: str,
        warcinfo: dict[str, str],
        *,
        max_size: int = 1_000_000_000,
        gzip_level: int = 6,
        factory: RecordFactory | None = None,
        on_closed: Callable[[str, Path], None] | None = None,
        on_written: Callable[[Record, WarcPointer], None] | None = None,
    ):
        self.sink = sink
        self.site = site
        self.crawl_id = crawl_id
        self.warcinfo_fields = warcinfo
        self.max_size = max_size
        self.gzip_level = gzip_level
        self.factory = factory or RecordFactory()
        self.on_closed = on_closed
        self.on_written = on_written  # each record with its pointer, before any rotation
        self.serial = 0
        self.records_written = 0
        self.bytes_written = 0
        self.closed_keys: list[str] = []
        self._handle: BinaryIO | None = None
        self._key = ""
        self._path: Path | None = None
        self._offset = 0

    @property
    def current_filename(self) -> str | None:
        return self._key.rsplit("/", 1)[-1] if self._handle else None

    @property
    def current_key(self) -> str | None:
        """The key of the file being written (its date is the day it was opened)."""
        return self._key if self._handle else None

    def key_for(self, serial: int, moment: datetime) -> str:
        return warc_key(self.site, self.crawl_id, serial, moment)

    def _open(self) -> None:
        moment = self.factory.clock()
        while True:
            self._key = self.key_for(self.serial, moment)
            self.serial += 1
            self._path = self.sink.local_path(self._key)
            open_path = open_path_of(self._path)
            # Never reuse a name already in the output (a re-run crawl id, or another
            # process of this crawl): renaming on close would replace that file.
            if self._path.exists():
                continue
            try:
                self._handle = open(open_path, "xb", buffering=0)  # noqa: SIM115 (held across calls)
            except FileExistsError:
                continue
            # Held until close: recovery skips .open files a live writer still holds.
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        self._offset = 0
        filename = self._key.rsplit("/", 1)[-1]
        self._append([self.factory.warcinfo(filename, self.warcinfo_fields)
                      .gzip_parts(self.gzip_level)])

    def _append(self, members: list[list[bytes]]) -> list[tuple[int, int]]:
        """Append gzip members (each a record's ``gzip_parts``) with one write; return each
        one's (offset, length).  The offset is kept here, not asked of the file: every
        system call on the crawl's thread lets a record thread take the GIL it then waits
        to get back (an exchange took seven: lseek, writev, lseek per record, then tell)."""
        assert self._handle is not None
        fd = self._handle.fileno()
        start = end = self._offset
        spans = []
        for parts in members:
            length = sum(len(part) for part in parts)
            spans.append((end, length))
            end += length
        chunks = [part for parts in members for part in parts]
        if len(chunks) > WRITEV_MAX_PARTS:
            chunks = [b"".join(chunks)]
        try:
            # Unbuffered: each member reaches the OS at once, so a killed process loses at
            # most these records, and a failed write can be undone exactly.
            written = os.writev(fd, chunks)
            if written < end - start:  # short: the rest piece by piece
                rest = memoryview(b"".join(chunks))[written:]
                while rest:
                    rest = rest[os.write(fd, rest):]
        except OSError as exc:
            os.ftruncate(fd, start)
            os.lseek(fd, start, os.SEEK_SET)
            raise StorageError(f"cannot write {self._key}: {exc.strerror or exc}") from exc
        self._offset = end
        self.records_written += len(members)
        self.bytes_written += end - start
        return spans

    def write(self, *records: Record) -> list[WarcPointer]:
        """Append records to the current file (kept together); return their pointers."""
        return self.write_compressed([(record, None) for record in records])

    def write_compressed(self, records: list[tuple[Record, list[bytes] | None]]) -> list[WarcPointer]:
        """As ``write``, each record with its ``gzip_parts`` at this writer's level already
        made (elsewhere: ``archive.record_threads``), or None to make them here."""
        if self._handle is None:
            self._open()
        filename = self.current_filename or ""
        spans = self._append([parts if parts is not None else record.gzip_parts(self.gzip_level)
                              for record, parts in records])
        pointers = []
        for (record, _), (offset, length) in zip(records, spans, strict=True):
            pointer = WarcPointer(
                filename=filename,
                offset=offset,
                length=length,
                record_id=record.record_id,
                payload_digest=record.header("WARC-Payload-Digest"),
            )
            pointers.append(pointer)
            if self.on_written:
                self.on_written(record, pointer)
        if self._offset >= self.max_size:
            self.close()
        return pointers

    def close(self) -> None:
        """Close the current file, if any: fsync, rename without ``.open``, hand it on."""
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        assert self._path is not None
        os.replace(open_path_of(self._path), self._path)
        self.closed_keys.append(self._key)
        logger.info("Closed WARC %s", self._path)
        self.sink.file_closed(self._key)
        if self.on_closed:
            self.on_closed(self._key, self._path)

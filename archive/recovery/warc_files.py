"""Recovery of ``.warc.gz.open`` files left by a killed crawl.

The writer (``archive.warc_writer``) makes every record one gzip member, so after a kill an
``.open`` file is whole records possibly followed by one torn member.  The longest prefix of
members that decompress and hold a record that parses (header, ``Content-Length``, closing
CRLF CRLF, ``WARC-Block-Digest``) is kept, the rest cut, and the file renamed.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from archive.dedup import DedupIndex, Original
from archive.layout import DEDUP_STATE_KEY, closed_name, final_path, open_warc_files
from archive.warc_reading import gzip_members

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecoveredFile:
    """What recovery did to one ``.open`` file."""

    open_path: Path
    # The final file, or None when not one record survived (the file is removed).
    path: Path | None
    records_kept: int
    bytes_kept: int
    bytes_cut: int
    # Why the first dropped member was dropped ("" when nothing was cut).
    problem: str = ""
    record_ids: list[str] = field(default_factory=list)
    # The surviving response records, as the revisit index holds them (``archive.dedup``),
    # so entries the killed crawl had not yet saved are restored from the WARC itself.
    originals: list[Original] = field(default_factory=list)


class _BadRecord(ValueError):
    pass


def parse_record(data: bytes) -> str:
    """Check one decompressed member holds exactly one whole record; return its record id."""
    return _record_id(record_fields(data))


def _record_id(fields: dict[bytes, bytes]) -> str:
    return fields.get(b"warc-record-id", b"").decode("utf-8", "replace")


def record_fields(data: bytes) -> dict[bytes, bytes]:
    """``parse_record``'s check; return the record's WARC header fields (lower-case names)."""
    if not data.startswith(b"WARC/1."):
        raise _BadRecord("no WARC version line")
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise _BadRecord("WARC header not terminated")
    fields: dict[bytes, bytes] = {}
    for line in data[:end].split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise _BadRecord(f"bad WARC header line {line[:60]!r}")
        fields[name.strip().lower()] = value.strip()
    try:
        length = int(fields[b"content-length"])
    except (KeyError, ValueError) as exc:
        raise _BadRecord("no valid Content-Length") from exc
    block_start = end + 4
    if len(data) != block_start + length + 4 or not data.endswith(b"\r\n\r\n"):
        raise _BadRecord(f"block is {len(data) - block_start - 4} bytes, Content-Length {length}")
    digest = fields.get(b"warc-block-digest", b"")
    if digest.lower().startswith(b"sha1:"):
        block = memoryview(data)[block_start : block_start + length]
        actual = base64.b32encode(hashlib.sha1(block).digest())
        if actual != digest[5:].upper():
            raise _BadRecord("WARC-Block-Digest does not match")
    return fields


def _original(fields: dict[bytes, bytes], filename: str, offset: int, end: int) -> Original | None:
    """The revisit index entry of a whole, untruncated response record; else None."""
    if fields.get(b"warc-type") != b"response" or b"warc-truncated" in fields:
        return None
    digest = fields.get(b"warc-payload-digest")
    if not digest:
        return None
    text = {name: value.decode("utf-8", "replace") for name, value in fields.items()}
    return Original(url=text.get(b"warc-target-uri", ""), digest=text[b"warc-payload-digest"],
                    record_id=text.get(b"warc-record-id", ""), date=text.get(b"warc-date", ""),
                    filename=filename, offset=offset, length=end - offset)


def whole_members(handle: BinaryIO) -> Iterator[tuple[int, int, bytes]]:
    """(offset, end, decompressed data) of each complete member, in order, up to the first
    that is torn or corrupt (the project's one walker, ``archive.warc_reading``)."""
    for member in gzip_members(handle):
        if not member.ok or member.data is None:
            return
        yield member.start, member.end, member.data


def cut_open_warc(open_path: Path) -> RecoveredFile:
    """Cut one ``.open`` file after its last good record, in place (fsynced); it keeps its
    name until :func:`finish_open_warc`.  Cutting it again changes nothing."""
    size = open_path.stat().st_size
    kept_end = 0
    record_ids: list[str] = []
    originals: list[Original] = []
    filename = closed_name(open_path.name)
    problem = ""
    with open(open_path, "rb") as handle:
        for start, end, data in whole_members(handle):
            try:
                fields = record_fields(data)
            except _BadRecord as exc:
                problem = f"record at offset {kept_end}: {exc}"
                break
            record_ids.append(_record_id(fields))
            original = _original(fields, filename, start, end)
            if original is not None:
                originals.append(original)
            kept_end = end
    if kept_end < size and not problem:
        problem = f"torn or corrupt gzip member at offset {kept_end}"
    if not record_ids:
        return RecoveredFile(open_path, None, 0, 0, size, problem or "empty file")
    if kept_end < size:
        with open(open_path, "r+b") as handle:
            handle.truncate(kept_end)
            handle.flush()
            os.fsync(handle.fileno())
    return RecoveredFile(open_path, final_path(open_path), len(record_ids), kept_end,
                         size - kept_end, problem, record_ids, originals)


def finish_open_warc(result: RecoveredFile) -> None:
    """Give a cut ``.open`` file its final name, or remove it when no record survived."""
    if result.path is None:
        result.open_path.unlink()
        logger.warning("Removed %s: no complete record (%d bytes)", result.open_path,
                       result.bytes_cut)
        return
    if result.path.exists():
        raise FileExistsError(f"cannot recover {result.open_path}: {result.path} already exists")
    os.replace(result.open_path, result.path)
    if result.bytes_cut:
        logger.warning("Recovered %s: kept %d records (%d bytes), cut %d bytes: %s",
                       result.path, result.records_kept, result.bytes_kept, result.bytes_cut,
                       result.problem)
    else:
        logger.info("Recovered %s: %d complete records", result.path, result.records_kept)


def recover_open_warc(open_path: Path) -> RecoveredFile:
    """Cut one ``.open`` file after its last good record and give it its final name."""
    result = cut_open_warc(open_path)
    finish_open_warc(result)
    return result


def held_by_a_writer(path: Path) -> bool:
    """True while a live writer (this or another process) holds the file's lock."""
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def recover_open_warcs(root: Path) -> list[RecoveredFile]:
    """Recover every ``*.warc.gz.open`` under ``root`` (an output directory).

    The revisit index of the output (``archive.dedup``), if there is one, is told which
    records survived, so later crawls may refer to them and never to the ones cut.
    """
    root = Path(root)
    recovered = [
        recover_open_warc(path)
        for path in open_warc_files(root)
        if not held_by_a_writer(path)
    ]
    confirm_survivors(root / DEDUP_STATE_KEY, recovered)
    return recovered


def confirm_survivors(state: Path, results: list[RecoveredFile]) -> None:
    """Tell the revisit index at ``state`` (``archive.dedup``), if there is one, which records
    of the recovered files survived, so later crawls refer to them and never to those cut."""
    if not results or not state.exists():
        return
    with DedupIndex(state) as index:
        for result in results:
            index.confirm_recovered(closed_name(result.open_path.name), result.record_ids,
                                    result.originals)

"""Independent WARC validation for tests: more than `warcio check` accepts.

`warcio check` prints "digest present but not checked" for a truncated record and still
exits 0, so every file is also read to the end of every gzip member and its digests are
verified with FastWARC, a second, independent reader.
"""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import zlib
from pathlib import Path

from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator


def gzip_members(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of each gzip member; raises if any member is truncated or corrupt.
    Fed in 64 KiB slices of a memoryview, so a large WARC is not copied once per member."""
    view = memoryview(data)
    members, offset = [], 0
    while offset < len(data):
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        position = offset
        while not decompressor.eof and position < len(data):
            chunk = view[position:position + 65536]
            decompressor.decompress(chunk)
            position += len(chunk)
        if not decompressor.eof:
            raise AssertionError(f"truncated gzip member at offset {offset}")
        used = position - offset - len(decompressor.unused_data)
        members.append((offset, used))
        offset += used
    return members


def check_warc(path: Path) -> list[str]:
    """Assert the file is a valid WARC by every test we know; return its record types."""
    data = path.read_bytes()
    gzip_members(data)
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
        capture_output=True, text=True, timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    unchecked = check.stdout.replace("digest present but not checked (revisit)", "")
    assert "digest failed" not in check.stdout and "not checked" not in unchecked, check.stdout
    # FastWARC verifies block digests only on unparsed records, payload digests on parsed ones.
    types = []
    with open(path, "rb") as handle:
        for record in FastIterator(handle, parse_http=False, record_types=WarcRecordType.any_type):
            types.append(str(record.record_type))
            if record.headers.get("WARC-Block-Digest"):
                assert record.verify_block_digest(), f"{path}: block digest of {record.record_id}"
    with open(path, "rb") as handle:
        for record in FastIterator(handle, parse_http=True, record_types=WarcRecordType.response):
            if record.headers.get("WARC-Payload-Digest"):
                assert record.verify_payload_digest(), f"{path}: payload digest of {record.record_id}"
    assert types and types[0] == "warcinfo", f"{path}: first record is {types[:1]}"
    return types


def read_pointer(path: Path, offset: int, length: int):
    """The single record stored at offset/length, parsed by warcio (with its HTTP headers)."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        chunk = handle.read(length)
    assert len(chunk) == length
    records = []
    for record in ArchiveIterator(io.BytesIO(chunk)):
        records.append((record, record.content_stream().read(), record.raw_stream.read()))
    assert len(records) == 1, f"{len(records)} records at {offset}+{length}"
    return records[0]


def decoded_payload(record, content: bytes) -> bytes:
    """warcio's content_stream already undoes Content-Encoding; make sure it did."""
    encoding = (record.http_headers.get_header("Content-Encoding") or "").lower()
    if encoding == "gzip" and content[:2] == b"\x1f\x8b":
        return gzip.decompress(content)
    return content

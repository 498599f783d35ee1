"""archive.warc_writer appends a batch of records with one write, keeps offsets itself, and
undoes a failed write exactly; archive.dedup answers look-ups from other threads while the
crawl's thread adds and saves."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from archive.dedup import DedupIndex, Original
from archive.errors import StorageError
from archive.records import RecordFactory, http_block
from archive.warc_writer import WRITEV_MAX_PARTS, RotatingWarcWriter
from tests.test_archive_records import Sink, fastwarc_verify, members, warcio_check


def exchange(factory: RecordFactory, n: int, size: int = 40_000):
    body = (f"<p>page {n} ".encode() * (size // 10))[:size]
    block, offset = http_block(b"HTTP/1.1 200 OK", [b"Content-Type: text/html"], body)
    response = factory.response(f"http://x/{n}", block, offset)
    request = factory.request(f"http://x/{n}", b"GET /%d HTTP/1.1\r\n\r\n" % n,
                              concurrent_to=response.record_id,
                              date=response.header("WARC-Date") or "")
    return request, response


def written_file(tmp_path: Path) -> Path:
    (path,) = [p for p in tmp_path.rglob("*.warc.gz*")]
    return path


def test_a_batch_lands_whole_at_the_offsets_it_reports(tmp_path: Path) -> None:
    factory = RecordFactory()
    writer = RotatingWarcWriter(Sink(tmp_path), "site", "c1", {"software": "t"}, factory=factory)
    pointers = []
    for n in range(5):
        pointers += writer.write(*exchange(factory, n))
    # more parts than one writev takes: joined, still one record each
    many = [exchange(factory, 100 + n, size=200) for n in range(WRITEV_MAX_PARTS)]
    pointers += writer.write(*[record for pair in many for record in pair])
    data = written_file(tmp_path).read_bytes()
    for pointer in pointers:
        (one,) = members(data[pointer.offset:pointer.offset + pointer.length])
        assert pointer.record_id.encode() in one
    assert pointers[-1].offset + pointers[-1].length == len(data)
    assert writer.records_written == 1 + len(pointers)
    writer.close()
    path = written_file(tmp_path)
    warcio_check(path)
    assert fastwarc_verify(path).count("response") == 5 + WRITEV_MAX_PARTS


def test_a_failed_write_is_undone_and_the_next_lands_where_it_would_have(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    factory = RecordFactory()
    writer = RotatingWarcWriter(Sink(tmp_path), "site", "c1", {"software": "t"}, factory=factory)
    first = writer.write(*exchange(factory, 1))
    size = written_file(tmp_path).stat().st_size
    real_writev = os.writev

    def half_then_full(fd: int, parts: list[bytes]) -> int:
        os.write(fd, b"".join(parts)[: sum(map(len, parts)) // 2])  # a torn member on disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "writev", half_then_full)
    with pytest.raises(StorageError, match="No space left"):
        writer.write(*exchange(factory, 2))
    assert written_file(tmp_path).stat().st_size == size
    monkeypatch.setattr(os, "writev", real_writev)
    second = writer.write(*exchange(factory, 3))
    assert second[0].offset == first[-1].offset + first[-1].length == size
    writer.close()
    warcio_check(written_file(tmp_path))


def test_look_ups_on_other_threads_while_entries_are_added_and_saved(tmp_path: Path) -> None:
    index = DedupIndex(tmp_path / "dedup.sqlite")
    added: list[Original] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def look_up() -> None:
        try:
            while not done.is_set():
                for original in list(added):  # each added before this look-up began
                    assert index.lookup(original.url, original.digest) == original
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    readers = [threading.Thread(target=look_up) for _ in range(3)]
    for reader in readers:
        reader.start()
    for n in range(DedupIndex.SAVE_EVERY * 5 + 3):  # saved in batches while read
        original = Original(f"http://x/{n % 50}", f"sha1:{n}", f"<urn:uuid:{n}>",
                            f"2026-01-01T00:00:{n % 60:02d}.{n:06d}Z", "a.warc.gz.open", n, 1)
        index.add(original)
        added.append(original)
    index.file_closed("a.warc.gz.open")
    done.set()
    for reader in readers:
        reader.join()
    assert not errors, errors[0]
    index.close()
    with DedupIndex(tmp_path / "dedup.sqlite") as reopened:
        assert all(reopened.lookup(o.url, o.digest) == o for o in added)

"""Crash recovery of ``.warc.gz.open`` files: a real ``kill -9``, then torn and corrupt tails."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.dedup import DedupIndex
from archive.layout import DEDUP_STATE_KEY
from archive.records import RecordFactory, gzip_member
from archive.recovery.warc_files import recover_open_warc, recover_open_warcs
from tests.test_archive_capture import make_middleware, records
from tests.test_archive_dedup import exchange
from tests.test_archive_records import Sink, fastwarc_verify, members, warcio_check

REPO = Path(__file__).resolve().parents[1]

# Writes exchanges through the capture middleware for ever, one line per exchange.
WRITER_LOOP = """
import random, sys
from pathlib import Path
from tests.test_archive_capture import make_middleware
from tests.test_archive_dedup import exchange
mw = make_middleware(Path(sys.argv[1]), "killed", WARC_GZIP_LEVEL=1)
n = 0
while True:
    exchange(mw, f"http://x/{n}", random.Random(n).randbytes(50_000))
    print(n, flush=True)
    n += 1
"""


def body(n: int) -> bytes:
    import random

    return random.Random(n).randbytes(50_000)


def test_kill_9_mid_crawl_then_recover(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER_LOOP, str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    with child.stdout:
        for line in child.stdout:
            if int(line) >= 20:
                break
        os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL

    (open_path,) = tmp_path.rglob("*.warc.gz.open")
    size = open_path.stat().st_size
    (recovered,) = recover_open_warcs(tmp_path)
    assert recovered.open_path == open_path and recovered.path is not None
    assert recovered.path.name == "killed-00000.warc.gz"
    assert recovered.bytes_kept + recovered.bytes_cut == size
    assert recovered.path.stat().st_size == recovered.bytes_kept
    assert recovered.records_kept >= 1 + 2 * 21  # warcinfo + at least 21 exchanges
    assert not list(tmp_path.rglob("*.open"))
    members(recovered.path.read_bytes())
    types = fastwarc_verify(recovered.path)
    assert len(types) == recovered.records_kept
    warcio_check(recovered.path)

    # Recovery confirmed the killed crawl's dedup entries for the records that survived.
    with DedupIndex(tmp_path / DEDUP_STATE_KEY) as index:
        assert index.lookup("http://x/0", _digest(body(0))) is not None
    with sqlite3.connect(tmp_path / DEDUP_STATE_KEY) as db:
        (pending,) = db.execute("SELECT count(*) FROM payloads WHERE pending = 1").fetchone()
        (kept,) = db.execute("SELECT count(*) FROM payloads").fetchone()
    db.close()
    assert pending == 0 and kept >= 21
    next_crawl = make_middleware(tmp_path, "next")
    exchange(next_crawl, "http://x/0", body(0))
    next_crawl.spider_closed(next_crawl.crawler.spider)
    assert next_crawl.crawler.stats.get_value("warc/revisits_written") == 1
    assert recover_open_warcs(tmp_path) == []


def _digest(data: bytes) -> str:
    from archive.records import sha1_digest

    return sha1_digest(data)


def write_open_file(tmp_path: Path, count: int) -> tuple[Path, list[bytes]]:
    """An ``.open`` file as a killed writer leaves it, with ``count`` response records."""
    factory = RecordFactory()
    members_written: list[bytes] = []
    path = tmp_path / "warc" / "s" / "c-00000.warc.gz.open"
    path.parent.mkdir(parents=True)
    with open(path, "wb") as handle:
        for n in range(count):
            record = factory.response(
                f"http://x/{n}", b"HTTP/1.1 200 OK\r\n\r\n" + b"%d" % n * 500, 19
            )
            data = gzip_member(record.to_bytes())
            members_written.append(data)
            handle.write(data)
    return path, members_written


def test_torn_last_member_is_cut(tmp_path: Path) -> None:
    path, written = write_open_file(tmp_path, 3)
    with open(path, "ab") as handle:
        handle.write(written[0][: len(written[0]) // 2])
    result = recover_open_warc(path)
    assert result.records_kept == 3 and result.bytes_cut == len(written[0]) // 2
    assert "torn" in result.problem
    assert result.path is not None and result.path.read_bytes() == b"".join(written)
    warcio_check(result.path)


def test_member_with_bad_record_and_everything_after_is_cut(tmp_path: Path) -> None:
    path, written = write_open_file(tmp_path, 2)
    bad = RecordFactory().response("http://x/bad", b"HTTP/1.1 200 OK\r\n\r\nabc", 19)
    tampered = bad.to_bytes().replace(b"\r\n\r\nabc", b"\r\n\r\nabd")
    with open(path, "ab") as handle:
        handle.write(gzip_member(tampered) + written[0])
    result = recover_open_warc(path)
    assert result.records_kept == 2 and "Digest does not match" in result.problem
    assert result.path is not None and result.path.read_bytes() == b"".join(written)


def test_garbage_and_short_block_are_cut(tmp_path: Path) -> None:
    path, _ = write_open_file(tmp_path, 1)
    short = (
        RecordFactory().response("http://x/s", b"HTTP/1.1 200 OK\r\n\r\nabc", 19).to_bytes()[:-6]
    )
    with open(path, "ab") as handle:
        handle.write(gzip_member(short) + b"\x1f\x8b garbage")
    result = recover_open_warc(path)
    assert result.records_kept == 1 and "Content-Length" in result.problem


def test_nothing_complete_removes_the_file(tmp_path: Path) -> None:
    path, written = write_open_file(tmp_path, 1)
    path.write_bytes(written[0][:10])
    empty = tmp_path / "warc" / "s" / "c-00001.warc.gz.open"
    empty.write_bytes(b"")
    results = recover_open_warcs(tmp_path)
    assert [(r.path, r.records_kept) for r in results] == [(None, 0), (None, 0)]
    assert not list(tmp_path.rglob("*.warc.gz*"))


def test_existing_final_name_is_never_replaced(tmp_path: Path) -> None:
    path, _ = write_open_file(tmp_path, 1)
    final = path.with_name("c-00000.warc.gz")
    final.write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        recover_open_warc(path)
    assert final.read_bytes() == b"keep me" and path.exists()


def test_closed_files_untouched(tmp_path: Path) -> None:
    from archive.warc_writer import RotatingWarcWriter

    writer = RotatingWarcWriter(Sink(tmp_path), "s", "c", {"a": "b"})
    writer.write(RecordFactory().response("http://x/", b"HTTP/1.1 200 OK\r\n\r\n", 19))
    writer.close()
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.warc.gz")}
    assert recover_open_warcs(tmp_path) == []
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.warc.gz")} == before
    assert records(tmp_path)


def test_a_file_held_by_a_live_writer_is_left_alone(tmp_path: Path) -> None:
    from archive.output import LocalOutput
    from archive.warc_writer import RotatingWarcWriter

    writer = RotatingWarcWriter(LocalOutput(tmp_path), "site", "20260101T000000Z-abcdef", {"software": "t"})
    writer.write(writer.factory.warcinfo("x", {"a": "b"}))
    assert list(tmp_path.rglob("*.open"))
    assert recover_open_warcs(tmp_path) == []
    assert list(tmp_path.rglob("*.open"))
    writer.close()
    assert not list(tmp_path.rglob("*.open")) and list(tmp_path.rglob("*.warc.gz"))

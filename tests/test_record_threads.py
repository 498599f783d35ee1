"""archive.record_threads: records made on threads land whole, in pairs, where
pointers say."""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path

from archive.record_threads import RecordThreads
from archive.output import LocalOutput
from archive.records import RecordFactory
from archive.warc_writer import RotatingWarcWriter
from tests.test_archive_records import fastwarc_verify, warcio_check


def make_writer(out: Path) -> RotatingWarcWriter:
    return RotatingWarcWriter(LocalOutput(out), site="s", crawl_id="c", warcinfo={"a": "b"})


def exchange(factory: RecordFactory, n: int) -> tuple:
    body = (f"<p>page {n} ".encode() * 5000)
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    response = factory.response(f"http://example.org/{n}", block, block.index(b"\r\n\r\n") + 4)
    request = factory.request(f"http://example.org/{n}", b"GET / HTTP/1.1\r\n\r\n",
                              concurrent_to=response.record_id, date=response.header("WARC-Date") or "")
    return request, response


def read_member(path: Path, offset: int, length: int) -> bytes:
    data = path.read_bytes()[offset:offset + length]
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    member = decompressor.decompress(data)
    assert decompressor.eof and not decompressor.unused_data
    return member


def test_concurrent_writes_land_as_whole_pairs_at_their_pointers(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    threads = RecordThreads(writer, threads=2)
    factory = RecordFactory()
    pairs = [exchange(factory, n) for n in range(20)]

    async def write_all() -> list:
        return await asyncio.gather(*(threads.write(*pair) for pair in pairs))

    results = asyncio.run(write_all())
    threads.close()
    writer.close()
    (path,) = tmp_path.rglob("*.warc.gz")
    for (request, response), (request_at, response_at) in zip(pairs, results, strict=True):
        assert response_at.offset == request_at.offset + request_at.length  # kept together
        assert read_member(path, response_at.offset, response_at.length) == response.to_bytes()
        assert read_member(path, request_at.offset, request_at.length) == request.to_bytes()
    fastwarc_verify(path)
    warcio_check(path)


def test_a_cancelled_write_is_still_written_when_the_writer_closes(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    threads = RecordThreads(writer, threads=1)
    request, response = exchange(RecordFactory(), 1)

    async def cancel_midway() -> None:
        task = asyncio.ensure_future(threads.write(request, response))
        await asyncio.sleep(0)  # submitted to a thread
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(cancel_midway())
    threads.close()
    writer.close()
    (path,) = tmp_path.rglob("*.warc.gz")
    members = []
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    rest = path.read_bytes()
    while rest:
        members.append(decompressor.decompress(rest))
        rest = decompressor.unused_data
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    assert members[1:] == [request.to_bytes(), response.to_bytes()]
    fastwarc_verify(path)


def test_without_threads_records_are_written_in_place(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    threads = RecordThreads(writer, threads=0)
    request, response = exchange(RecordFactory(), 1)
    pointers = asyncio.run(threads.write(request, response))
    assert pointers[1].offset == pointers[0].offset + pointers[0].length
    threads.close()
    writer.close()
    (path,) = tmp_path.rglob("*.warc.gz")
    assert read_member(path, pointers[1].offset, pointers[1].length) == response.to_bytes()

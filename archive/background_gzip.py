"""Gzip WARC records on worker threads; append them on the reactor's thread.

Deflating a 100 KB page at level 6 takes one to two milliseconds: on the reactor's thread
that was a third of a crawl's time.  zlib releases the GIL while it deflates, so worker
threads do it beside the crawl.  Only the pure compression moves: offsets, rotation and
the indexes fed by the writer stay on the thread that calls ``write``.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor

from archive.records import Record
from archive.warc_writer import RotatingWarcWriter, WarcPointer

logger = logging.getLogger(__name__)


def _compress(records: tuple[Record, ...], level: int) -> list[list[bytes]]:
    return [record.gzip_parts(level) for record in records]


class BackgroundGzip:
    """``await write(*records)``: compressed on one of ``threads`` threads, then appended.

    With no thread, or no running asyncio loop (another reactor), records are compressed
    where they are written, as ``RotatingWarcWriter.write`` does.
    """

    def __init__(self, writer: RotatingWarcWriter, threads: int):
        self.writer = writer
        self.pool = (ThreadPoolExecutor(threads, thread_name_prefix="warc-gzip")
                     if threads > 0 else None)
        self._pending: dict[Future, tuple[Record, ...]] = {}
        self._drained: dict[Future, list[WarcPointer]] = {}

    async def write(self, *records: Record) -> list[WarcPointer]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self.writer.write(*records)
        if self.pool is None:
            return self.writer.write(*records)
        job = self.pool.submit(_compress, records, self.writer.gzip_level)
        self._pending[job] = records
        # Shielded: a cancelled download must not drop what it already fetched; the
        # records stay pending and ``drain`` writes them when the crawl closes.
        await asyncio.shield(asyncio.wrap_future(job))
        if job in self._drained:
            return self._drained.pop(job)
        del self._pending[job]
        return self.writer.write_compressed(list(zip(records, job.result(), strict=True)))

    def drain(self) -> None:
        """Write every record still being compressed; call before the writer closes."""
        for job, records in list(self._pending.items()):
            del self._pending[job]
            self._drained[job] = self.writer.write_compressed(
                list(zip(records, job.result(), strict=True)))

    def close(self) -> None:
        self.drain()
        if self.pool is not None:
            self.pool.shutdown(wait=True)

"""Make and gzip WARC records on worker threads; append them on the reactor's thread.

Per exchange, hashing the page twice (block and payload digests) and deflating it (one to
four milliseconds for 100 KB at level 6) was a third of a crawl's time on the reactor's
thread.  hashlib and zlib release the GIL while they work, so worker threads do it beside the
crawl, and so does SQLite: the revisit index's look-up runs there too.  Only that moves:
work in Python on another thread would hold the GIL the reactor needs, so writing and
indexing stay on the thread that awaits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from archive.records import Record
from archive.warc_writer import RotatingWarcWriter, WarcPointer

logger = logging.getLogger(__name__)

T = TypeVar("T")
Made = tuple[tuple[Record, ...], Any, list[list[bytes]]]


class RecordThreads:
    """``await make_and_write(make)``: ``make()`` returns (records, anything); it and the
    compression run on one of ``threads`` threads, then the records are appended together.

    With no thread, or no running asyncio loop (another reactor), all of it runs in place.
    """

    def __init__(self, writer: RotatingWarcWriter, threads: int):
        self.writer = writer
        self.pool = (ThreadPoolExecutor(threads, thread_name_prefix="warc-records")
                     if threads > 0 else None)
        self._pending: set[Future] = set()
        self._drained: dict[Future, list[WarcPointer]] = {}

    async def write(self, *records: Record) -> list[WarcPointer]:
        pointers, _ = await self.make_and_write(lambda: (records, None))
        return pointers

    async def make_and_write(self, make: Callable[[], tuple[tuple[Record, ...], T]],
                             worth_a_thread: bool = True) -> tuple[list[WarcPointer], T]:
        """``worth_a_thread``: False where the work is too small to pay for the hand-over
        (a payload stored as received, a small one): it is done in place."""
        if not worth_a_thread or self.pool is None:
            return self._in_place(make)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._in_place(make)
        job = self.pool.submit(self._make, make)
        self._pending.add(job)
        try:
            # Shielded: a cancelled download must not drop what it fetched; the records
            # stay pending and ``drain`` writes them when the crawl closes.
            await asyncio.shield(asyncio.wrap_future(job))
        except asyncio.CancelledError:
            raise
        except Exception:
            self._pending.discard(job)
            raise
        records, extra, parts = job.result()
        if job in self._drained:
            return self._drained.pop(job), extra
        self._pending.discard(job)
        return self.writer.write_compressed(list(zip(records, parts, strict=True))), extra

    def _make(self, make: Callable[[], tuple[tuple[Record, ...], Any]]) -> Made:
        records, extra = make()
        return records, extra, [record.gzip_parts(self.writer.gzip_level) for record in records]

    def _in_place(self, make: Callable[[], tuple[tuple[Record, ...], T]]
                  ) -> tuple[list[WarcPointer], T]:
        records, extra = make()
        return self.writer.write(*records), extra

    def drain(self) -> None:
        """Write every record still being made; call before the writer closes."""
        for job in list(self._pending):
            self._pending.discard(job)
            try:
                records, _, parts = job.result()
            except Exception:  # the download awaiting it has its error (or was cancelled)
                logger.exception("A WARC record could not be made")
                continue
            self._drained[job] = self.writer.write_compressed(
                list(zip(records, parts, strict=True)))

    def close(self) -> None:
        self.drain()
        if self.pool is not None:
            self.pool.shutdown(wait=True)

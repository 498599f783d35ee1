"""Where the spider's page parsers run (listing links, feeds, sitemaps, page requisites).

In the reactor's thread pool they kept a huge page from stalling the crawl, but not from
holding the crawl process's GIL: every call the reactor makes that lets the GIL go (SQLite,
zlib, file writes) then waited for a parser thread to hand it back.  In worker processes
(``NEWSARCHIVE_PARSER_PROCESSES``, forkserver children like the extraction workers) the
same parsers cost the reactor a pickled page each: archive-only crawls of bench/crawl.py's
``gz6`` site 37.9 / 34.5 s → 34.5 / 31.7 s, alternating (README, "Performance").  0: threads, as
before.  A worker that dies (a page that exhausts memory) is counted (``parsers/pool_broken``)
and logged, and the crawl goes on with threads.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from scrapy.crawler import Crawler

from pipelines.articles import watch_parent

logger = logging.getLogger(__name__)

T = TypeVar("T")

CLOSE_WAIT = 30.0


def _import_parsers() -> None:
    import crawler.discovery.feeds  # noqa: F401
    import crawler.discovery.links  # noqa: F401
    import crawler.requisites  # noqa: F401
    import pipelines.responses  # noqa: F401


def _start_worker(parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group: the crawl stops, then shuts the pool down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent(parent_pid)


class ParserPool:
    def __init__(self, processes: int, crawler: Crawler | None = None):
        self.processes = processes
        self.crawler = crawler
        self._executor: ProcessPoolExecutor | None = None
        self._starting: threading.Thread | None = None
        self._broken = False
        self._closed = False
        self._warm: list[futures.Future[None]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParserPool:
        return cls(crawler.settings.getint("NEWSARCHIVE_PARSER_PROCESSES"), crawler)

    def start(self) -> None:
        """Start the workers on a thread of their own, and have them import the parsers:
        starting a process waits for the forkserver, which first imports the extraction
        workers' preloads (seconds on a loaded machine; long enough, on the reactor, to trip
        a 1 s ``NEWSARCHIVE_IDLE_SECONDS``).  Pages are parsed in threads until they are up.
        Called with the first page to parse: a crawl that parses none starts no process."""
        if self.processes > 0 and self._starting is None and not self._closed:
            self._starting = threading.Thread(target=self._start_workers, daemon=True,
                                              name="parser-pool-start")
            self._starting.start()

    def started(self, timeout: float | None = None) -> bool:
        """Wait for :meth:`start`; whether pages now go to the workers."""
        if self._starting is not None:
            self._starting.join(timeout)
        return self._executor is not None

    def _start_workers(self) -> None:
        try:
            executor = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start_worker, initargs=(os.getpid(),))
            self._warm = [executor.submit(_import_parsers)  # starts the processes, here
                          for _ in range(self.processes)]
        except Exception as exc:  # noqa: BLE001 -- no processes: the crawl goes on in threads
            self._give_up(exc)
            return
        if self._closed:  # the crawl ended while they started
            futures.wait(self._warm, CLOSE_WAIT)
            executor.shutdown(wait=False, cancel_futures=True)
        else:
            self._executor = executor

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker process (a module-level function, picklable
        arguments), else in a thread; its exceptions are raised here."""
        self.start()
        executor = self._executor
        if executor is not None:
            try:
                return await asyncio.wrap_future(executor.submit(function, *args))
            except BrokenProcessPool as exc:
                self._give_up(exc)
        return await asyncio.to_thread(function, *args)

    def _give_up(self, exc: BaseException) -> None:
        if self._broken:
            return
        self._broken = True
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("parsers/pool_broken")
        logger.warning("A page parser process died (%s): pages are parsed in threads for the "
                       "rest of the crawl", exc)
        self.close()

    def close(self) -> None:
        """Shut the workers down once they are up: a process shut down while starting
        fails with a traceback on the crawl's standard error."""
        self._closed = True
        if self._starting is not None and self._starting is not threading.current_thread():
            self._starting.join(CLOSE_WAIT)
        executor, self._executor = self._executor, None
        if executor is not None:
            futures.wait(self._warm, CLOSE_WAIT)
            executor.shutdown(wait=False, cancel_futures=True)

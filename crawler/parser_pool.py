"""Where the spider's page parsers run (listing links, feeds, sitemaps, page requisites).

In the reactor's thread pool they kept a huge page from stalling the crawl, but not from
holding the crawl process's GIL: every call the reactor makes that lets the GIL go (SQLite,
zlib, file writes) then waited for a parser thread to hand it back.  In worker processes
(``NEWSARCHIVE_PARSER_PROCESSES``, forkserver children like the extraction workers) the
same parsers cost the reactor a pickled page each: archive-only crawls of bench/crawl.py's
``gz6`` site 37.9 / 34.5 s → 34.5 / 31.7 s, alternating (README, "Performance").  0: threads, as
before.  A worker that dies (a page that exhausts memory) is counted (``parsers/pool_broken``)
and logged, and the crawl goes on with threads.

The reactor's own event loop writes each job to a worker's pipe and reads the results back.
A ``ProcessPoolExecutor`` would do it with two threads of its own in the crawl process, whose
every wake-up took the GIL from the reactor.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import os
import pickle
import signal
import struct
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

try:
    import fcntl
except ImportError:  # not Unix: pipes keep their default size
    fcntl = None  # type: ignore[assignment]

from scrapy.crawler import Crawler

from pipelines.articles import watch_parent

logger = logging.getLogger(__name__)

T = TypeVar("T")

CLOSE_WAIT = 30.0  # for workers still starting (the forkserver's preloads)
STOP_WAIT = 2.0  # for a started worker to end
FRAME = struct.Struct("!Q")  # a job or a result: its pickle's length, then the pickle
PIPE_SIZE = 1 << 20  # Linux: a whole page per write, most of the time


class WorkerLost(Exception):
    """The worker process ended (killed, out of memory) with jobs unanswered."""


def _import_parsers() -> None:
    import crawler.discovery.feeds  # noqa: F401
    import crawler.discovery.links  # noqa: F401
    import crawler.requisites  # noqa: F401
    import pipelines.responses  # noqa: F401


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, PIPE_SIZE))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _serve(jobs_end: Connection, results_end: Connection, parent_pid: int) -> None:
    """The worker: run each job read from ``jobs_end`` and write its outcome to
    ``results_end``, until the crawl closes its end."""
    jobs, results = jobs_end.fileno(), results_end.fileno()
    # Ctrl-C reaches the whole process group: the crawl stops, then closes the pipes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent(parent_pid)
    _import_parsers()
    while True:
        head = _read_exactly(jobs, FRAME.size)
        body = _read_exactly(jobs, FRAME.unpack(head)[0]) if head else None
        if body is None:
            return
        job_id, function, args = pickle.loads(body)
        try:
            outcome = (job_id, True, function(*args))
        except Exception as exc:  # noqa: BLE001 -- raised in the crawl, where it was asked for
            outcome = (job_id, False, _portable(exc))
        try:
            data = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 -- an unpicklable result
            data = pickle.dumps((job_id, False, RuntimeError(f"{function.__name__}: {exc}")))
        _write_all(results, FRAME.pack(len(data)) + data)


def _portable(exc: Exception) -> Exception:
    """``exc``, or a RuntimeError naming it where it would not unpickle in the crawl."""
    try:
        pickle.loads(pickle.dumps(exc, pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class _Worker:
    """One worker process and its two pipes, driven by the event loop once linked."""

    def __init__(self, context: Any):
        jobs_read, self._jobs_end = context.Pipe(duplex=False)
        self._results_end, results_write = context.Pipe(duplex=False)
        self.jobs, self.results = self._jobs_end.fileno(), self._results_end.fileno()
        for fd in (self.jobs, self.results):
            with contextlib.suppress(AttributeError, OSError):  # not Linux: default size
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        self.process = context.Process(target=_serve, args=(jobs_read, results_write,
                                                            os.getpid()),
                                       name="page-parser", daemon=True)
        try:
            self.process.start()
        finally:
            jobs_read.close()
            results_write.close()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.unsent = bytearray()
        self.received = bytearray()
        self.ids = itertools.count()
        self.lost = False

    def link(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        os.set_blocking(self.jobs, False)
        os.set_blocking(self.results, False)
        loop.add_reader(self.results, self._read)

    def submit(self, function: Callable[..., Any], args: tuple[Any, ...]) -> asyncio.Future[Any]:
        assert self.loop is not None
        future = self.loop.create_future()
        if self.jobs < 0:  # closed: nobody would answer
            future.set_exception(WorkerLost("the page parsers were stopped"))
            return future
        job_id = next(self.ids)
        data = pickle.dumps((job_id, function, args), pickle.HIGHEST_PROTOCOL)
        self.pending[job_id] = future
        if self.unsent:
            self.unsent += FRAME.pack(len(data))
            self.unsent += data
            return future
        head = FRAME.pack(len(data))
        try:
            written = os.writev(self.jobs, [head, data])
        except BlockingIOError:
            written = 0
        except OSError:
            self._lose()
            return future
        if written < len(head) + len(data):
            self.unsent += (head + data)[written:]
            self.loop.add_writer(self.jobs, self._write)
        return future

    def _write(self) -> None:
        try:
            written = os.write(self.jobs, self.unsent)
        except BlockingIOError:
            return
        except OSError:
            self._lose()
            return
        del self.unsent[:written]
        if not self.unsent and self.loop is not None:
            self.loop.remove_writer(self.jobs)

    def _read(self) -> None:
        try:
            data = os.read(self.results, PIPE_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._lose()
            return
        buffer = self.received
        buffer += data
        start = 0
        while len(buffer) - start >= FRAME.size:
            (size,) = FRAME.unpack_from(buffer, start)
            end = start + FRAME.size + size
            if len(buffer) < end:
                break
            try:
                job_id, ok, value = pickle.loads(buffer[start + FRAME.size:end])
            except Exception as exc:  # noqa: BLE001 -- a result that does not unpickle here
                logger.warning("A page parser's answer could not be read (%s)", exc)
                self._lose()
                return
            start = end
            future = self.pending.pop(job_id, None)
            if future is None or future.done():  # its page's callback was cancelled
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        del buffer[:start]

    def _lose(self) -> None:
        self.lost = True
        self.close()

    def close(self) -> None:
        """Unlink the pipes and close them; jobs not answered fail with WorkerLost."""
        if self.jobs < 0:
            return
        if self.loop is not None and not self.loop.is_closed():
            self.loop.remove_reader(self.results)
            self.loop.remove_writer(self.jobs)
        self._jobs_end.close()
        self._results_end.close()
        self.jobs = self.results = -1
        code = self.process.exitcode
        for future in self.pending.values():
            if not future.done():
                future.set_exception(WorkerLost(
                    f"the page parser process ended (exit code {code})" if self.lost
                    else "the page parsers were stopped"))
        self.pending.clear()

    def stop(self, timeout: float) -> None:
        """Close the pipes: the worker ends when it has read their end (after the page it
        may be parsing, which nobody awaits any more: killed after ``timeout``)."""
        self.close()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)


class ParserPool:
    def __init__(self, processes: int, crawler: Crawler | None = None):
        self.processes = processes
        self.crawler = crawler
        self._workers: list[_Worker] = []
        self._linked = False
        self._starting: threading.Thread | None = None
        self._broken = False
        self._closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParserPool:
        return cls(crawler.settings.getint("NEWSARCHIVE_PARSER_PROCESSES"), crawler)

    def start(self) -> None:
        """Start the workers on a thread of their own, where they import the parsers:
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
        return bool(self._workers)

    def _start_workers(self) -> None:
        context = multiprocessing.get_context("forkserver")
        workers = []
        try:
            for _ in range(self.processes):
                workers.append(_Worker(context))
        except Exception as exc:  # noqa: BLE001 -- no processes: the crawl goes on in threads
            for worker in workers:
                worker.stop(STOP_WAIT)
            self._give_up(exc)
            return
        if self._closed:  # the crawl ended while they started
            for worker in workers:
                worker.stop(STOP_WAIT)
        else:
            self._workers = workers

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker process (a module-level function, picklable
        arguments), else in a thread; its exceptions are raised here."""
        self.start()
        workers = self._workers
        if workers and not self._broken:
            if not self._linked:
                loop = asyncio.get_running_loop()
                for worker in workers:
                    worker.link(loop)
                self._linked = True
            worker = min(workers, key=lambda worker: len(worker.pending))
            try:
                return await worker.submit(function, args)
            except WorkerLost as exc:
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
        """Stop the workers once they are up: a process stopped while starting fails with a
        traceback on the crawl's standard error."""
        self._closed = True
        if self._starting is not None and self._starting is not threading.current_thread():
            self._starting.join(CLOSE_WAIT)
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop(STOP_WAIT)

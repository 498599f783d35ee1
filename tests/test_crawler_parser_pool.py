"""The spider's page parsers run in a worker process, and in threads if it dies."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
from scrapy.utils.test import get_crawler

from crawler.parser_pool import ParserPool, WorkerLost


def where() -> tuple[int, int]:
    return os.getpid(), threading.get_ident()


def die_unless_in(pid: int) -> str:
    if os.getpid() != pid:
        os._exit(1)
    return "parsed in the crawl process"


def run(pool: ParserPool, function, *args, start: bool = True):
    if start:
        pool.start()
        assert pool.started(timeout=60) == (pool.processes > 0)

    async def main():
        try:
            return await pool.run(function, *args)
        finally:
            pool.close()

    return asyncio.run(main())


def test_pages_are_parsed_in_another_process():
    assert run(ParserPool(1), where)[0] != os.getpid()


def test_with_no_processes_pages_are_parsed_in_a_thread():
    pid, thread = run(ParserPool(0), where)
    assert pid == os.getpid() and thread != threading.get_ident()


def test_a_parsers_exception_is_raised_in_the_crawl():
    with pytest.raises(ValueError, match="invalid literal"):
        run(ParserPool(1), int, "not a number")


def test_a_dead_worker_is_counted_and_its_page_parsed_in_a_thread(caplog):
    crawler = get_crawler()
    crawler.stats.open_spider()
    pool = ParserPool(1, crawler)
    pool.start()
    assert pool.started(timeout=60)

    async def main():
        first = await pool.run(die_unless_in, os.getpid())
        second = await pool.run(where)
        pool.close()
        return first, second

    first, (pid, _) = asyncio.run(main())
    assert first == "parsed in the crawl process" and pid == os.getpid()
    assert crawler.stats.get_value("parsers/pool_broken") == 1
    assert "parsed in threads for the rest of the crawl" in caplog.text


def sigint_handler() -> object:
    import signal

    return signal.getsignal(signal.SIGINT)


def test_workers_leave_ctrl_c_to_the_crawl():
    import signal

    assert run(ParserPool(1), sigint_handler) == signal.SIG_IGN


def test_started_workers_have_imported_the_parsers_before_the_first_page():
    assert run(ParserPool(1), loaded_modules) >= {
        "crawler.discovery.links", "crawler.discovery.feeds", "crawler.requisites"}


def loaded_modules() -> set[str]:
    import sys

    return set(sys.modules)


def test_pages_are_parsed_in_threads_until_the_workers_are_up():
    pool = ParserPool(1)  # not started
    assert run(pool, where, start=False)[0] == os.getpid()


def echo(data: bytes) -> tuple[int, bytes]:
    return os.getpid(), data


def crawl_threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def test_jobs_and_answers_larger_than_a_pipe_and_many_at_once_come_back_whole():
    before = crawl_threads()
    pool = ParserPool(1)
    pool.start()
    assert pool.started(timeout=60)
    pages = [bytes([n % 251]) * (n * 7919 % 3_000_000) for n in range(60)]

    async def main():
        try:
            answers = await asyncio.gather(*(pool.run(echo, page) for page in pages))
            return answers, crawl_threads()
        finally:
            pool.close()

    answers, threads = asyncio.run(main())
    assert [data for _, data in answers] == pages
    assert {pid for pid, _ in answers} != {os.getpid()}
    # The reactor's loop drives the pipes: no feeder or result thread of a process pool
    # in the crawl process, each of whose wake-ups took the GIL from the reactor.
    assert not [thread.name for thread in threads - before if thread.name != "parser-pool-start"]


class Unpicklable(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} {b}")


def raise_unpicklable() -> None:
    raise Unpicklable("needs", "two arguments")


def test_an_exception_that_cannot_cross_back_is_raised_as_a_runtime_error_naming_it():
    pool = ParserPool(1)
    with pytest.raises(RuntimeError, match="Unpicklable: needs two arguments"):
        run(pool, raise_unpicklable)
    assert not pool._broken


def test_stopping_ends_the_worker_process():
    pool = ParserPool(1)
    pool.start()
    assert pool.started(timeout=60)
    process = pool._workers[0].process
    assert process.is_alive()
    pool.close()
    assert not process.is_alive()


def test_a_job_sent_to_a_closed_worker_fails_at_once():
    pool = ParserPool(1)
    pool.start()
    assert pool.started(timeout=60)

    async def main():
        try:
            await pool.run(where)  # links the worker to this loop
            worker = pool._workers[0]
            worker.close()
            with pytest.raises(WorkerLost, match="stopped"):
                await asyncio.wait_for(worker.submit(where, ()), 5)
        finally:
            pool.close()

    asyncio.run(main())

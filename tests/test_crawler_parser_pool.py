"""The spider's page parsers run in a worker process, and in threads if it dies."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
from scrapy.utils.test import get_crawler

from crawler.parser_pool import ParserPool


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
    pool = ParserPool(1)
    pool.start()
    try:
        assert pool.started(timeout=60)
        assert pool._executor.submit(loaded_modules).result(timeout=60) >= {
            "crawler.discovery.links", "crawler.discovery.feeds", "crawler.requisites"}
    finally:
        pool.close()


def loaded_modules() -> set[str]:
    import sys

    return set(sys.modules)


def test_pages_are_parsed_in_threads_until_the_workers_are_up():
    pool = ParserPool(1)  # not started
    assert run(pool, where, start=False)[0] == os.getpid()

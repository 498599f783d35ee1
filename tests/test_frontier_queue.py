"""The shared queue gives a worker only what it can start now (real Redis, no crawl): per-host
queues, turns and leases, driven by hand through two workers' schedulers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from scrapy import Request, signals
from twisted.internet.task import Clock

from crawler.frontier import RedisFrontierScheduler
from crawler.spiders.site_spider import SectionSpider
from tests.servers.redis_server import running_redis
from tests.test_crawler_redis import FakeCrawler

A, B = "http://127.0.0.1:1", "http://127.0.0.1:2"  # two hosts (host[:port])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_redis(tmp_path_factory.mktemp("redis"), "pw") as url:
        yield url


@pytest.fixture
def server(redis_url: str) -> redis.Redis:
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    return client


SPIDER = SectionSpider(site={"name": "demo", "start_urls": [f"{A}/news/"],
                             "allow_private_addresses": True})


def worker(url: str, delay: float, concurrency: int) -> tuple[Any, RedisFrontierScheduler]:
    crawler = FakeCrawler(url, 30)
    crawler.settings.set("DOWNLOAD_DELAY_JITTER", 0, priority="cmdline")
    from crawler.frontier import Frontier, attach_frontier

    attach_frontier(crawler, Frontier(redis.Redis.from_url(url), "demo", 0,
                                      download_delay=delay, concurrency=concurrency))
    scheduler = RedisFrontierScheduler.from_crawler(crawler)  # type: ignore[arg-type]
    scheduler.clock = Clock()
    scheduler.open(SPIDER)
    return crawler, scheduler


def test_a_host_whose_turn_runs_gives_nothing_while_another_host_does(
        redis_url: str, server: redis.Redis) -> None:
    _, a = worker(redis_url, delay=60, concurrency=4)
    _, b = worker(redis_url, delay=60, concurrency=4)
    for url in (f"{A}/1", f"{A}/2", f"{B}/1"):
        assert a.enqueue_request(Request(url))
    assert set(server.smembers("newsarchive:demo:hosts")) == {b"127.0.0.1:1", b"127.0.0.1:2"}
    first = a.next_request()
    second = b.next_request()
    assert first is not None and second is not None
    assert {first.url.rsplit("/", 1)[0], second.url.rsplit("/", 1)[0]} == {A, B}
    # both hosts' turns run (60 s): the queue still holds one request, but nobody gets it
    assert len(a) == 1
    assert a.next_request() is None and b.next_request() is None
    assert 59_000 < server.pttl("newsarchive:host:127.0.0.1:1:turn") <= 60_000
    # the turn over, the request goes to whoever asks first
    server.delete("newsarchive:host:127.0.0.1:1:turn")
    third = b.next_request()
    assert third is not None and third.url.startswith(A)
    assert len(a) == 0 and not server.exists("newsarchive:demo:hosts")


def test_a_host_with_every_lease_taken_gives_nothing_until_one_is_freed_or_lapses(
        redis_url: str, server: redis.Redis) -> None:
    crawler_a, a = worker(redis_url, delay=0, concurrency=1)
    _, b = worker(redis_url, delay=0, concurrency=1)
    for path in ("/1", "/2", "/3"):
        assert a.enqueue_request(Request(A + path))
    taken = a.next_request()
    assert taken is not None
    leases = "newsarchive:host:127.0.0.1:1:leases"
    assert [m.decode().split(" ")[0] for m in server.zrange(leases, 0, -1)] == [a.worker_id]
    assert b.next_request() is None and a.next_request() is None  # concurrency 1
    # the transfer over: the lease is given back, the next request may start
    crawler_a.signals.send_catch_log(signals.request_left_downloader, request=taken,
                                     spider=SPIDER)
    assert not server.exists(leases)
    again = b.next_request()
    assert again is not None
    assert a.next_request() is None
    # b dies without giving its lease back: once the lease's time is past, it no longer counts
    b.leases.clear()
    member = server.zrange(leases, 0, -1)[0]
    server.zadd(leases, {member: 0})  # expired (Redis milliseconds, long ago)
    last = a.next_request()
    assert last is not None and last.url == f"{A}/3"
    assert [m.decode().split(" ")[0] for m in server.zrange(leases, 0, -1)] == [a.worker_id]
    # a lease is refreshed with the worker's liveness key
    server.pexpire(leases, 500)
    a.clock.advance(11)  # a third of the 30 s TTL
    assert server.pttl(leases) > 20_000
    assert server.zscore(leases, server.zrange(leases, 0, -1)[0]) > 0


def test_robots_txt_and_other_unpopped_requests_wait_for_the_turn(
        redis_url: str, server: redis.Redis) -> None:
    _, a = worker(redis_url, delay=60, concurrency=4)
    _, b = worker(redis_url, delay=60, concurrency=4)
    assert a.enqueue_request(Request(f"{A}/1"))
    popped = a.next_request()
    assert popped is not None
    # the pop reserved the turn for its request: it may go at once, and the turn restarts
    assert a.politeness.take_turn("127.0.0.1:1", a._lease_of(popped)) == 0  # type: ignore[arg-type]
    # anybody else's request (b's robots.txt) waits for the turn to end
    wait = b.politeness.take_turn("127.0.0.1:1", f"{b.worker_id} robots")
    assert 59 < wait <= 60
    server.delete("newsarchive:host:127.0.0.1:1:turn")
    assert b.politeness.take_turn("127.0.0.1:1", f"{b.worker_id} robots") == 0
    # now the turn is b's robots.txt: a's own popped request would wait for it too
    assert a.politeness.take_turn("127.0.0.1:1", a._lease_of(popped)) > 59  # type: ignore[arg-type]


def test_a_dead_workers_requests_go_back_to_their_hosts_queues(
        redis_url: str, server: redis.Redis) -> None:
    _, a = worker(redis_url, delay=0, concurrency=4)
    _, b = worker(redis_url, delay=0, concurrency=4)
    assert a.enqueue_request(Request(f"{A}/1", priority=3))
    assert a.enqueue_request(Request(f"{B}/1"))
    assert a.next_request() is not None and a.next_request() is not None
    assert len(a) == 0 and server.hlen(a.inflight_key) == 2
    server.delete(a.alive_key)  # a died
    assert b.reclaim() == 2
    assert server.zrange("newsarchive:demo:requests:127.0.0.1:1", 0, -1, withscores=True)[0][1] == -3
    assert server.zcard("newsarchive:demo:requests:127.0.0.1:2") == 1
    assert server.exists("newsarchive:host:127.0.0.1:1:leases")  # they lapse on their own
    assert len(b) == 2


def test_a_dead_workers_lease_keeps_its_host_until_it_lapses(
        redis_url: str, server: redis.Redis) -> None:
    _, a = worker(redis_url, delay=0, concurrency=1)
    _, b = worker(redis_url, delay=0, concurrency=1)
    for path in ("/1", "/2"):
        assert a.enqueue_request(Request(A + path))
    assert a.next_request() is not None
    # a's liveness key lapsed (it may be dead, or its heartbeat late) but its lease, taken
    # after its last heartbeat, still runs: it may still be fetching
    server.delete(a.alive_key)
    assert b.reclaim() == 1
    assert b.next_request() is None
    leases = "newsarchive:host:127.0.0.1:1:leases"
    server.zadd(leases, {server.zrange(leases, 0, -1)[0]: 0})  # the lease's time is past
    assert b.next_request() is not None

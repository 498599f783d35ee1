"""The worker's scheduler on the shared frontier: it pops only requests it can start now.

``next_request`` takes a request only from a host whose turn has come and has a free lease, so
no backlog waits in one worker's downloader. A popped request stays in the worker's in-flight
hash in Redis until it is done (archived and parsed, failed, or replaced by a redirect or
retry), so none is lost: a closing worker requeues its own, live workers those of a dead one.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from typing import TYPE_CHECKING, Any

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.errors import FrontierError
from crawler.frontier.codec import INFLIGHT_META_KEY, JsonRequests
from crawler.frontier.hosts import HostRules, SharedPoliteness, host_of
from crawler.frontier.middlewares import request_done
from crawler.frontier.queue import Popped, SiteQueue
from crawler.frontier.store import SharedDupeFilter, SiteKeys, attached_frontier

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class RedisFrontierScheduler(Scheduler):
    """``SCHEDULER`` for workers: scrapy-redis's scheduler on the attached frontier.

    With ``idle_exit`` > 0 the spider stays open while the frontier is empty, until it has
    been empty that many seconds (checked on Scrapy's engine heartbeat, every 5 s): another
    worker's responses may still add requests.  The frontier is empty when the queue is and
    no live worker has a request in flight.
    """

    def __init__(self, server: redis.Redis, site: str, dupefilter: SharedDupeFilter,
                 idle_exit: float = 0.0, worker_ttl: float = 30.0,
                 worker_id: str | None = None, rules: HostRules | None = None,
                 poll_interval: float = 0.25):
        keys = SiteKeys(site)
        super().__init__(
            server,
            persist=True,  # the queue and the seen set outlive any one worker
            queue_key=keys.queue_prefix,
            queue_cls="scrapy_redis.queue.PriorityQueue",
            dupefilter=dupefilter,
            dupefilter_key=keys.seen,
        )
        self.site = site
        self.idle_exit = idle_exit
        self.idle_since: float | None = None
        self.unreachable = False
        self.crawler: Crawler | None = None
        self.keys = keys
        self.worker_id = worker_id or new_worker_id()
        self.worker_ttl = worker_ttl
        self.inflight_key = keys.inflight(self.worker_id)
        self.alive_key = keys.alive(self.worker_id)
        self.clock: Any = None  # the reactor unless set before open (tests)
        self._heartbeat: Any = None
        self._wake: Any = None
        self.poll_interval = poll_interval
        self.rules = rules or HostRules(delay=0.0, concurrency=8)
        self.rules = HostRules(self.rules.delay, self.rules.concurrency, self.rules.jitter,
                               lease_ttl=worker_ttl)
        self.site_queue = SiteQueue(server, site)
        self.politeness = SharedPoliteness(server, self.rules)
        self.leases: dict[str, str] = {}  # lease id -> host, of the requests being fetched

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisFrontierScheduler:
        frontier = attached_frontier(crawler)
        if frontier is None:
            raise FrontierError(
                "RedisFrontierScheduler needs a frontier attached by `newsarchive worker`"
            )
        dupefilter = SharedDupeFilter(
            frontier.server, SiteKeys(frontier.site).seen, crawler.request_fingerprinter,
            debug=crawler.settings.getbool("DUPEFILTER_DEBUG"),
        )
        settings = crawler.settings
        ttl = settings.getfloat("NEWSARCHIVE_FRONTIER_WORKER_TTL")
        if not ttl > 0:
            raise FrontierError(f"NEWSARCHIVE_FRONTIER_WORKER_TTL must be > 0, got {ttl!r}")
        poll = settings.getfloat("NEWSARCHIVE_FRONTIER_POLL_INTERVAL")
        if not poll > 0:
            raise FrontierError(f"NEWSARCHIVE_FRONTIER_POLL_INTERVAL must be > 0, got {poll!r}")
        jitter = settings.getfloat("DOWNLOAD_DELAY_JITTER", 0.5)
        rules = HostRules(frontier.download_delay, frontier.concurrency, jitter, lease_ttl=ttl)
        scheduler = cls(frontier.server, frontier.site, dupefilter, frontier.idle_exit,
                        worker_ttl=ttl, rules=rules, poll_interval=poll)
        scheduler.stats = crawler.stats
        scheduler.crawler = crawler
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler.request_done, signal=request_done)
        crawler.signals.connect(scheduler.request_left_downloader,
                                signal=signals.request_left_downloader)
        return scheduler

    def open(self, spider: Spider) -> None:
        # scrapy-redis's own open() logs through the deprecated Spider.log()
        self.spider = spider
        # (scrapy-redis's queue encodes and decodes; SiteQueue keeps the requests)
        self.queue = PriorityQueue(self.server, spider, self.queue_key, serializer=JsonRequests)
        try:
            self._beat()
            self.server.sadd(self.keys.workers, self.worker_id)
            self.reclaim()
            waiting = len(self.site_queue)
        except redis.RedisError as exc:
            self._lost(exc)
            return
        logger.info("Frontier of site %s: %d requests waiting (worker %s)",
                    self.site, waiting, self.worker_id)
        if self.clock is None:
            from twisted.internet import reactor

            self.clock = reactor
        self._schedule_beat()

    def __len__(self) -> int:
        return len(self.site_queue)

    def close(self, reason: str) -> None:
        """Stops the liveness refresh and, Redis permitting, puts this worker's remaining
        in-flight requests back in the queue (nothing is in progress any more)."""
        for call in (self._heartbeat, self._wake):
            if call is not None and call.active():
                call.cancel()
        self._heartbeat = self._wake = None
        if self.unreachable:
            return  # the entries stay: another worker reclaims them once this key expires
        try:
            queued = self.site_queue.requeue(self.worker_id, force=True)
            self.server.delete(self.alive_key)
            self._release_all()
        except redis.RedisError as exc:
            logger.warning("Frontier of site %s: could not put this worker's in-flight "
                           "requests back (%s); another worker reclaims them after %g s",
                           self.site, exc, self.worker_ttl)
            return
        if queued:
            logger.info("Frontier of site %s: %d request(s) this worker had not finished "
                        "put back in the queue", self.site, queued)
            if self.stats:
                self.stats.inc_value("frontier/requeued", queued)

    def _beat(self) -> None:
        self.server.set(self.alive_key, b"1", px=max(1, int(self.worker_ttl * 1000)))
        self.politeness.refresh(self.leases)

    def _schedule_beat(self) -> None:
        """Refreshes the liveness key and the leases every third of their TTL, on the reactor
        (so also while long downloads run), until ``close``."""
        self._heartbeat = self.clock.callLater(self.worker_ttl / 3, self._heartbeat_tick)

    def _heartbeat_tick(self) -> None:
        self._heartbeat = None
        if self.unreachable:
            return
        try:
            self._beat()
        except redis.RedisError as exc:
            self._lost(exc)
            return
        self._schedule_beat()

    def reclaim(self) -> int:
        """Queues again what dead workers (liveness key expired) had in flight."""
        reclaimed = 0
        for raw in self.server.smembers(self.keys.workers):
            worker = raw.decode() if isinstance(raw, bytes) else raw
            if worker == self.worker_id:
                continue
            queued = self.site_queue.requeue(worker, force=False)
            if queued > 0:
                reclaimed += queued
                logger.warning("Frontier of site %s: reclaimed %d in-flight request(s) of "
                               "dead worker %s", self.site, queued, worker)
        if reclaimed and self.stats:
            self.stats.inc_value("frontier/reclaimed", reclaimed)
        return reclaimed

    def _others_in_flight(self) -> bool:
        """Whether a live worker other than this one has a request in flight."""
        for raw in self.server.smembers(self.keys.workers):
            worker = raw.decode() if isinstance(raw, bytes) else raw
            if worker != self.worker_id and self.server.exists(self.keys.alive(worker)) \
                    and self.server.hlen(self.keys.inflight(worker)):
                return True
        return False

    def _lease_of(self, request: Request) -> str | None:
        field = request.meta.get(INFLIGHT_META_KEY)
        return None if field is None else f"{self.worker_id} {field}"

    def _release(self, request: Request) -> None:
        """Gives the request's lease on its host back, if this worker holds it."""
        lease = self._lease_of(request)
        host = self.leases.pop(lease, None) if lease else None
        if host is not None and not self.unreachable:
            try:
                self.politeness.release(host, lease)  # type: ignore[arg-type]
            except redis.RedisError as exc:
                self._lost(exc)

    def _release_all(self) -> None:
        while self.leases:
            lease, host = self.leases.popitem()
            self.politeness.release(host, lease)

    def request_left_downloader(self, request: Request) -> None:
        """The transfer is over: the host may serve the next request (the entry stays in
        flight until the request is done)."""
        self._release(request)

    def request_done(self, request: Request) -> None:
        """``request`` (one this worker popped) needs no fetching any more: not in flight."""
        field = request.meta.get(INFLIGHT_META_KEY)
        if field is None or self.unreachable:
            return
        self._release(request)
        try:
            self.server.hdel(self.inflight_key, field)
        except redis.RedisError as exc:
            self._lost(exc)

    async def await_turn(self, request: Request) -> None:
        """Until ``request`` may be sent: its host's turn, reserved by the pop for a popped
        request (at once, unless another request of this worker, e.g. robots.txt, took the
        turn meanwhile), taken here for any other (robots.txt)."""
        owner = self._lease_of(request) or f"{self.worker_id} {id(request):x}"
        host = host_of(request.url)
        while not self.unreachable:
            try:
                wait = self.politeness.take_turn(host, owner)
            except redis.RedisError as exc:
                self._lost(exc)
                return
            if wait <= 0:
                return
            await maybe_deferred_to_future(task.deferLater(self.clock, wait, lambda: None))

    def enqueue_request(self, request: Request) -> bool:
        if self.unreachable:
            self._count("frontier/lost_requests")
            return False
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        try:
            queued = self.site_queue.push(request.url, self.queue._encode_request(request),
                                          request.priority, fingerprint)
        except redis.RedisError as exc:
            self._lost(exc)
            self._count("frontier/lost_requests")
            return False
        if not queued:
            self.df.log(request, self.spider)
            self._count("dupefilter/filtered")
        # a redirect or retry of a popped request (the meta copied): that one is done now
        self.request_done(request)
        if queued:
            self._count("scheduler/enqueued/redis")
        return queued

    def has_pending_requests(self) -> bool:
        if self.unreachable:
            return False
        try:
            return len(self) > 0
        except redis.RedisError as exc:
            self._lost(exc)
            return False

    def _count(self, key: str) -> None:
        if self.stats:
            self.stats.inc_value(key)

    def _lost(self, exc: Exception) -> None:
        """Redis went away: stop this worker the way a stopped crawl stops (what it fetched
        is archived, its WARCs closed, its manifest written), once."""
        if self.unreachable:
            return
        self.unreachable = True
        logger.error("Redis frontier of site %s unreachable (%s): this worker stops; requests "
                     "it discovers from now on are counted as frontier/lost_requests",
                     self.site, exc)
        self._count("frontier/unreachable")
        engine = getattr(self.crawler, "engine", None)
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason="frontier_unreachable"))

    def next_request(self) -> Request | None:
        if self.unreachable:
            return None
        try:
            taken = self.site_queue.pop(self.worker_id, self.inflight_key, self.rules)
        except redis.RedisError as exc:
            self._lost(exc)
            return None
        if not isinstance(taken, Popped):
            # a turn ends then; leases and other workers' new links need a look now and then
            self._call_again(self.poll_interval if not taken else min(taken, self.poll_interval))
            return None
        request = self.queue._decode_request(taken.raw)
        request.meta[INFLIGHT_META_KEY] = taken.field
        self.leases[f"{self.worker_id} {taken.field}"] = taken.host
        self.idle_since = None
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def _call_again(self, seconds: float) -> None:
        """Has the engine ask for a request again in ``seconds`` (it asks only when a
        download ends, and on its 5-second heartbeat)."""
        if self.clock is None:
            return
        due = self.clock.seconds() + seconds
        if self._wake is not None and self._wake.active():
            if self._wake.getTime() <= due:
                return
            self._wake.cancel()
        self._wake = self.clock.callLater(seconds, self._engine_next_call)

    def _engine_next_call(self) -> None:
        self._wake = None
        slot = getattr(getattr(self.crawler, "engine", None), "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def spider_idle(self, spider: Spider) -> None:
        if self.unreachable:
            return  # closing already
        try:
            # idle: nothing of this worker's is in progress, so anything its hash still holds
            # (an end no hook saw, e.g. output cut short by CloseSpider) is done, and so are
            # its leases
            self.server.delete(self.inflight_key)
            self._release_all()
            self._beat()
            reclaimed = self.reclaim()
            busy = reclaimed > 0 or len(self) > 0 or self._others_in_flight()
        except redis.RedisError as exc:
            self._lost(exc)
            return
        if busy:  # work reclaimed, or a live worker may still discover links
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        idle_for = now - self.idle_since
        if idle_for < self.idle_exit:
            raise DontCloseSpider
        logger.info(
            "Frontier of site %s empty for %.0f s (--idle-exit %g): this worker stops",
            self.site, idle_for, self.idle_exit,
        )
        if self.stats:
            self.stats.set_value("frontier/idle_exit", True)

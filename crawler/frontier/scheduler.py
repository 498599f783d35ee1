"""The worker's scheduler on the shared frontier, and its reliable queue.

**Reliable queue.** A pop is a Lua script that takes the best request off the queue *and*
records it in the worker's in-flight hash ``newsarchive:<site>:inflight:<worker id>`` (field:
the SHA-1 of the encoded request, value: the encoded request) in one step.  The entry goes when
the request is *done*, i.e. its response archived and parsed, its links queued
(``FrontierDoneSpiderMiddleware``, after the callback's or errback's output is consumed), it
failed (``FrontierDoneDownloaderMiddleware.process_exception``: errors, robots.txt and other
``IgnoreRequest``), or the redirect or retry that replaces it is queued (it carries the
marker).  Not on ``request_left_downloader``: that fires before the WARC capture middleware
writes the response and before the spider sees it, so a worker dying just then would lose the
page and its links.  Whatever is still in the hash when the worker is idle is cleared (nothing is
in progress then).  Each worker refreshes a liveness
key ``newsarchive:<site>:worker:<id>`` (TTL ``NEWSARCHIVE_FRONTIER_WORKER_TTL``, 30 s) every
third of the TTL and is listed in the set ``newsarchive:<site>:workers``.  On opening and when
idle, a worker moves the in-flight entries of every listed worker whose liveness key expired
back into the queue (one Lua script per hash, so two workers never both reclaim them).  A
worker that closes puts its own remaining entries back itself.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import time
from typing import TYPE_CHECKING, Any

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.errors import FrontierError
from crawler.frontier.codec import INFLIGHT_META_KEY, JsonRequests
from crawler.frontier.middlewares import request_done
from crawler.frontier.store import SharedDupeFilter, SiteKeys, attached_frontier

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


# KEYS: queue, in-flight hash.  Pops the best request and records it as in flight, at once.
_POP_SCRIPT = """
local popped = redis.call('ZRANGE', KEYS[1], 0, 0)
if #popped == 0 then return false end
redis.call('ZREM', KEYS[1], popped[1])
redis.call('HSET', KEYS[2], redis.sha1hex(popped[1]), popped[1])
return popped[1]
"""

# KEYS: in-flight hash, liveness key, queue, workers set; ARGV: worker id, '1' to force.
# Unless forced, does nothing (-1) while the worker is alive; else queues every in-flight
# request again with its priority (score -priority, as PriorityQueue.push), deletes the hash
# and unlists the worker.  Returns how many requests were queued again.
_REQUEUE_SCRIPT = """
if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local entries = redis.call('HGETALL', KEYS[1])
local queued = 0
for i = 2, #entries, 2 do
  local ok, request = pcall(cjson.decode, entries[i])
  local priority = 0
  if ok and type(request) == 'table' and type(request['priority']) == 'number' then
    priority = request['priority']
  end
  redis.call('ZADD', KEYS[3], -priority, entries[i])
  queued = queued + 1
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[4], ARGV[1])
return queued
"""

# KEYS: seen set, queue; ARGV: fingerprint ('' for a request that skips the filter), score,
# encoded request.  Marks the request seen and queues it in one step, queueing first: a worker
# killed between two separate calls would leave a URL seen but never queued, lost to every
# worker; a failed ZADD (a runtime error does not undo earlier writes) marks nothing seen.
_ENQUEUE_SCRIPT = """
if ARGV[1] ~= '' and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
if ARGV[1] ~= '' then redis.call('SADD', KEYS[1], ARGV[1]) end
return 1
"""


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
                 worker_id: str | None = None):
        keys = SiteKeys(site)
        super().__init__(
            server,
            persist=True,  # the queue and the seen set outlive any one worker
            queue_key=keys.requests,
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
        self._pop = server.register_script(_POP_SCRIPT)
        self._requeue = server.register_script(_REQUEUE_SCRIPT)
        self._enqueue = server.register_script(_ENQUEUE_SCRIPT)

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
        ttl = crawler.settings.getfloat("NEWSARCHIVE_FRONTIER_WORKER_TTL", 30.0)
        if not ttl > 0:
            raise FrontierError(f"NEWSARCHIVE_FRONTIER_WORKER_TTL must be > 0, got {ttl!r}")
        scheduler = cls(frontier.server, frontier.site, dupefilter, frontier.idle_exit,
                        worker_ttl=ttl)
        scheduler.stats = crawler.stats
        scheduler.crawler = crawler
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler.request_done, signal=request_done)
        return scheduler

    def open(self, spider: Spider) -> None:
        # scrapy-redis's own open() logs through the deprecated Spider.log()
        self.spider = spider
        self.queue = PriorityQueue(self.server, spider, self.queue_key, serializer=JsonRequests)
        try:
            self._beat()
            self.server.sadd(self.keys.workers, self.worker_id)
            self.reclaim()
            waiting = len(self.queue)
        except redis.RedisError as exc:
            self._lost(exc)
            return
        logger.info("Frontier of site %s: %d requests waiting (worker %s)",
                    self.site, waiting, self.worker_id)
        if self.clock is None:
            from twisted.internet import reactor

            self.clock = reactor
        self._schedule_beat()

    def close(self, reason: str) -> None:
        """Stops the liveness refresh and, Redis permitting, puts this worker's remaining
        in-flight requests back in the queue (nothing is in progress any more)."""
        if self._heartbeat is not None and self._heartbeat.active():
            self._heartbeat.cancel()
        self._heartbeat = None
        if self.unreachable:
            return  # the entries stay: another worker reclaims them once this key expires
        try:
            queued = self._requeue(
                keys=[self.inflight_key, self.alive_key, self.queue_key, self.keys.workers],
                args=[self.worker_id, "1"],
            )
            self.server.delete(self.alive_key)
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

    def _schedule_beat(self) -> None:
        """Refreshes the liveness key every third of its TTL, on the reactor (so also while
        long downloads run), until ``close``."""
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
            queued = self._requeue(
                keys=[self.keys.inflight(worker), self.keys.alive(worker), self.queue_key,
                      self.keys.workers],
                args=[worker, "0"],
            )
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

    def request_done(self, request: Request) -> None:
        """``request`` (one this worker popped) needs no fetching any more: not in flight."""
        field = request.meta.get(INFLIGHT_META_KEY)
        if field is None or self.unreachable:
            return
        try:
            self.server.hdel(self.inflight_key, field)
        except redis.RedisError as exc:
            self._lost(exc)

    def enqueue_request(self, request: Request) -> bool:
        if self.unreachable:
            self._count("frontier/lost_requests")
            return False
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        try:
            queued = self._enqueue(
                keys=[self.df.key, self.queue_key],
                args=[fingerprint, -request.priority, self.queue._encode_request(request)],
            ) == 1
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
            data = self._pop(keys=[self.queue_key, self.inflight_key])
        except redis.RedisError as exc:
            self._lost(exc)
            return None
        request = None
        if data is not None:
            request = self.queue._decode_request(data)
            request.meta[INFLIGHT_META_KEY] = hashlib.sha1(data).hexdigest()
            self.idle_since = None
            if self.stats:
                self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def spider_idle(self, spider: Spider) -> None:
        if self.unreachable:
            return  # closing already
        try:
            # idle: nothing of this worker's is in progress, so anything its hash still holds
            # (an end no hook saw, e.g. output cut short by CloseSpider) is done
            self.server.delete(self.inflight_key)
            self._beat()
            reclaimed = self.reclaim()
            busy = reclaimed > 0 or len(self.queue) > 0 or self._others_in_flight()
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

"""A crawl frontier shared through Redis: several workers, one queue and one seen set per site.

**scrapy-redis** does the queueing: its ``PriorityQueue`` (a sorted set; a pop is one
MULTI/EXEC, so two workers never get the same request) holds the requests, serialised with
``Request.to_dict`` (callbacks by spider-method name); its ``Scheduler`` and
``RFPDupeFilter`` are subclassed here for three reasons (and requests are stored as JSON,
``JsonRequests``, not pickled: whoever can write to the Redis can queue URLs, never run
code in the workers):

* the Redis client is handed to the crawler by the CLI (``attach_frontier``), never put in a
  setting: Scrapy logs every overridden setting, and the URL may hold a password;
* fingerprints come from the crawler's ``request_fingerprinter`` (scrapy-redis 0.9 hashes
  its own JSON of method, URL and body), and the seen set is never deleted when one worker
  closes (``RFPDupeFilter.close`` would);
* stats are counted without the ``spider`` argument, and nothing is logged through
  ``Spider.log()``: both are deprecated in Scrapy 2.14+ and warned about.

Keys, per site (so two sites never mix): ``newsarchive:<site>:config`` (the site config as
JSON), ``newsarchive:<site>:requests`` and ``newsarchive:<site>:seen``; the set
``newsarchive:sites`` names the seeded sites.

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

import asyncio
import base64
import hashlib
import json
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.request import RequestFingerprinter, RequestFingerprinterProtocol
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from archive.capture import WIRE_META_KEY
from crawler.config import SiteConfig, site_config_from_dict
from crawler.errors import ConfigError, FrontierError

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

KEY_PREFIX = "newsarchive"
SITES_KEY = f"{KEY_PREFIX}:sites"
_ATTRIBUTE = "_newsarchive_frontier"


def mask_url(url: str) -> str:
    """The Redis URL as it may be shown: any user name and password replaced by ``***``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def connect(url: str) -> redis.Redis:
    """A checked client for ``url``; ``FrontierError`` (message without credentials) if not."""
    try:
        server = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=60)
    except ValueError as exc:
        raise FrontierError(f"bad Redis URL {mask_url(url)!r}: {exc}") from None
    try:
        server.ping()
    except redis.RedisError as exc:
        raise FrontierError(f"Redis at {mask_url(url)} unusable: {exc}") from None
    return server


class JsonRequests:
    """The queue's serializer (scrapy-redis calls ``dumps``/``loads``): a request dict as
    JSON, bytes (body, header names and values) as base64 under ``__bytes__``, dicts with
    non-string keys as ``__items__`` pairs."""

    @staticmethod
    def dumps(obj: Any) -> str:
        meta = obj.get("meta") if isinstance(obj, dict) else None
        if meta and any(key in meta for key in _FETCH_STATE_META):
            # what one fetch left in the meta a redirect copies: not the next request's
            obj = {**obj, "meta": {k: v for k, v in meta.items() if k not in _FETCH_STATE_META}}
        return json.dumps(_to_json(obj), separators=(",", ":"))

    @staticmethod
    def loads(raw: str | bytes) -> Any:
        return json.loads(raw, object_hook=_from_json)


# the in-flight hash field of a popped request (a redirect copies the meta: never queued)
INFLIGHT_META_KEY = "_newsarchive_inflight"
_FETCH_STATE_META = frozenset({WIRE_META_KEY, INFLIGHT_META_KEY})


def _to_json(obj: Any) -> Any:
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, bytes):
        return {"__bytes__": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, (list, tuple)):
        return [_to_json(item) for item in obj]
    if isinstance(obj, dict):
        if all(isinstance(key, str) for key in obj):
            return {key: _to_json(value) for key, value in obj.items()}
        return {"__items__": [[_to_json(key), _to_json(value)] for key, value in obj.items()]}
    raise TypeError(f"cannot queue a request holding a {type(obj).__name__} "
                    "(request meta and cb_kwargs must be JSON-like)")


def _from_json(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "__bytes__" in obj:
            return base64.b64decode(obj["__bytes__"])
        if "__items__" in obj:
            return {_hashable(key): value for key, value in obj["__items__"]}
    return obj


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


@dataclass(frozen=True)
class SiteKeys:
    site: str

    @property
    def config(self) -> str:
        return f"{KEY_PREFIX}:{self.site}:config"

    @property
    def requests(self) -> str:
        return f"{KEY_PREFIX}:{self.site}:requests"

    @property
    def seen(self) -> str:
        return f"{KEY_PREFIX}:{self.site}:seen"

    @property
    def workers(self) -> str:
        return f"{KEY_PREFIX}:{self.site}:workers"

    def inflight(self, worker: str) -> str:
        return f"{KEY_PREFIX}:{self.site}:inflight:{worker}"

    def alive(self, worker: str) -> str:
        return f"{KEY_PREFIX}:{self.site}:worker:{worker}"


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


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class SharedDupeFilter(RFPDupeFilter):
    """The seen set of one site in Redis, fingerprinted as the crawler fingerprints."""

    def __init__(self, server: redis.Redis, key: str, fingerprinter: RequestFingerprinterProtocol,
                 debug: bool = False):
        super().__init__(server, key, debug=debug)
        self.fingerprinter = fingerprinter

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason: str = "") -> None:
        """Keeps the set: other workers still use it (``RFPDupeFilter.close`` deletes it)."""


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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisFrontierScheduler:
        frontier: Frontier | None = getattr(crawler, _ATTRIBUTE, None)
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
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                self._count("dupefilter/filtered")
                queued = False
            else:
                self.queue.push(request)
                queued = True
        except redis.RedisError as exc:
            self._lost(exc)
            self._count("frontier/lost_requests")
            return False
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


# Sent (``request=``) when a request popped from the frontier is done; see the module doc.
request_done = object()


class FrontierDoneSpiderMiddleware:
    """``SPIDER_MIDDLEWARES`` for workers, outermost (the engine consumes its output): once
    the output of a response's callback or errback has been consumed (its requests queued,
    its items handed on), or it raised, the response's request is done."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierDoneSpiderMiddleware:
        return cls(crawler)

    def _done(self, response: Any) -> None:
        request = getattr(response, "request", None)
        if request is not None:
            self.crawler.signals.send_catch_log(request_done, request=request)

    def process_spider_output(self, response: Any, result: Any) -> Any:
        yield from result
        self._done(response)

    async def process_spider_output_async(self, response: Any, result: Any) -> Any:
        async for item in result:
            yield item
        self._done(response)

    def process_spider_exception(self, response: Any, exception: Exception) -> None:
        self._done(response)


class FrontierDoneDownloaderMiddleware:
    """``DOWNLOADER_MIDDLEWARES`` for workers, outermost: a request whose download or
    downloader middleware failed (``IgnoreRequest`` from robots.txt included) is done, unless
    a middleware nearer the downloader turned the failure into a retry or a response."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierDoneDownloaderMiddleware:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        self.crawler.signals.send_catch_log(request_done, request=request)


@dataclass(frozen=True)
class Frontier:
    """What a worker's crawler needs to reach its site's frontier."""

    server: redis.Redis
    site: str
    idle_exit: float = 0.0


def attach_frontier(crawler: Crawler, frontier: Frontier) -> None:
    setattr(crawler, _ATTRIBUTE, frontier)


def seed(server: redis.Redis, site: SiteConfig) -> int:
    """Start a new shared crawl of ``site``: store its config, reset its queue and seen set,
    and push the requests ``SectionSpider.start()`` makes.  Returns how many were pushed."""
    from crawler.spiders.sections import SectionSpider

    keys = SiteKeys(site.name)
    spider = SectionSpider(site=site)
    requests = asyncio.run(_start_requests(spider))
    dupefilter = SharedDupeFilter(server, keys.seen, RequestFingerprinter())
    queue = PriorityQueue(server, spider, keys.requests, serializer=JsonRequests)
    try:
        stale = [*server.scan_iter(match=f"{KEY_PREFIX}:{site.name}:inflight:*"),
                 *server.scan_iter(match=f"{KEY_PREFIX}:{site.name}:worker:*")]
        server.delete(keys.requests, keys.seen, keys.workers, *stale)
        server.set(keys.config, json.dumps(site.to_dict()))
        server.sadd(SITES_KEY, site.name)
        pushed = 0
        for request in requests:
            if not dupefilter.request_seen(request):
                queue.push(request)
                pushed += 1
    except redis.RedisError as exc:
        raise FrontierError(f"seeding site {site.name} failed: {exc}") from None
    return pushed


async def _start_requests(spider: Any) -> list[Request]:
    return [request async for request in spider.start()]


def seeded_sites(server: redis.Redis) -> list[SiteConfig]:
    """The site configs stored by ``crawl --redis``, by name; ``ConfigError`` if one is bad."""
    try:
        # (the client does not decode replies)
        names = sorted(n.decode() if isinstance(n, bytes) else n
                       for n in server.smembers(SITES_KEY))
        stored = {name: server.get(SiteKeys(name).config) for name in names}
    except redis.RedisError as exc:
        raise FrontierError(f"reading the seeded sites failed: {exc}") from None
    sites = []
    for name, raw in stored.items():
        source = f"redis key {SiteKeys(name).config}"
        if raw is None:
            raise ConfigError(source, "missing (listed in newsarchive:sites)")
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ConfigError(source, f"is not JSON: {exc}") from None
        sites.append(site_config_from_dict(data, source))
    return sites

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
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
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


_FETCH_STATE_META = frozenset({WIRE_META_KEY})


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
    worker's responses may still add requests.
    """

    def __init__(self, server: redis.Redis, site: str, dupefilter: SharedDupeFilter,
                 idle_exit: float = 0.0):
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
        scheduler = cls(frontier.server, frontier.site, dupefilter, frontier.idle_exit)
        scheduler.stats = crawler.stats
        scheduler.crawler = crawler
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        # scrapy-redis's own open() logs through the deprecated Spider.log()
        self.spider = spider
        self.queue = PriorityQueue(self.server, spider, self.queue_key, serializer=JsonRequests)
        logger.info("Frontier of site %s: %d requests waiting", self.site, len(self.queue))

    def enqueue_request(self, request: Request) -> bool:
        if self.unreachable:
            self._count("frontier/lost_requests")
            return False
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                self._count("dupefilter/filtered")
                return False
            self.queue.push(request)
        except redis.RedisError as exc:
            self._lost(exc)
            self._count("frontier/lost_requests")
            return False
        self._count("scheduler/enqueued/redis")
        return True

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
            request = self.queue.pop()
        except redis.RedisError as exc:
            self._lost(exc)
            return None
        if request is not None:
            self.idle_since = None
            if self.stats:
                self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def spider_idle(self, spider: Spider) -> None:
        if self.unreachable:
            return  # closing already
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
        server.delete(keys.requests, keys.seen)
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

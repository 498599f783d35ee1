"""The shared frontier in Redis: the connection, the keys of a site, its seen set, seeding
(``crawl --redis``) and the seeded site configs."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import redis
from scrapy.utils.request import RequestFingerprinter, RequestFingerprinterProtocol
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

from crawler.config import SiteConfig, site_config_from_dict
from crawler.errors import ConfigError, FrontierError
from crawler.frontier.codec import JsonRequests

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler



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


@dataclass(frozen=True)
class SiteKeys:
    site: str

    @property
    def config(self) -> str:
        return f"{KEY_PREFIX}:{self.site}:config"

    @property
    def queue_prefix(self) -> str:
        """Followed by a host: that host's queue (``crawler.frontier.queue``)."""
        return f"{KEY_PREFIX}:{self.site}:requests:"

    @property
    def hosts(self) -> str:
        return f"{KEY_PREFIX}:{self.site}:hosts"

    @property
    def seen(self) -> str:
        return f"{KEY_PREFIX}:{self.site}:seen"

    @property
    def workers(self) -> str:
        return f"{KEY_PREFIX}:{self.site}:workers"

    def requisite_pointer(self, url: str) -> str:
        """The WARC pointer of an image requisite a worker archived (expires)."""
        return f"{KEY_PREFIX}:{self.site}:requisite:{hashlib.sha1(url.encode()).hexdigest()}"

    def inflight(self, worker: str) -> str:
        return f"{KEY_PREFIX}:{self.site}:inflight:{worker}"

    def alive(self, worker: str) -> str:
        return f"{KEY_PREFIX}:{self.site}:worker:{worker}"


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


@dataclass(frozen=True)
class Frontier:
    """What a worker's crawler needs to reach its site's frontier."""

    server: redis.Redis
    site: str
    idle_exit: float = 0.0
    # the site's politeness, held with every other worker (crawler.frontier.hosts)
    download_delay: float = 0.0
    concurrency: int = 8


def attach_frontier(crawler: Crawler, frontier: Frontier) -> None:
    setattr(crawler, _ATTRIBUTE, frontier)


def attached_frontier(crawler: Crawler) -> Frontier | None:
    """The frontier ``attach_frontier`` gave this crawler, if any."""
    return getattr(crawler, _ATTRIBUTE, None)


def seed(server: redis.Redis, site: SiteConfig) -> int:
    """Start a new shared crawl of ``site``: store its config, reset its queue and seen set,
    and push the requests ``SectionSpider.start()`` makes.  Returns how many were pushed."""
    from crawler.frontier.queue import SiteQueue
    from crawler.spiders.site_spider import SectionSpider

    keys = SiteKeys(site.name)
    spider = SectionSpider(site=site)
    requests = asyncio.run(_start_requests(spider))
    fingerprinter = RequestFingerprinter()
    # (scrapy-redis's queue only encodes here)
    encoder = PriorityQueue(server, spider, keys.queue_prefix, serializer=JsonRequests)
    queue = SiteQueue(server, site.name)
    try:
        stale = [*server.scan_iter(match=f"{KEY_PREFIX}:{site.name}:inflight:*"),
                 *server.scan_iter(match=f"{KEY_PREFIX}:{site.name}:worker:*"),
                 *queue.queue_keys()]
        server.delete(keys.hosts, keys.seen, keys.workers, *stale)
        server.set(keys.config, json.dumps(site.to_dict()))
        server.sadd(SITES_KEY, site.name)
        pushed = 0
        for request in requests:
            fingerprint = "" if request.dont_filter else fingerprinter.fingerprint(request).hex()
            pushed += queue.push(request.url, encoder._encode_request(request), request.priority,
                                 fingerprint)
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

"""Crawl frontier shared through Redis: per site one seen set and one queue per host.

Lua pops take only a request whose host's turn has come and mark it in flight at once, so two
workers never get the same request; the seen set outlives any worker. Requests are JSON, never
pickled: writing to Redis can queue URLs, never run code. The Redis client comes from the CLI,
never a setting, as Scrapy logs settings and the Redis URL may hold a password.
"""

from crawler.frontier.codec import INFLIGHT_META_KEY, JsonRequests
from crawler.frontier.hosts import HostRules, SharedPoliteness, host_of
from crawler.frontier.middlewares import (
    FrontierDoneDownloaderMiddleware,
    FrontierDoneSpiderMiddleware,
    FrontierPaceDownloaderMiddleware,
    request_done,
)
from crawler.frontier.queue import SiteQueue
from crawler.frontier.scheduler import RedisFrontierScheduler, new_worker_id
from crawler.frontier.store import (
    KEY_PREFIX,
    SITES_KEY,
    Frontier,
    SharedDupeFilter,
    SiteKeys,
    attach_frontier,
    connect,
    mask_url,
    seed,
    seeded_sites,
)

__all__ = [
    "INFLIGHT_META_KEY", "KEY_PREFIX", "SITES_KEY", "Frontier", "FrontierDoneDownloaderMiddleware",
    "FrontierDoneSpiderMiddleware", "FrontierPaceDownloaderMiddleware", "HostRules",
    "JsonRequests", "SharedPoliteness", "SiteQueue", "host_of", "RedisFrontierScheduler", "SharedDupeFilter",
    "SiteKeys", "attach_frontier", "connect", "mask_url", "new_worker_id", "request_done", "seed",
    "seeded_sites",
]

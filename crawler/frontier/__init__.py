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

The modules: ``store`` (the Redis connection, keys, seeding, the shared seen set), ``codec``
(requests as JSON), ``scheduler`` (the worker's scheduler: pops, in-flight entries, reclaims)
and ``middlewares`` (when a popped request is done).
"""

from crawler.frontier.codec import INFLIGHT_META_KEY, JsonRequests
from crawler.frontier.middlewares import (
    FrontierDoneDownloaderMiddleware,
    FrontierDoneSpiderMiddleware,
    request_done,
)
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
    "FrontierDoneSpiderMiddleware", "JsonRequests", "RedisFrontierScheduler", "SharedDupeFilter",
    "SiteKeys", "attach_frontier", "connect", "mask_url", "new_worker_id", "request_done", "seed",
    "seeded_sites",
]

"""A crawl frontier shared through Redis: several workers, per site one seen set and one
queue per host, and per host a politeness all workers hold together.

Requests are queued in sorted sets by priority, serialised with ``Request.to_dict``
(callbacks by spider-method name, through scrapy-redis's queue encoding) and popped by this
package's own Lua scripts (a pop takes only a request whose host's turn has come, and records
it in flight at once, so two workers never get the same request); scrapy-redis's
``Scheduler`` and ``RFPDupeFilter`` are subclassed here for three reasons (and requests are stored as JSON,
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
JSON), ``newsarchive:<site>:requests:<host>`` (one queue per host), ``newsarchive:<site>:hosts``
and ``newsarchive:<site>:seen``; the set ``newsarchive:sites`` names the seeded sites.  Per
host, shared by every site and worker: ``newsarchive:host:<host>:turn`` and ``:leases``, the
politeness all workers hold together.

The modules: ``store`` (the Redis connection, keys, seeding, the shared seen set), ``codec``
(requests as JSON), ``queue`` (a site's per-host queues: push, and the pop that takes only
what may start now), ``hosts`` (per-host turns and leases), ``scheduler`` (the worker's
scheduler: pops, in-flight entries, reclaims, waking the engine when a turn comes) and
``middlewares`` (when a popped request is done; waiting for the host's turn).
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

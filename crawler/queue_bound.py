"""A bound on the requests waiting in the scheduler, in memory or in JOBDIR's disk queues.

Once ``NEWSARCHIVE_MAX_QUEUED_REQUESTS`` wait, ``QueuedRequestsBound`` drops each new request
(counted as ``skipped/queue_full``, logged once), so an endless site cannot grow memory without
limit. Redirects and retries replace a request already taken, so they pass. The count starts
at zero per process: requests a resumed JOBDIR crawl finds on disk are not counted.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

STATS_KEY = "skipped/queue_full"


class QueuedRequestsBound:
    """Extension: drop new requests while ``limit`` requests wait in the scheduler."""

    def __init__(self, limit: int, stats: StatsCollector | None = None):
        if limit <= 0:
            raise NotConfigured("NEWSARCHIVE_MAX_QUEUED_REQUESTS is 0: no bound")
        self.limit = limit
        self.stats = stats
        self.queued = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QueuedRequestsBound:
        bound = cls(crawler.settings.getint("NEWSARCHIVE_MAX_QUEUED_REQUESTS"), crawler.stats)
        crawler.signals.connect(bound.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(bound.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(bound.request_left_queue, signal=signals.request_reached_downloader)
        return bound

    def request_scheduled(self, request: Request) -> None:
        if self.queued >= self.limit and not _replaces_a_request(request):
            if self.stats is not None:
                self.stats.inc_value(STATS_KEY)
                if self.stats.get_value(STATS_KEY) == 1:
                    logger.warning(
                        "%d requests are queued (NEWSARCHIVE_MAX_QUEUED_REQUESTS): new ones are "
                        "dropped and counted as %s until the queue drains", self.limit, STATS_KEY,
                    )
            raise IgnoreRequest(f"{request.url}: {self.limit} requests already queued")
        self.queued += 1

    def request_dropped(self, request: Request) -> None:
        self.queued = max(0, self.queued - 1)  # a duplicate the scheduler turned away

    def request_left_queue(self, request: Request) -> None:
        # robots.txt requests reach the downloader without having been queued: never below 0
        self.queued = max(0, self.queued - 1)


def _replaces_a_request(request: Request) -> bool:
    return bool(request.meta.get("redirect_urls") or request.meta.get("retry_times"))

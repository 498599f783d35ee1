"""Extension: ends a crawl that runs too long (``timeout``) or hears nothing for too long
(``idle``), the way a finished crawl ends: WARC closed, manifest written with that
``finish_reason``.

``NEWSARCHIVE_MAX_RUN_SECONDS`` bounds the wall-clock time from the spider's opening;
``NEWSARCHIVE_IDLE_SECONDS`` the time without a response, not counting time spent waiting
politely (requests queued behind the download delay, none in transfer: a site's delay may be
longer than the idle limit).  0 switches a limit off.  When one
trips, requests not yet sent are dropped and transfers under way are given up on (at once
when idle: they are what hangs; after ``NEWSARCHIVE_STOP_GRACE`` on a timeout), as on Ctrl-C.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawler.stopping import StoppableDownloader

logger = logging.getLogger(__name__)

TIMEOUT = "timeout"
IDLE = "idle"
LIMIT_SETTINGS = ("NEWSARCHIVE_MAX_RUN_SECONDS", "NEWSARCHIVE_IDLE_SECONDS")


def watchdog_limits(settings: BaseSettings) -> tuple[float, float]:
    """(max run, idle) in seconds, 0 for none; ``ValueError`` naming the bad setting."""
    limits = []
    for name in LIMIT_SETTINGS:
        raw = settings.get(name)
        try:
            value = float(raw or 0)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be 0 (no limit) or a positive number of seconds, "
                             f"got {raw!r}")
        limits.append(value)
    return limits[0], limits[1]


class CrawlWatchdog:
    def __init__(self, max_run_seconds: float, idle_seconds: float, *, grace: float = 0.0,
                 clock: Callable[[], float] = time.monotonic):
        self.max_run_seconds = max_run_seconds
        self.idle_seconds = idle_seconds
        self.grace = grace
        self.clock = clock
        self.started_at: float | None = None
        self.last_response_at: float | None = None
        self.reason: str | None = None
        self.crawler: Crawler | None = None
        self._task: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlWatchdog:
        max_run, idle = watchdog_limits(crawler.settings)
        if not (max_run or idle):
            raise NotConfigured("no run or idle limit")
        watchdog = cls(max_run, idle, grace=crawler.settings.getfloat("NEWSARCHIVE_STOP_GRACE"))
        watchdog.crawler = crawler
        crawler.signals.connect(watchdog.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(watchdog.response_received, signal=signals.response_received)
        crawler.signals.connect(watchdog.spider_closed, signal=signals.spider_closed)
        return watchdog

    @property
    def check_interval(self) -> float:
        limits = [limit for limit in (self.max_run_seconds, self.idle_seconds) if limit]
        return min(1.0, max(0.05, min(limits) / 10))

    def spider_opened(self) -> None:
        self.started_at = self.last_response_at = self.clock()
        self._task = task.LoopingCall(self.check)
        self._task.start(self.check_interval, now=False)

    def response_received(self, **_: Any) -> None:
        self.last_response_at = self.clock()

    def spider_closed(self) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()

    def tripped(self) -> str | None:
        """``timeout`` or ``idle`` once a limit is reached, else None."""
        if self.started_at is None or self.last_response_at is None:
            return None
        now = self.clock()
        if self.max_run_seconds and now - self.started_at >= self.max_run_seconds:
            return TIMEOUT
        if self.idle_seconds and now - self.last_response_at >= self.idle_seconds:
            return IDLE
        return None

    def waiting_on_a_delay(self) -> bool:
        """Requests queued behind a download delay and none in transfer: the crawl is being
        polite, not hearing nothing."""
        engine = self.crawler.engine if self.crawler is not None else None
        if engine is None:
            return False
        slots = list(engine.downloader.slots.values())
        return (not any(slot.transferring for slot in slots)
                and any(slot.queue for slot in slots))

    def check(self) -> None:
        if self.idle_seconds and self.waiting_on_a_delay():
            self.last_response_at = self.clock()
        reason = self.tripped()
        if reason is None or self.reason is not None:
            return
        self.reason = reason
        self.spider_closed()
        if reason == TIMEOUT:
            logger.warning("Stopping the crawl: it ran for %ss (NEWSARCHIVE_MAX_RUN_SECONDS)",
                           f"{self.max_run_seconds:g}")
        else:
            logger.warning("Stopping the crawl: no response for %ss (NEWSARCHIVE_IDLE_SECONDS)",
                           f"{self.idle_seconds:g}")
        self._close(reason)

    def _close(self, reason: str) -> None:
        if self.crawler is None or self.crawler.engine is None:
            return
        engine = self.crawler.engine
        if self.crawler.stats is not None:
            self.crawler.stats.set_value(f"watchdog/{reason}", 1)
        deferred_from_coro(engine.close_spider_async(reason=reason))
        downloader = engine.downloader
        # A worker on a shared frontier drops nothing (as on Ctrl-C): what it took finishes.
        if (not isinstance(downloader, StoppableDownloader)
                or self.crawler.settings.getbool("FRONTIER_SHARED")):
            return
        downloader.drop_queued()
        if reason == IDLE:
            downloader.cancel_transfers()
        else:
            from twisted.internet import reactor

            reactor.callLater(self.grace, downloader.cancel_transfers)  # type: ignore[attr-defined]

"""What Ctrl-C (or SIGTERM) does to a running crawl.

The first signal stops the crawl as a finished one stops: nothing new is scheduled, transfers
get ``NEWSARCHIVE_STOP_GRACE`` seconds, then the WARC is closed and the manifest written
(``shutdown``). A second exits at once (130), naming the ``.open`` WARC and how to recover it.
A worker on a shared frontier drops nothing: what it took from Redis finishes or goes back.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.core.downloader import Downloader
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.ossignal import install_shutdown_handlers
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from archive.crawl_output import crawl_output
from archive.layout import open_warc_files

EXIT_FORCED = 130  # 128 + SIGINT, as a shell reports a program Ctrl-C ended


class StoppableDownloader(Downloader):
    """Scrapy's downloader, able to drop its queued requests and give up on its transfers.

    Both answer the engine at once with an ``IgnoreRequest`` (the spider's errback is
    skipped: a stop is not a failed fetch), so the spider can close; a transfer given up
    on is left to die with the reactor and is never archived.  ``_wait_for_download`` is
    Scrapy's (2.13–2.19) with the ``called`` guards that allow this.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.transfers: dict[Request, Deferred[Response]] = {}

    async def _wait_for_download(self, slot: Any, request: Request,
                                 queue_dfd: Deferred[Response]) -> None:
        self.transfers[request] = queue_dfd
        try:
            response = await self._download(slot, request)
        except Exception:
            if not queue_dfd.called:
                queue_dfd.errback(Failure())
        else:
            if not queue_dfd.called:
                queue_dfd.callback(response)
        finally:
            self.transfers.pop(request, None)

    def _give_up(self, request: Request, answer: Deferred[Response], why: str) -> None:
        request.errback = None
        answer.errback(Failure(IgnoreRequest(why)))

    def drop_queued(self) -> int:
        """Answer every request still waiting for its turn (never sent); how many."""
        dropped = 0
        for slot in self.slots.values():
            while slot.queue:
                request, queued = slot.queue.popleft()
                self._give_up(request, queued, "crawl stopping: dropped before it was sent")
                dropped += 1
        self._count("stop/dropped_requests", dropped)
        return dropped

    def cancel_transfers(self) -> int:
        """Answer every request still being transferred; how many."""
        pending = [(r, d) for r, d in self.transfers.items() if not d.called]
        for request, answer in pending:
            self._give_up(request, answer, "crawl stopping: transfer given up")
        self._count("stop/cancelled_transfers", len(pending))
        return len(pending)

    def _count(self, key: str, count: int) -> None:
        if count and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)


class StoppableCrawlerProcess(CrawlerProcess):
    def __init__(self, settings: Any, *, grace: float, stream_fd: int = 2):
        super().__init__(settings)
        self.grace = grace
        self.stream_fd = stream_fd
        self.stopping = False

    def _say(self, text: str) -> None:
        # os.write: safe even when the signal interrupted a write to stderr.
        os.write(self.stream_fd, text.encode("utf-8", "replace"))

    def _signal_shutdown(self, signum: int, _: Any) -> None:
        from twisted.internet import reactor

        install_shutdown_handlers(self._signal_kill)
        reactor.callFromThread(self._stop_gracefully, signum)

    def _stop_gracefully(self, signum: int) -> None:
        self.stopping = True
        in_flight = sum(len(d.transfers) for d in self._downloaders())
        under_way = (f"{in_flight} transfer(s) under way get {self.grace:g} s to finish"
                     if in_flight else "nothing under way")
        self._say(f"\nnewsarchive: {signal.Signals(signum).name}: stopping: no new requests, "
                  f"{under_way}, then the archive is closed with its manifest "
                  "(Ctrl-C again quits at once)\n")
        stopped = self.stop()
        from twisted.internet import reactor

        for crawler in list(self.crawlers):
            downloader = _downloader(crawler)
            if downloader is None or crawler.settings.getbool("FRONTIER_SHARED"):
                continue
            downloader.drop_queued()
            reactor.callLater(self.grace, downloader.cancel_transfers)
        stopped.addBoth(self._stop_reactor)

    def _downloaders(self) -> list[StoppableDownloader]:
        return [d for d in map(_downloader, list(self.crawlers)) if d is not None]

    def _signal_kill(self, signum: int, _: Any) -> None:
        install_shutdown_handlers(signal.SIG_IGN)
        lines = [f"\nnewsarchive: {signal.Signals(signum).name} again: quitting at once."]
        for crawler in list(self.crawlers):
            lines += left_behind(crawler)
        self._say("\n".join(lines) + "\n")
        os._exit(EXIT_FORCED)


def _downloader(crawler: Crawler) -> StoppableDownloader | None:
    engine = crawler.engine
    downloader = getattr(engine, "downloader", None) if engine is not None else None
    return downloader if isinstance(downloader, StoppableDownloader) else None


def left_behind(crawler: Crawler) -> list[str]:
    """What a crawl stopped at once leaves, and the command that finishes it."""
    crawl_id = getattr(crawler.spider, "crawl_id", "")
    output = crawl_output(crawler)
    spool = getattr(output, "spool_dir", None)
    root = Path(spool if spool is not None else output.root)
    open_warcs = open_warc_files(root, crawl_id) if crawl_id else []
    lines = [f"  left open, no manifest: {path}" for path in open_warcs]
    if spool is not None:
        lines.append(f"  to recover and upload it: newsarchive upload --pending {spool}")
    elif open_warcs or crawl_id:
        lines.append(f"  to recover it: newsarchive recover {root}  "
                     "(the next crawl into that directory also does)")
    return lines

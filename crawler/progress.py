"""Live progress on a terminal: pages, articles, WARC MB and errors, updated in place."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task


def progress_line(stats: dict[str, Any], elapsed: float) -> str:
    errors = stats.get("downloader/exception_count", 0) - stats.get(
        "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest", 0
    ) + sum(
        v for k, v in stats.items() if k.startswith("httperror/response_ignored_status_count/")
    )
    return (
        f"{elapsed:6.1f}s  pages {stats.get('downloader/response_count', 0):>6}  "
        f"articles {stats.get('item_scraped_count', 0):>6}  "
        f"requisites {stats.get('requisites/responses', 0):>6}  "
        f"WARC {stats.get('warc/bytes_written', 0) / 1e6:8.2f} MB  errors {errors:>4}"
    )


class Progress:
    """Enabled by ``NEWSARCHIVE_PROGRESS``; redraws one line on a TTY, else a line per interval."""

    def __init__(self, crawler: Crawler, stream: TextIO, interval: float):
        self.crawler = crawler
        self.stream = stream
        self.interval = interval
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        if not crawler.settings.getbool("NEWSARCHIVE_PROGRESS"):
            raise NotConfigured
        interval = 0.5 if sys.stderr.isatty() else crawler.settings.getfloat("NEWSARCHIVE_PROGRESS_INTERVAL")
        extension = cls(crawler, sys.stderr, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.draw)
        self.loop.start(self.interval, now=False)

    def draw(self, final: bool = False) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        name = getattr(self.crawler.spider, "site_name", "")
        line = f"[{name}] " + progress_line(stats, time.monotonic() - self.started)
        if self.tty:
            self.stream.write("\r\x1b[K" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def spider_closed(self, spider: Any) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.draw(final=True)

"""When a request popped from the shared frontier is done (its in-flight entry can go)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

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


class FrontierPaceDownloaderMiddleware:
    """``DOWNLOADER_MIDDLEWARES`` for workers, nearest the download but for the WARC capture:
    a request waits here for its host's turn, shared by every worker
    (``RedisFrontierScheduler.await_turn``).  A request the scheduler popped was given the
    turn by the pop and passes at once; robots.txt (fetched by ``RobotsTxtMiddleware``, not
    through the scheduler) and a popped request that waited for it take the next turn."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierPaceDownloaderMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        engine = self.crawler.engine
        await_turn = getattr(engine.scheduler if engine else None, "await_turn", None)
        if await_turn is not None:
            await await_turn(request)

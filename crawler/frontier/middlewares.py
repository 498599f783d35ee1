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

"""The download handler of ``render: true`` crawls (see ``crawler.render``).

One handler per crawl serves both schemes: requests marked ``meta["playwright"]`` load in
scrapy-playwright's shared browser, with a :class:`PageRecorder` attached to the page and
settled before the DOM is read; every other request goes to the address-guarded,
wire-recording handler.  The browser's own requests pass the same address guard: each is
checked before it is sent, and, unless the launch options name a proxy of their own, every
connection the browser makes goes through ``crawler.browser_proxy.GuardedProxy``, which checks
the address it connects to when it connects.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from playwright.async_api import Error as PlaywrightError
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from archive.browser_capture import RECORDER_META_KEY, PageRecorder
from crawler.address_guard import (
    AddressGuardDownloadHandler,
    STATS_PREFIX,
    AddressPolicy,
    refusal_reason,
    resolved_refusal_reason,
)
from crawler.browser_proxy import GuardedProxy

logger = logging.getLogger(__name__)


class PageLoadTimeout(Exception):
    """A page did not load within NEWSARCHIVE_RENDER_TIMEOUT (counted as such)."""


class PageLoadFailed(Exception):
    """The browser could not load a page (its message's first line says why)."""


def page_load_error(exc: Exception) -> Exception:
    """A one-line error for the crawl's log and stats, instead of Playwright's call log."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return (PageLoadTimeout if isinstance(exc, PlaywrightTimeout) else PageLoadFailed)(message)


def is_crash(exc: Exception) -> bool:
    """Whether a page load failed because its page or the browser went away."""
    message = str(exc)
    return any(sign in message for sign in (
        "has been closed", "crashed", "Target closed", "Browser closed", "disconnected"))


class RenderDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """Browser for ``meta["playwright"]`` requests, the wire handler for all others.

    Scrapy builds one handler per URL scheme; ``from_crawler`` gives ``http`` and ``https``
    the same one, so a crawl has one browser.
    """

    _shared: weakref.WeakKeyDictionary[Crawler, RenderDownloadHandler] = (
        weakref.WeakKeyDictionary())

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderDownloadHandler:  # type: ignore[override]
        handler = cls._shared.get(crawler)
        if handler is None:
            handler = cls._shared[crawler] = cls(crawler)
        return handler

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.wire_handler = AddressGuardDownloadHandler(crawler)
        self.policy = AddressPolicy(crawler)
        self.max_body = settings.getint("DOWNLOAD_MAXSIZE")
        self.idle_timeout = settings.getfloat("NEWSARCHIVE_RENDER_IDLE_TIMEOUT")
        self.crash_retries = settings.getint("NEWSARCHIVE_RENDER_CRASH_RETRIES")
        # scrapy-playwright's hook to abort a browser request: here, the address guard.
        self.abort_request = self._refused
        self.proxy: GuardedProxy | None = None
        self._proxy_started: asyncio.Future[None] | None = None
        self.closed = False

    async def download_request(self, request: Request) -> Response:  # type: ignore[override]
        if not request.meta.get("playwright"):
            return await self.wire_handler.download_request(request)
        if self._proxy_started is None:  # before the browser is launched
            self._proxy_started = asyncio.ensure_future(self._start_proxy())
        await self._proxy_started
        address_of = self.proxy.address_of if self.proxy is not None else None
        for attempt in range(self.crash_retries + 1):
            recorder = PageRecorder(max_body=self.max_body, idle_timeout=self.idle_timeout,
                                    address_of=address_of)
            # Set at download time, not when scheduled: queued requests stay serialisable.
            request.meta[RECORDER_META_KEY] = recorder
            request.meta["playwright_page_init_callback"] = recorder.attach
            request.meta["playwright_page_methods"] = [PageMethod(recorder.settle)]
            try:
                return await super().download_request(request)
            except PlaywrightError as exc:
                if not is_crash(exc) or attempt == self.crash_retries:
                    raise page_load_error(exc) from None
                assert self.stats is not None
                self.stats.inc_value("render/crash_retries")
                logger.warning("%s: the browser page was lost (%s); loading it again",
                               request.url, str(exc).splitlines()[0])
                await asyncio.sleep(0)  # let the disconnect callback reset the browser
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self.closed:
            return  # the same handler serves both schemes
        self.closed = True
        await self.wire_handler.close()
        await super().close()
        if self.proxy is not None:
            await self.proxy.close()

    async def _start_proxy(self) -> None:
        options = self.config.launch_options
        if not self.policy.refuses_private or "proxy" in options:
            return  # a proxy of the user's: only the check before each request applies
        self.proxy = GuardedProxy(lambda address: refusal_reason(address, self.policy.allowed),
                                  self._refused_connection)
        self.config.launch_options = {**options, "proxy": {"server": await self.proxy.start()}}

    def _refused_connection(self, target: str, address: str, reason: str) -> None:
        assert self.stats is not None
        self.stats.inc_value(STATS_PREFIX + reason)
        logger.warning("Refused browser connection to %s: %s address %s at connection time",
                       target, reason.replace("_", "-"), address)

    async def _refused(self, playwright_request: Any) -> bool:
        """Abort browser requests to addresses the site does not allow (counted)."""
        if not self.policy.refuses_private:
            return False
        host = urlsplit(playwright_request.url).hostname or ""
        if not host:
            return False
        reason = await asyncio.to_thread(resolved_refusal_reason, host, self.policy.allowed)
        if reason is None:
            return False
        assert self.stats is not None
        self.stats.inc_value(STATS_PREFIX + reason)
        logger.warning("Refused browser request %s: %s address", playwright_request.url,
                       reason.replace("_", "-"))
        return True

"""Rendering article pages in a real browser for sites with ``render: true``.

scrapy-playwright drives one shared Chromium (Debian's, never a downloaded one) for requests
marked ``meta["playwright"]``; every other request goes through the crawl's own guarded,
wire-recording handler, as in a plain crawl. Page loads are bounded in time and number; a
crashed browser is relaunched and its lost page retried a bounded number of times.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from crawler.config import SiteConfig
from crawler.errors import ConfigError

logger = logging.getLogger(__name__)

HANDLER = "crawler.render_handler.RenderDownloadHandler"


def check_browser(settings: Any, site: SiteConfig) -> None:
    """``ConfigError`` (exit 2) when ``site`` renders and the configured Chromium is missing."""
    path = settings.getdict("NEWSARCHIVE_RENDER_LAUNCH_OPTIONS").get("executable_path")
    if site.render and path and not os.access(path, os.X_OK):
        raise ConfigError(
            site.source, f"true needs Chromium at {path} (Debian: apt-get install chromium), "
            "or NEWSARCHIVE_RENDER_LAUNCH_OPTIONS naming another executable_path", key="render")


def render_settings(settings: Any, site: SiteConfig) -> None:
    """Switch a crawl's settings to browser rendering (called for a ``render: true`` site).

    ``run_crawls`` checks the browser before any crawl starts; ``scrapy crawl`` only here,
    stopping as the spider does on a bad config: one line, exit 2."""
    try:
        check_browser(settings, site)
    except ConfigError as exc:
        logger.error("bad config: %s", exc)
        raise SystemExit(2) from None
    settings.set("DOWNLOAD_HANDLERS", {"http": HANDLER, "https": HANDLER}, priority="spider")
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["archive.browser_capture.BrowserCaptureMiddleware"] = 960
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="spider")
    settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", settings.getdict("NEWSARCHIVE_RENDER_LAUNCH_OPTIONS"),
                 priority="spider")
    settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT",
                 settings.getfloat("NEWSARCHIVE_RENDER_TIMEOUT") * 1000, priority="spider")
    settings.set("PLAYWRIGHT_MAX_CONTEXTS", 1, priority="spider")
    settings.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT",
                 settings.getint("NEWSARCHIVE_RENDER_MAX_PAGES"), priority="spider")
    settings.set("PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER", True, priority="spider")

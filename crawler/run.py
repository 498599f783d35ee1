"""Run one crawl per site config in this process and report what each wrote."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.settings import Settings

from archive.crawl_output import attach_output, crawl_output, open_crawl_output
from archive.recovery.local_crawl import recover_interrupted_crawls
from archive.manifest import CrawlManifest
from archive.output import LocalOutput
from crawler.config import SiteConfig
from crawler.errors import StorageError
from crawler.spiders.site_spider import SectionSpider
from crawler.stopping import StoppableCrawlerProcess


@dataclass
class CrawlResult:
    site: str
    crawl_id: str
    manifest: dict[str, Any] | None
    problems: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    # The local spool of a storage output (where unstored files wait), else None.
    spool: str | None = None

    @property
    def ok(self) -> bool:
        return self.manifest is not None and not self.problems


def crawl_settings(overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def prepare_outputs(settings: Settings, count: int) -> tuple[list[Any], list[str]]:
    """One output per crawl, opened (and so checked) before anything is fetched.

    A local output first gets back what an interrupted crawl left in it.  Raises
    ``StorageError`` when the target cannot be used.
    """
    outputs = [open_crawl_output(settings) for _ in range(count)]
    messages = []
    if outputs and isinstance(outputs[0], LocalOutput):
        check_writable_directory(outputs[0].root)
        messages = recover_interrupted_crawls(LocalOutput(outputs[0].root))
    return outputs, messages


def check_writable_directory(root: Path) -> None:
    """``StorageError`` (one line) unless ``root`` is, or can be made, a writable directory."""
    if root.exists() and not root.is_dir():
        raise StorageError(f"{root} is not a directory")
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".newsarchive-write-check-"):
            pass
    except OSError as exc:
        raise StorageError(f"cannot write to {root}: {exc.strerror or exc}") from None


def run_crawls(
    sites: list[SiteConfig],
    overrides: dict[str, Any] | None = None,
    configure: Callable[[Crawler, SiteConfig], None] | None = None,
) -> list[CrawlResult]:
    """Crawl every site (concurrently, one Scrapy crawler each) and wait for the end.

    ``configure`` is called with each crawler before it starts (the worker attaches its
    shared frontier there).
    """
    settings = crawl_settings(overrides)
    if any(site.render for site in sites):
        from crawler.render import check_browser

        for site in sites:
            check_browser(settings, site)  # ConfigError before anything is opened
    outputs, recovered = prepare_outputs(settings, len(sites))
    process = StoppableCrawlerProcess(settings, grace=settings.getfloat("NEWSARCHIVE_STOP_GRACE"))
    crawlers: list[Crawler] = []
    for site, output in zip(sites, outputs):
        crawler = process.create_crawler(SectionSpider)
        attach_output(crawler, output)
        if configure is not None:
            configure(crawler, site)
        crawlers.append(crawler)
        process.crawl(crawler, site=site)
    process.start()
    results = [result_of(crawler) for crawler in crawlers]
    for result in results:
        result.recovered = recovered
    return results


def result_of(crawler: Crawler) -> CrawlResult:
    manifest_ext = next(
        (m for m in crawler.extensions.middlewares if isinstance(m, CrawlManifest)), None
    )
    spider = crawler.spider
    manifest = manifest_ext.manifest if manifest_ext else None
    spool = getattr(crawl_output(crawler), "spool_dir", None)
    problems = list(manifest_ext.problems) if manifest_ext else ["manifest extension disabled"]
    return CrawlResult(
        site=getattr(spider, "site_name", "?"),
        crawl_id=getattr(spider, "crawl_id", "?"),
        manifest=manifest,
        problems=problems,
        spool=str(spool) if spool is not None else None,
    )


class OneLineErrors(logging.Filter):
    """Drops tracebacks of expected network failures; the message line says what failed."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


# Loggers that attach a traceback to an ordinary failed fetch.
NOISY_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.core.scraper")


def quiet_logging(verbose: bool) -> dict[str, Any]:
    """Settings for a terminal run: warnings on stderr unless verbose, progress on."""
    if not verbose:
        for name in NOISY_LOGGERS:
            logging.getLogger(name).addFilter(OneLineErrors())
        # Its warnings repeat, with Playwright's call log, the spider's "Fetch failed" line.
        logging.getLogger("scrapy-playwright").setLevel(logging.ERROR)
    # Scrapy's cookie middleware asks tldextract for the public suffix list, which tries the
    # network once and falls back to its bundled snapshot: not worth a traceback per run.
    logging.getLogger("tldextract").setLevel(logging.ERROR)
    return {
        "LOG_LEVEL": "INFO" if verbose else "WARNING",
        "NEWSARCHIVE_PROGRESS": True,
    }

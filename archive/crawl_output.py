"""The one output (local directory or storage spool) shared by a crawler's components."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from archive.output import open_output, output_options_from_settings

_ATTRIBUTE = "_newsarchive_output"


def open_crawl_output(settings: BaseSettings | dict[str, Any]) -> Any:
    """Open ``NEWSARCHIVE_OUTPUT`` with the ``STORAGE_*`` settings; fails fast when unusable."""
    return open_output(settings.get("NEWSARCHIVE_OUTPUT"), **output_options_from_settings(settings))


def attach_output(crawler: Crawler, output: Any) -> None:
    setattr(crawler, _ATTRIBUTE, output)


def crawl_output(crawler: Crawler) -> Any:
    """The crawler's output: the one attached by the runner, else opened on first use."""
    output = getattr(crawler, _ATTRIBUTE, None)
    if output is None:
        output = open_crawl_output(crawler.settings)
        attach_output(crawler, output)
    return output

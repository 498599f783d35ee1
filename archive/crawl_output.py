"""The one output (local directory or storage spool) shared by a crawler's components."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from archive.output import open_output

_ATTRIBUTE = "_newsarchive_output"


def crawl_output(crawler: Crawler) -> Any:
    """The crawler's output, opened from ``NEWSARCHIVE_OUTPUT`` on first use."""
    output = getattr(crawler, _ATTRIBUTE, None)
    if output is None:
        output = open_output(crawler.settings.get("NEWSARCHIVE_OUTPUT"))
        setattr(crawler, _ATTRIBUTE, output)
    return output

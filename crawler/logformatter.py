"""Log lines for dropped items name the page and the reason, never dump the item."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


class NewsArchiveLogFormatter(LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any = None) -> LogFormatterResult:
        return {"level": logging.INFO, "msg": "Dropped: %(reason)s", "args": {"reason": str(exception)}}

    def scraped(self, item: Any, response: Any, spider: Any = None) -> LogFormatterResult:
        url = item.get("url") if isinstance(item, dict) else None
        return {"level": logging.DEBUG, "msg": "Article: %(url)s", "args": {"url": url}}

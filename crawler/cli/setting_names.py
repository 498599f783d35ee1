"""Which ``-s NAME`` a crawl understands: Scrapy's default settings and newsarchive's."""

from __future__ import annotations

import difflib
from functools import cache
from types import ModuleType

# Read by components that have no entry in either settings module (scrapy-redis's).
EXTRA_KNOWN = frozenset({"REDIS_URL", "REDIS_PARAMS", "SCHEDULER_PERSIST", "SCHEDULER_QUEUE_KEY",
                         "SCHEDULER_QUEUE_CLASS", "SCHEDULER_DUPEFILTER_KEY",
                         "SCHEDULER_DUPEFILTER_CLASS", "SCHEDULER_IDLE_BEFORE_CLOSE"})


def _names(module: ModuleType) -> set[str]:
    return {name for name in vars(module) if name.isupper()}


@cache
def known_setting_names() -> frozenset[str]:
    from scrapy.settings import default_settings

    from crawler import settings as project_settings

    return frozenset(_names(default_settings) | _names(project_settings) | EXTRA_KNOWN)


def unknown_setting_warning(name: str) -> str | None:
    """None for a known name, else one line naming the closest known one if any."""
    known = known_setting_names()
    if name in known:
        return None
    close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.75)
    if close:
        return f"unknown setting -s {name} (did you mean {close[0]}?); passed on as given"
    return f"unknown setting -s {name} (not a Scrapy or newsarchive setting); passed on as given"

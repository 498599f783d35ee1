"""Cron expressions (croniter): validation with a clear message, and the next due time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from croniter import CroniterError, croniter

from crawler.errors import ConfigError


def check_cron(expression: Any, source: str, key: str, *, fields: tuple[int, ...]) -> str:
    """``expression`` if croniter accepts it with one of the allowed field counts."""
    if not isinstance(expression, str):
        raise ConfigError(source, f"must be a cron expression string, not {expression!r}", key=key)
    count = len(expression.split())
    if count not in fields:
        allowed = " or ".join(str(n) for n in fields)
        raise ConfigError(source, f"{expression!r} has {count} fields; expected a {allowed}-field "
                          "cron expression", key=key)
    if not croniter.is_valid(expression):
        raise ConfigError(source, f"{expression!r} is not a valid cron expression", key=key)
    try:
        next_due(expression, datetime.now(UTC))
    except CroniterError:  # valid fields that never match, e.g. 31 February
        raise ConfigError(source, f"{expression!r} never comes due", key=key) from None
    return expression


def next_due(expression: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` (timezone-aware) that ``expression`` matches."""
    due: datetime = croniter(expression, after).get_next(datetime)
    return due

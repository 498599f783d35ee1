"""Crawl identifiers: sortable by start time, unique across machines."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone


def new_crawl_id(now: datetime | None = None) -> str:
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def crawl_date(crawl_id: str) -> datetime:
    """The UTC start time a crawl id encodes."""
    return datetime.strptime(crawl_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)

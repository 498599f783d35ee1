"""Lead-image pointers shared by the workers of one frontier.

On a shared frontier the image a page needs may be fetched by another worker (the seen set
lets only one fetch it).  Each worker publishes the WARC pointer (with its key) of every image
it archives, for ``POINTER_TTL_SECONDS``; a record waiting for an image this worker asked for
but another fetched finds the pointer there, within the same ``NEWSARCHIVE_LEAD_IMAGE_WAIT``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import redis

from crawler.frontier.store import SiteKeys, attached_frontier
from crawler.requisite_fetching import RequisiteLedger
from pipelines.warc_keys import key_in_this_crawl

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

POINTER_TTL_SECONDS = 3600  # far longer than any record waits
POLL_SECONDS = 0.25


class SharedRequisiteLedger(RequisiteLedger):
    """``RequisiteLedger`` whose image pointers are also published to, and looked up in,
    Redis.  ``key_of(filename)`` is the key of a WARC this worker wrote."""

    def __init__(self, server: redis.Redis, keys: SiteKeys,
                 key_of: Callable[[str], str | None], keep: int = 20_000) -> None:
        super().__init__(keep)
        self.server = server
        self.keys = keys
        self.key_of = key_of

    def finished(self, url: str, pointer: dict[str, Any] | None) -> None:
        # Published whoever asked: the request may have come from another worker's page.
        if pointer is not None:
            key = self.key_of(str(pointer.get("filename", "")))
            if key is not None:
                pointer = {"key": key, **pointer}
                self._publish(url, pointer)
        super().finished(url, pointer)

    async def wait(self, url: str, timeout: float) -> dict[str, Any] | None:
        if url not in self.pending or timeout <= 0:
            return self.pointers.get(url)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            pointer = await super().wait(url, min(POLL_SECONDS, max(0.0, deadline - loop.time())))
            if url not in self.pending:
                return pointer  # fetched (or failed) here
            pointer = await asyncio.to_thread(self._published, url)
            if pointer is not None or loop.time() >= deadline:
                return pointer

    def _publish(self, url: str, pointer: dict[str, Any]) -> None:
        try:
            self.server.set(self.keys.requisite_pointer(url), json.dumps(pointer),
                            ex=POINTER_TTL_SECONDS)
        except redis.RedisError as exc:  # the frontier itself reports Redis going away
            logger.debug("Lead-image pointer of %s not shared: %s", url, exc)

    def _published(self, url: str) -> dict[str, Any] | None:
        try:
            raw = self.server.get(self.keys.requisite_pointer(url))
        except redis.RedisError as exc:
            logger.debug("Lead-image pointer of %s not read: %s", url, exc)
            return None
        try:
            pointer = json.loads(raw) if raw else None
        except ValueError:
            return None
        return pointer if isinstance(pointer, dict) and pointer.get("key") else None


def shared_ledger(crawler: Crawler) -> SharedRequisiteLedger | None:
    """The ledger of a worker whose crawler has a frontier attached, else None."""
    frontier = attached_frontier(crawler)
    if frontier is None:
        return None
    return SharedRequisiteLedger(frontier.server, SiteKeys(frontier.site),
                                 lambda filename: key_in_this_crawl(crawler, filename))

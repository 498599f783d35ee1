"""How a crawl fetches page requisites: which ones (caps, domains), with which request
options (politeness, robots, size cap), how each is counted, and the ledger of fetched
images the lead-image pipeline (``pipelines.lead_image``) waits on.

Every requisite URL is requested once per crawl: the spider remembers what it asked for
(``requisites/reused`` counts the pages that needed it again) and Scrapy's dupefilter drops
anything else twice asked, such as a stylesheet importing itself.  Requisite traffic goes to
``requisites/…`` stats, apart from the page counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crawler.dupefilter import FingerprintTable, fingerprint_key
from crawler.requisites import IMAGE, Requisite

REQUISITE_META = "newsarchive_requisite"
# Before listings and articles: a page's requisites come while the page's record may be
# waiting for its lead image, and the queue holds few of them at any time.
REQUISITE_PRIORITY = 20


@functools.lru_cache(maxsize=1024)
def _host_in(netloc: str, domains: tuple[str, ...]) -> bool:
    host = (urlsplit("//" + netloc).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


@dataclass(frozen=True)
class RequisitePolicy:
    """What a crawl fetches as requisites (site config + NEWSARCHIVE_REQUISITE* settings)."""

    enabled: bool = True
    on_listings: bool = False
    all_srcset: bool = False
    ignore_robots: bool = False
    domains: tuple[str, ...] = ()  # empty: any host
    max_bytes: int = 50 * 1024 * 1024
    per_page: int = 300
    import_depth: int = 5

    @classmethod
    def from_site(cls, site: Any, settings: Any) -> RequisitePolicy:
        return cls(
            enabled=settings.getbool("NEWSARCHIVE_REQUISITES") and site.requisites,
            on_listings=site.requisites_on_listings,
            all_srcset=site.requisites_all_srcset,
            ignore_robots=site.requisites_ignore_robots,
            domains=tuple(d.lower().lstrip(".") for d in site.requisite_domains),
            max_bytes=settings.getint("NEWSARCHIVE_REQUISITE_MAX_BYTES"),
            per_page=settings.getint("NEWSARCHIVE_REQUISITES_PER_PAGE"),
            import_depth=settings.getint("NEWSARCHIVE_REQUISITE_IMPORT_DEPTH"),
        )

    def host_allowed(self, url: str) -> bool:
        if not self.domains:
            return True
        # a page names the same few hosts again and again: each is judged once
        return _host_in(url.split("/", 3)[2] if url.count("/") >= 2 else url, self.domains)

    def request_meta(self, kind: str) -> dict[str, Any]:
        meta: dict[str, Any] = {
            REQUISITE_META: kind,
            "download_maxsize": self.max_bytes,
            "download_warnsize": 0,
            # from any host (requisite_domains restricts), not only the site's own
            "allow_offsite": True,
        }
        if self.ignore_robots:
            meta["dont_obey_robotstxt"] = True
        return meta


class RequestedUrls:
    """The requisite URLs this crawl requested, as 8-byte keys (as ``CompactDupeFilter``
    keeps fingerprints: about 16 bytes per URL, a 2⁻⁶⁴-per-pair chance of taking two as one)."""

    def __init__(self) -> None:
        self.table = FingerprintTable()

    def add(self, url: str) -> bool:
        """True when ``url`` was not requested before."""
        return self.table.add(fingerprint_key(hashlib.sha1(url.encode("utf-8", "surrogatepass")).digest()))

    def __len__(self) -> int:
        return len(self.table)


class RequisiteLedger:
    """Image requisites of the crawl: requested, and when fetched, their WARC pointer.

    ``wait(url)`` answers at once for an image already fetched (or never requested) and
    otherwise waits for its fetch, at most ``timeout`` seconds.  Only the last ``keep``
    fetched images are remembered: a record comes seconds after its page's requisites.
    """

    def __init__(self, keep: int = 20_000) -> None:
        self.keep = keep
        self.pointers: OrderedDict[str, dict[str, Any] | None] = OrderedDict()
        self.pending: set[str] = set()
        self.waiters: dict[str, list[asyncio.Future[None]]] = {}

    def requested(self, requisites: Iterable[Requisite]) -> None:
        for requisite in requisites:
            if requisite.kind == IMAGE and requisite.url not in self.pointers:
                self.pending.add(requisite.url)

    def finished(self, url: str, pointer: dict[str, Any] | None) -> None:
        if url not in self.pending:
            return
        self.pending.discard(url)
        self.pointers[url] = pointer
        while len(self.pointers) > self.keep:
            self.pointers.popitem(last=False)
        for waiter in self.waiters.pop(url, []):
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self, url: str, timeout: float) -> dict[str, Any] | None:
        if url in self.pending and timeout > 0:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.waiters.setdefault(url, []).append(waiter)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, timeout)
        return self.pointers.get(url)

    def release_all(self) -> None:
        """At the end of the crawl: nobody waits for a fetch that will not happen."""
        for url in list(self.pending):
            self.finished(url, None)

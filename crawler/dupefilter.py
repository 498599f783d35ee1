"""A compact request-fingerprint dupefilter for large crawls (``CompactDupeFilter``).

It keeps the first 64 bits of each fingerprint in an open-addressing table: about 16 bytes per
URL against about 100 for Scrapy's ``RFPDupeFilter``. A seen request never passes twice; two
requests sharing those 64 bits are taken as one (odds about 1 in 370,000 at 10 million URLs).
With ``JOBDIR`` it persists to ``requests.seen`` in ``RFPDupeFilter``'s format, interchangeably.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.utils.job import job_dir
from scrapy.utils.request import RequestFingerprinter, RequestFingerprinterProtocol, referer_str

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request
    from scrapy.spiders import Spider

logger = logging.getLogger(__name__)

SEEN_FILE = "requests.seen"
_SIZE_BYTES = 2  # length prefix of a record in requests.seen (as RFPDupeFilter writes it)
KEY_BYTES = 8


def read_seen_file(data: bytes) -> Iterator[bytes]:
    """Fingerprints of a ``requests.seen`` file, stopping at a truncated last record."""
    pos = 0
    while pos + _SIZE_BYTES <= len(data):
        size = int.from_bytes(data[pos : pos + _SIZE_BYTES], "big")
        pos += _SIZE_BYTES
        fingerprint = data[pos : pos + size]
        if len(fingerprint) < size:
            return
        yield fingerprint
        pos += size


def fingerprint_key(fingerprint: bytes) -> int:
    """The 64-bit key of a fingerprint: its first 8 bytes, big-endian; 0 is stored as 1."""
    # 0 marks an empty slot, so the one key 0 shares a slot with key 1 (a 2⁻⁶⁴ false positive).
    return int.from_bytes(fingerprint[:KEY_BYTES], "big") or 1


class FingerprintTable:
    """A set of non-zero 64-bit integers in one ``array('Q')`` (open addressing, linear probing).

    Keys are expected to be uniformly distributed (hash prefixes), so the low bits index the
    table directly.  The table doubles when it is more than ``max_load`` full.
    """

    def __init__(self, capacity: int = 1024, max_load: float = 0.7):
        if not 0.1 <= max_load <= 0.9:
            raise ValueError("max_load must be between 0.1 and 0.9")
        self.max_load = max_load
        slots = 16
        while slots * max_load < capacity:
            slots *= 2
        self._allocate(slots)
        self._count = 0

    def _allocate(self, slots: int) -> None:
        self._table = array("Q", [0]) * slots  # repeat, not a list: no transient copy
        self._mask = slots - 1
        self._limit = int(slots * self.max_load)

    def __len__(self) -> int:
        return self._count

    def _slot(self, key: int) -> int:
        """Where ``key`` is, or the empty slot where it would go (linear probing)."""
        table, mask = self._table, self._mask
        i = key & mask
        while True:
            value = table[i]
            if value == key or value == 0:
                return i
            i = (i + 1) & mask

    def __contains__(self, key: int) -> bool:
        return self._table[self._slot(key)] == key

    def add(self, key: int) -> bool:
        """Insert ``key`` (non-zero); True when it was not there before."""
        i = self._slot(key)
        if self._table[i] == key:
            return False
        self._table[i] = key
        self._count += 1
        if self._count > self._limit:
            self._grow()
        return True

    def update(self, keys: Iterable[int]) -> None:
        for key in keys:
            self.add(key)

    def _grow(self) -> None:
        old = self._table
        self._allocate(len(old) * 2)
        table, mask = self._table, self._mask
        for key in old:
            if key:
                i = key & mask
                while table[i]:
                    i = (i + 1) & mask
                table[i] = key

    @property
    def slots(self) -> int:
        return len(self._table)

    @property
    def nbytes(self) -> int:
        return self._table.buffer_info()[1] * self._table.itemsize


class CompactDupeFilter:
    """``DUPEFILTER_CLASS`` with 8-byte fingerprints in a ``FingerprintTable`` (see module doc).

    Implements the ``BaseDupeFilter`` interface: ``from_crawler``, ``request_seen``, ``open``,
    ``close`` and ``log``.
    """

    def __init__(
        self,
        path: str | None = None,
        debug: bool = False,
        *,
        fingerprinter: RequestFingerprinterProtocol | None = None,
        capacity: int = 1024,
    ) -> None:
        self.fingerprinter: RequestFingerprinterProtocol = fingerprinter or RequestFingerprinter()
        self.debug = debug
        self.logdupes = True
        self.table = FingerprintTable(capacity)
        self.file: IO[bytes] | None = None
        if path:
            # open for the crawl's lifetime, closed in close(), as RFPDupeFilter does
            self.file = Path(path, SEEN_FILE).open("a+b")  # noqa: SIM115
            self.file.seek(0)
            self.table.update(fingerprint_key(fp) for fp in read_seen_file(self.file.read()))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CompactDupeFilter:
        return cls(
            job_dir(crawler.settings),
            crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
        )

    def __len__(self) -> int:
        return len(self.table)

    def request_seen(self, request: Request) -> bool:
        fingerprint = self.fingerprinter.fingerprint(request)
        if not self.table.add(fingerprint_key(fingerprint)):
            return True
        if self.file is not None:
            self.file.write(len(fingerprint).to_bytes(_SIZE_BYTES, "big") + fingerprint)
        return False

    def open(self) -> None:
        return None

    def close(self, reason: str) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def log(self, request: Request, spider: Spider) -> None:
        if self.debug:
            logger.debug(
                "Filtered duplicate request: %(request)s (referer: %(referer)s)",
                {"request": request, "referer": referer_str(request)},
                extra={"spider": spider},
            )
        elif self.logdupes:
            logger.debug(
                "Filtered duplicate request: %(request)s - no more duplicates will be shown"
                " (see DUPEFILTER_DEBUG to show all duplicates)",
                {"request": request},
                extra={"spider": spider},
            )
            self.logdupes = False
        crawler: Any = getattr(spider, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value("dupefilter/filtered")

"""The URLs an index added since it was opened empty, in a fixed megabyte.

The revisit index and the seen-store are looked up once per page.  On a first crawl every
look-up misses, and each one still went to SQLite, which lets the GIL go: the crawl's thread
then waited for a record thread to hand it back (2-3% of a crawl's time each).  An index
that was empty when opened holds only what was added since: by this process (every index
open on the same file shares one filter) or by another, which SQLite's ``data_version``
tells, checked at most once a second.  Until then a URL not in the filter misses for sure,
without a query.  (A write by another process is thus seen up to a second late: a revisit
or a conditional request may be missed then, never a record.)
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from pathlib import Path

BITS = 1 << 23  # 1 MiB: about 3% of misses still queried at a million URLs
RECHECK_SECONDS = 1.0
_MASK = BITS - 1
_MIX = 0x9E3779B97F4A7C15  # spreads the hash for the third position
_WORD = (1 << 64) - 1


class _Bits:
    __slots__ = ("array", "__weakref__")

    def __init__(self) -> None:
        self.array = bytearray(BITS >> 3)


_shared: weakref.WeakValueDictionary[str, _Bits] = weakref.WeakValueDictionary()
_shared_lock = threading.Lock()


def _positions(url: str) -> tuple[int, int, int]:
    h = hash(url) & _WORD
    return h & _MASK, (h >> 23) & _MASK, ((h * _MIX) & _WORD) >> 41


class AddedUrls:
    """A Bloom filter of the URLs added to the index at ``path`` since it was empty.

    Made by the index on opening an empty file; ``surely_absent(url)`` is True only for a URL
    nobody added since."""

    def __init__(self, db: sqlite3.Connection, path: Path):
        with _shared_lock:
            key = str(Path(path).resolve())
            self._bits = _shared.get(key)
            if self._bits is None:
                self._bits = _shared[key] = _Bits()
        self._db = db
        self._version = self._data_version()
        self._checked = time.monotonic()
        self._trusted = True

    def _data_version(self) -> int:
        (version,) = self._db.execute("PRAGMA data_version").fetchone()
        return int(version)

    def add(self, url: str) -> None:
        bits = self._bits.array
        for position in _positions(url):
            bits[position >> 3] |= 1 << (position & 7)

    def __contains__(self, url: str) -> bool:
        bits = self._bits.array
        return all(bits[position >> 3] >> (position & 7) & 1 for position in _positions(url))

    def surely_absent(self, url: str) -> bool:
        if not self._trusted or url in self:
            return False
        now = time.monotonic()
        if now - self._checked >= RECHECK_SECONDS:
            self._checked = now
            if self._data_version() != self._version:  # another connection wrote to it
                self._trusted = False
                return False
        return True

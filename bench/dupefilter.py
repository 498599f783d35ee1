"""Memory and speed of the dupefilters: Scrapy's RFPDupeFilter vs crawler.dupefilter.CompactDupeFilter.

    python bench/dupefilter.py                 # 1,000,000 fingerprints, 100,000 requests timed
    python bench/dupefilter.py --count 5000000

Memory is what ``tracemalloc`` sees allocated by filling each filter's structure with ``--count``
distinct 20-byte fingerprints (SHA-1 of synthetic URLs, as the fingerprinter makes them),
reported as bytes per fingerprint at the end and at the peak (the compact table doubles,
so the old and new tables briefly coexist).  Speed is ``request_seen`` on real ``Request``
objects, fingerprinting included, for ``--requests`` new URLs and then the same URLs again
(timed without tracemalloc).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crawler.dupefilter import CompactDupeFilter, fingerprint_key


def fingerprints(n: int) -> list[bytes]:
    return [hashlib.sha1(f"https://news.example/2025/{i:09d}-story/".encode()).digest() for i in range(n)]


def measure(fill: Callable[[], object]) -> tuple[int, int]:
    """Bytes allocated (kept, peak) while filling; not timed: tracemalloc slows allocation."""
    gc.collect()
    tracemalloc.start()
    keep = fill()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del keep
    return current, peak


def fill_rfp(fps: list[bytes]) -> Callable[[], object]:
    def run() -> object:
        dupefilter = RFPDupeFilter()
        for fp in fps:
            # what request_seen stores: a bytes object per request (copied, as a fresh
            # digest would be, so the shared test list is not what gets counted)
            dupefilter._fingerprints.add(bytes(bytearray(fp)))
        return dupefilter
    return run


def fill_compact(fps: list[bytes]) -> Callable[[], object]:
    def run() -> object:
        dupefilter = CompactDupeFilter()
        add = dupefilter.table.add
        for fp in fps:
            add(fingerprint_key(fp))
        return dupefilter
    return run


def time_requests(cls: type, n: int) -> tuple[float, float]:
    requests = [Request(f"https://news.example/section/{i:08d}-a-story-slug/") for i in range(n)]
    dupefilter = cls()
    started = time.perf_counter()
    for request in requests:
        dupefilter.request_seen(request)
    new = time.perf_counter() - started
    started = time.perf_counter()
    for request in requests:
        dupefilter.request_seen(request)
    again = time.perf_counter() - started
    return 1e6 * new / n, 1e6 * again / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="fingerprints for the memory test")
    parser.add_argument("--requests", type=int, default=100_000, help="requests for the speed test")
    args = parser.parse_args(argv)

    fps = fingerprints(args.count)
    print(f"{args.count:,} distinct fingerprints; Python {sys.version.split()[0]}")
    print(f"{'dupefilter':<22}{'MB':>9}{'B/URL':>8}{'peak MB':>9}{'peak B/URL':>11}"
          f"{'seen() new µs':>15}{'seen() dup µs':>15}")
    for name, filler, cls in (("RFPDupeFilter", fill_rfp, RFPDupeFilter),
                              ("CompactDupeFilter", fill_compact, CompactDupeFilter)):
        current, peak = measure(filler(fps))
        new_us, dup_us = time_requests(cls, args.requests)
        print(f"{name:<22}{current / 1e6:>9.1f}{current / args.count:>8.1f}{peak / 1e6:>9.1f}"
              f"{peak / args.count:>11.1f}{new_us:>15.2f}{dup_us:>15.2f}")
    print("B/URL at the end depends on where the count falls between two doublings of the "
          "compact table: 11.4 (just before) to 22.9 (just after) bytes per URL.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

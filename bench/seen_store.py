"""Size and speed of the seen-store (archive.seen_store): bytes per URL on disk, and the
per-request lookup the incremental middleware makes.

    python bench/seen_store.py                  # 100,000 articles
    python bench/seen_store.py --count 1000000  # NEWSARCHIVE_SEEN_STORE_MAX_URLS, the default bound

Each entry is filled as a crawl fills it (a ~70-character article URL, ETag, Last-Modified,
payload, text and title digests, the WARC pointer, times); the SQLite file is measured after a
WAL checkpoint.  Then ``--lookups`` random ``get`` calls are timed, and ``prune`` to half.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from archive.records import sha1_digest  # noqa: E402
from archive.seen_store import SeenEntry, SqliteSeenStore  # noqa: E402


def entry(i: int) -> SeenEntry:
    url = f"https://news.example.com/politics/2025/mar/{i % 28 + 1:02d}/story-number-{i:09d}"
    digest = sha1_digest(url.encode())
    now = 1_760_000_000.0 + i
    return SeenEntry(
        url=url, payload_digest=digest, etag=f'"{i:016x}"',
        last_modified="Sun, 16 Mar 2025 07:00:00 GMT", checked_at=now, revision=1,
        first_seen="2026-12-05T07:19:27.291150Z", captured_at="2026-12-05T07:19:27.291150Z",
        published=now - 3600, text_digest=digest, title_digest=digest,
        warc={"key": "warc/news/2026/12/05/20261205T071924Z-08ae05-00000.warc.gz",
              "filename": "20261205T071924Z-08ae05-00000.warc.gz", "offset": i * 9000,
              "length": 8123, "record_id": "<urn:uuid:78728b3c-ba23-423d-8c3f-77f93a6ae2b6>",
              "payload_digest": digest})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "site.sqlite"
        store = SqliteSeenStore(path)
        started = time.perf_counter()
        store.load(entry(i) for i in range(args.count))
        filled = time.perf_counter() - started
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = path.stat().st_size
        urls = [entry(random.randrange(args.count)).url for _ in range(args.lookups)]
        started = time.perf_counter()
        for url in urls:
            store.get(url)
        lookup = (time.perf_counter() - started) / args.lookups
        started = time.perf_counter()
        pruned = store.prune(args.count // 2)
        prune = time.perf_counter() - started
        store.close()
    print(f"seen-store (SQLite), {args.count:,} articles")
    print(f"  file           {size:,} bytes = {size / args.count:.0f} bytes per URL")
    print(f"  fill           {filled:.1f} s "
          f"({filled / args.count * 1e6:.0f} µs per entry, one transaction)")
    print(f"  get            {lookup * 1e6:.1f} µs per lookup ({args.lookups:,} random URLs)")
    print(f"  prune to half  {prune:.1f} s ({pruned:,} entries)")


if __name__ == "__main__":
    main()

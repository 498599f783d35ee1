"""Which crawls into a local output are alive: ``state/live/<crawl_id>.lock``.

A crawl holds an exclusive ``flock`` on its lock file from before its first WARC is opened
until its manifest is written, then removes the file.  Crash recovery takes the same lock
before it touches a crawl's files, so it never repairs a live crawl (even one between two
WARC files, or closing its JSONL), and two processes never recover the same crawl.  A lock
file no process holds is what a killed crawl left behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from archive.layout import crawl_lock_path


class CrawlLock:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    @classmethod
    def for_crawl(cls, root: Path, crawl_id: str) -> CrawlLock:
        return cls(crawl_lock_path(root, crawl_id))

    def try_acquire(self) -> bool:
        """Take the lock; False when a live process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            # The holder may have released (and removed) the file between open and flock.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                return True
            os.close(fd)

    def release(self) -> None:
        """Remove the lock file and let go (removed first: no one may take a stale one)."""
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None

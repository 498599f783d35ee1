"""Whether a scheduler is alive for an output directory: ``DIR/schedule/scheduler.lock``.

The scheduler holds an exclusive ``flock`` on the lock file for its whole life (the
``archive.crawl_lock`` pattern): the kernel lets go of it when the process dies, however
it dies, so a lock nobody holds means no scheduler, even after kill -9, and the next
`schedule` on the directory takes over.  `status` probes it with a shared lock it drops at
once; a scheduler starting at that instant tries again.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from archive.crawl_lock import CrawlLock

LOCK_NAME = "scheduler.lock"
# A `status` probe holds the lock for microseconds: this many tries, this far apart.
ACQUIRE_ATTEMPTS = 5
ACQUIRE_PAUSE_SECONDS = 0.05


def scheduler_lock_path(out: str | Path) -> Path:
    return Path(out) / "schedule" / LOCK_NAME


def acquire_scheduler_lock(out: str | Path) -> CrawlLock | None:
    """The held lock, or None when a live scheduler holds it."""
    lock = CrawlLock(scheduler_lock_path(out))
    for attempt in range(ACQUIRE_ATTEMPTS):
        if lock.try_acquire():
            return lock
        if attempt + 1 < ACQUIRE_ATTEMPTS:
            time.sleep(ACQUIRE_PAUSE_SECONDS)
    return None


def scheduler_lock_held(out: str | Path) -> bool:
    """Whether a live process holds the scheduler lock of ``out``."""
    try:
        fd = os.open(scheduler_lock_path(out), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's shared lock, if it got one
    return False

"""Crawls a dead scheduler left running: a new scheduler adopts them, so a site never gets a
second crawl while its orphan runs, and the orphan's end is recorded like any run's.

An orphan is known by its pid and its crawl id, which is on its command line
(``-s NEWSARCHIVE_CRAWL_ID=…``): a reused pid is not mistaken for it.  Its exit status is
not ours to collect (it is not our child); its manifest says how it ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

# How often `wait` looks whether the orphan is gone.
POLL_SECONDS = 0.2


def crawl_process_alive(pid: int, crawl_id: str) -> bool:
    """Whether ``pid`` is a live crawl with ``crawl_id`` on its command line."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (not Linux) or not ours to read: trust the pid
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if not cmdline:  # a zombie, or a process gone while reading
        return False
    return f"NEWSARCHIVE_CRAWL_ID={crawl_id}".encode() in cmdline.split(b"\0")


class AdoptedCrawl:
    """An orphaned crawl as the scheduler's ``Child``; ``poll`` says 0 once it is gone (the
    manifest, not this, tells how it went)."""

    adopted = True

    def __init__(self, pid: int, crawl_id: str):
        self.pid = pid
        self.crawl_id = crawl_id

    def poll(self) -> int | None:
        return None if crawl_process_alive(self.pid, self.crawl_id) else 0

    def _signal(self, signum: int) -> None:
        if crawl_process_alive(self.pid, self.crawl_id):
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass  # gone meanwhile: nothing to stop

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"crawl pid {self.pid}", timeout or 0)
            time.sleep(POLL_SECONDS)
        return 0

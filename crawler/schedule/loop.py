"""The `schedule` loop: each planned site crawled by a child process when its cron is due.

One crawl per site at a time: a site that comes due while its previous crawl still runs is
skipped (logged and counted in the state).  A run that comes due while the scheduler was
not looking (asleep, stopped) is run once, not once per missed time.  The state, in
``DIR/schedule/state.json``, is rewritten atomically after every change, so `status` (or a
person) always reads a whole file.  The clock, the sleep and the process start are
constructor arguments, so tests drive the loop without waiting for real minutes.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from crawler.schedule.cron import next_due
from crawler.schedule.plan import PlannedSite

logger = logging.getLogger(__name__)

STATE_VERSION = 1
# How long the scheduler sleeps at most between looks at its children and the clock.
MAX_SLEEP_SECONDS = 1.0
# The state file is rewritten on every change, and at least this often while nothing changes.
HEARTBEAT_SECONDS = 60.0
# How long stopping waits for a crawl to finish gracefully before killing it.
STOP_TIMEOUT_SECONDS = 60.0


class Child(Protocol):
    """What the scheduler needs of a started crawl (``subprocess.Popen`` has it)."""

    pid: int

    def poll(self) -> int | None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


def state_path(out: str | Path) -> Path:
    return Path(out) / "schedule" / "state.json"


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` as JSON so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temp, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def read_state(path: Path) -> dict[str, Any] | None:
    """The state file, or None when there is none; ``ValueError`` / ``TypeError`` if it is
    not JSON / not a JSON object."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    state = json.loads(text)
    if not isinstance(state, dict):
        raise TypeError(f"{path}: not a JSON object")
    return state


def pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def start_crawl(site: PlannedSite, out: Path, log_path: Path) -> Child:
    """`newsarchive crawl SITE.yaml --out DIR` as a child process, output to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        # A session of its own: Ctrl-C in the terminal reaches the scheduler only, which
        # then stops its crawls itself (SIGTERM, a graceful Scrapy shutdown) and waits.
        return subprocess.Popen(
            [sys.executable, "-m", "crawler", "crawl", str(site.config), "--out", str(out)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@dataclass
class SiteState:
    site: PlannedSite
    next_due: datetime
    child: Child | None = None
    started_at: datetime | None = None
    log: str | None = None
    runs_started: int = 0
    skipped_overlaps: int = 0
    last_run: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        running = None
        if self.child is not None:
            running = {"pid": self.child.pid, "started_at": _iso(self.started_at), "log": self.log}
        return {
            "config": str(self.site.config),
            "schedule": self.site.schedule,
            "next_due": _iso(self.next_due),
            "running": running,
            "runs_started": self.runs_started,
            "skipped_overlaps": self.skipped_overlaps,
            "last_run": self.last_run,
        }


@dataclass
class Scheduler:
    sites: list[PlannedSite]
    out: Path
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    spawn: Callable[[PlannedSite, Path, Path], Child] = start_crawl
    plan: str | None = None
    stop_timeout: float = STOP_TIMEOUT_SECONDS
    states: dict[str, SiteState] = field(init=False)
    started_at: datetime = field(init=False)
    stopped_at: datetime | None = field(init=False, default=None)
    _saved_at: datetime | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.out = Path(self.out).resolve()
        self.started_at = self.clock()
        self.states = {site.name: SiteState(site, next_due(site.schedule, self.started_at))
                       for site in self.sites}

    @property
    def state_file(self) -> Path:
        return state_path(self.out)

    def state(self) -> dict[str, Any]:
        return {
            "state_version": STATE_VERSION,
            "scheduler": {
                "pid": os.getpid(),
                "plan": self.plan,
                "out": str(self.out),
                "started_at": _iso(self.started_at),
                "updated_at": _iso(self.clock()),
                "stopped_at": _iso(self.stopped_at),
            },
            "sites": {name: state.to_json() for name, state in self.states.items()},
        }

    def save(self) -> None:
        write_state(self.state_file, self.state())

    def tick(self) -> None:
        """Reap finished crawls, start the due ones, save the state when it changed (and at
        least every HEARTBEAT_SECONDS, so ``updated_at`` shows the loop is alive)."""
        now = self.clock()
        changed = self._saved_at is None
        for state in self.states.values():
            changed |= self._reap(state, now)
        for state in self.states.values():
            if now >= state.next_due:
                self._due(state, now)
                changed = True
        if changed or (now - self._saved_at).total_seconds() >= HEARTBEAT_SECONDS:
            self.save()
            self._saved_at = now

    def seconds_to_next_due(self) -> float:
        soonest = min(state.next_due for state in self.states.values())
        return max(0.0, (soonest - self.clock()).total_seconds())

    def _reap(self, state: SiteState, now: datetime) -> bool:
        """Collect a finished crawl; whether one finished."""
        if state.child is None:
            return False
        status = state.child.poll()
        if status is None:
            return False
        state.last_run = {"pid": state.child.pid, "started_at": _iso(state.started_at),
                          "finished_at": _iso(now), "exit_status": status, "log": state.log}
        level = logging.INFO if status == 0 else logging.WARNING
        logger.log(level, "Crawl of %s finished with exit status %s (log: %s)",
                   state.site.name, status, state.log)
        state.child = state.started_at = state.log = None
        return True

    def _due(self, state: SiteState, now: datetime) -> None:
        state.next_due = next_due(state.site.schedule, now)
        if state.child is not None:
            state.skipped_overlaps += 1
            logger.warning("Skipped a run of %s: the crawl started at %s (pid %d) still runs",
                           state.site.name, _iso(state.started_at), state.child.pid)
            return
        log_path = self.out / "schedule" / "logs" / f"{state.site.name}-{now:%Y%m%dT%H%M%SZ}.log"
        state.child = self.spawn(state.site, self.out, log_path)
        state.started_at, state.log = now, str(log_path)
        state.runs_started += 1
        logger.info("Started a crawl of %s (pid %d); next due %s",
                    state.site.name, state.child.pid, _iso(state.next_due))

    def run(self, should_stop: Callable[[], bool], sleep: Callable[[float], None]) -> None:
        """Tick until ``should_stop()``, sleeping in between, then stop the crawls."""
        try:
            while not should_stop():
                self.tick()
                if should_stop():
                    break
                sleep(min(MAX_SLEEP_SECONDS, self.seconds_to_next_due()))
        finally:
            self.stop()

    def stop(self) -> None:
        """SIGTERM every running crawl (a graceful Scrapy stop), wait, kill what stays."""
        for state in self.states.values():
            if state.child is not None and state.child.poll() is None:
                logger.info("Stopping the crawl of %s (pid %d)", state.site.name, state.child.pid)
                state.child.terminate()
        for state in self.states.values():
            if state.child is None:
                continue
            try:
                state.child.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                logger.warning("The crawl of %s did not stop in %ss: killed",
                               state.site.name, self.stop_timeout)
                state.child.kill()
                state.child.wait()
            self._reap(state, self.clock())
        self.stopped_at = self.clock()
        self.save()

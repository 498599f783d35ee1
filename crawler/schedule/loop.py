"""The `schedule` loop: each planned site crawled by a child process when its cron is due.

One crawl per site at a time (a run due meanwhile is skipped); missed times run once. The state
file is rewritten atomically after every change, so readers always see a whole file. A crawl
past ``max_run`` plus ``OVERRUN_MARGIN_SECONDS`` is stopped, then killed; repeated failures back
off. Clock, sleep, crawl ids and process start are injected, so tests need not wait.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from archive.crawl_id import new_crawl_id
from crawler.schedule.cron import next_due
from crawler.schedule.orphans import AdoptedCrawl
from crawler.schedule.plan import PlannedSite
from crawler.schedule.runs import (
    append_run,
    backoff_due,
    failure_of,
    read_manifest,
    read_runs_log,
)

logger = logging.getLogger(__name__)

STATE_VERSION = 1
# How long the scheduler sleeps at most between looks at its children and the clock.
MAX_SLEEP_SECONDS = 1.0
# The state file is rewritten on every change, and at least this often while nothing changes.
HEARTBEAT_SECONDS = 60.0
# How long stopping waits for a crawl to finish gracefully before killing it.
STOP_TIMEOUT_SECONDS = 60.0
# A crawl still running this long after its max_run (its own watchdog should have ended it)
# is stopped by the scheduler.
OVERRUN_MARGIN_SECONDS = 60.0


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


def _parse_time(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def crawl_command(site: PlannedSite, out: Path, crawl_id: str, full: bool = False) -> list[str]:
    """`newsarchive crawl SITE.yaml --out DIR [--full]` with the run's crawl id and watchdog
    limits."""
    return [sys.executable, "-m", "crawler", "crawl", str(site.config), "--out", str(out),
            *(["--full"] if full else []),
            "-s", f"NEWSARCHIVE_CRAWL_ID={crawl_id}",
            "-s", f"NEWSARCHIVE_MAX_RUN_SECONDS={site.max_run:g}",
            "-s", f"NEWSARCHIVE_IDLE_SECONDS={site.idle:g}"]


def last_full_run(out: Path, site: str) -> datetime | None:
    """When the site's latest successful full scheduled run started (``runs.jsonl``)."""
    starts = [_parse_time(run.get("started_at")) for run in read_runs_log(out)
              if run.get("site") == site and run.get("full") and not run.get("failed")]
    return max((start for start in starts if start is not None), default=None)


def start_crawl(site: PlannedSite, out: Path, log_path: Path, crawl_id: str,
                full: bool = False) -> Child:
    """The crawl as a child process, output to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        # A session of its own: Ctrl-C in the terminal reaches the scheduler only, which
        # then stops its crawls itself (SIGTERM, a graceful Scrapy shutdown) and waits.
        return subprocess.Popen(
            crawl_command(site, out, crawl_id, full),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@dataclass
class SiteState:
    site: PlannedSite
    next_due: datetime
    child: Child | None = None
    started_at: datetime | None = None
    due: datetime | None = None  # the planned instant of the running crawl
    crawl_id: str | None = None
    log: str | None = None
    full: bool = False  # the running crawl is a full one
    overrun_stop_at: datetime | None = None  # when the scheduler sent SIGTERM
    overrun_killed: bool = False  # and SIGKILL after it
    killed: str | None = None
    runs_started: int = 0
    skipped_overlaps: int = 0
    consecutive_failures: int = 0
    backoff_until: datetime | None = None
    last_run: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        running = None
        if self.child is not None:
            running = {"pid": self.child.pid, "started_at": _iso(self.started_at),
                       "due": _iso(self.due), "crawl_id": self.crawl_id, "log": self.log,
                       "full": self.full}
        return {
            "config": str(self.site.config),
            "schedule": self.site.schedule,
            "limits": {"max_run": self.site.max_run, "idle": self.site.idle,
                       "backoff_max": self.site.backoff_max, "full_every": self.site.full_every},
            "next_due": _iso(self.next_due),
            "running": running,
            "runs_started": self.runs_started,
            "skipped_overlaps": self.skipped_overlaps,
            "consecutive_failures": self.consecutive_failures,
            "backoff_until": _iso(self.backoff_until),
            "last_run": self.last_run,
        }


@dataclass
class Scheduler:
    sites: list[PlannedSite]
    out: Path
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    spawn: Callable[[PlannedSite, Path, Path, str, bool], Child] = start_crawl
    plan: str | None = None
    stop_timeout: float = STOP_TIMEOUT_SECONDS
    overrun_margin: float = OVERRUN_MARGIN_SECONDS
    new_id: Callable[[datetime], str] = new_crawl_id
    states: dict[str, SiteState] = field(init=False)
    started_at: datetime = field(init=False)
    stopped_at: datetime | None = field(init=False, default=None)
    _saved_at: datetime | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.out = Path(self.out).resolve()
        self.started_at = self.clock()
        self.states = {site.name: SiteState(site, next_due(site.schedule, self.started_at))
                       for site in self.sites}

    def restore(self, previous: dict[str, Any]) -> None:
        """Carry over each site's failures and backoff from an earlier scheduler's state (its
        runs, crashed or stopped, still count), and adopt the crawls it left running."""
        for name, old in (previous.get("sites") or {}).items():
            state = self.states.get(name)
            if state is None or not isinstance(old, dict):
                continue
            if isinstance(old.get("running"), dict):
                self._adopt(state, old["running"])
            failures = old.get("consecutive_failures")
            state.consecutive_failures = failures if isinstance(failures, int) else 0
            state.last_run = old.get("last_run") if isinstance(old.get("last_run"), dict) else None
            until = _parse_time(old.get("backoff_until"))
            if until is not None and until > state.next_due:
                state.backoff_until = until
                state.next_due = next_due(state.site.schedule,
                                          until - timedelta(microseconds=1))

    def _adopt(self, state: SiteState, running: dict[str, Any]) -> None:
        """Take over a crawl an earlier scheduler started; the next tick collects it if it
        is already gone."""
        pid, crawl_id = running.get("pid"), running.get("crawl_id")
        if not isinstance(pid, int) or not isinstance(crawl_id, str) or not crawl_id:
            return
        state.child = AdoptedCrawl(pid, crawl_id)
        state.started_at = _parse_time(running.get("started_at")) or self.clock()
        state.due = _parse_time(running.get("due"))
        state.crawl_id, state.log = crawl_id, running.get("log")
        state.full = running.get("full") is True
        logger.info("Adopted the crawl of %s (pid %d, %s) left by the previous scheduler",
                    state.site.name, pid, crawl_id)

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
            changed |= self._stop_overrun(state, now)
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

    def _reap(self, state: SiteState, now: datetime, *, stopping: bool = False) -> bool:
        """Collect a finished crawl; whether one finished.  A crawl the scheduler stopped on
        its own way out did not fail."""
        if state.child is None:
            return False
        status = state.child.poll()
        if status is None:
            return False
        manifest = read_manifest(self.out, state.crawl_id) if state.crawl_id else None
        counts = (manifest or {}).get("counts")
        finish_reason = counts.get("finish_reason") if isinstance(counts, dict) else None
        adopted = getattr(state.child, "adopted", False)
        exit_status = None if adopted else status  # an orphan's is not ours to know
        failed = None if stopping else failure_of(exit_status, manifest, state.killed)
        if not stopping:  # a stopped run neither fails nor succeeds: the count stays
            state.consecutive_failures = state.consecutive_failures + 1 if failed else 0
            state.backoff_until = None
        if failed and state.due is not None:
            state.backoff_until = backoff_due(state.site.schedule, state.due,
                                              state.consecutive_failures, state.site.backoff_max)
            if state.backoff_until is not None:
                state.next_due = max(state.next_due, state.backoff_until)
        state.last_run = {"site": state.site.name, "pid": state.child.pid,
                          "crawl_id": state.crawl_id, "due": _iso(state.due),
                          "started_at": _iso(state.started_at), "finished_at": _iso(now),
                          "exit_status": exit_status, "adopted": adopted, "full": state.full,
                          "finish_reason": finish_reason,
                          "killed": state.killed, "failed": failed,
                          "consecutive_failures": state.consecutive_failures,
                          "backoff_until": _iso(state.backoff_until), "log": state.log}
        append_run(self.out, state.last_run)
        level = logging.WARNING if failed else logging.INFO
        logger.log(level, "Crawl of %s finished with exit status %s, finish reason %s (log: %s)",
                   state.site.name, exit_status, finish_reason, state.log)
        if state.backoff_until is not None:
            logger.warning("%s failed %d times in a row (%s): next run not before %s",
                           state.site.name, state.consecutive_failures, failed,
                           _iso(state.backoff_until))
        state.child = state.started_at = state.due = state.crawl_id = state.log = None
        state.overrun_stop_at = state.killed = None
        state.overrun_killed = state.full = False
        return True

    def _stop_overrun(self, state: SiteState, now: datetime) -> bool:
        """SIGTERM a crawl running past its max_run by the margin, SIGKILL it if it is still
        there ``stop_timeout`` later; whether a signal was sent."""
        if state.child is None or state.started_at is None:
            return False
        if state.overrun_stop_at is None:
            if (now - state.started_at).total_seconds() < state.site.max_run + self.overrun_margin:
                return False
            state.overrun_stop_at = now
            state.killed = (f"ran past its max_run of {state.site.max_run:g}s: stopped by the "
                            "scheduler (SIGTERM)")
            logger.warning("The crawl of %s (pid %d) runs past its max_run of %ss: stopping it",
                           state.site.name, state.child.pid, f"{state.site.max_run:g}")
            state.child.terminate()
            return True
        if not state.overrun_killed and (
                (now - state.overrun_stop_at).total_seconds() >= self.stop_timeout):
            state.overrun_killed = True
            state.killed = (f"ran past its max_run of {state.site.max_run:g}s and did not stop: "
                            "killed by the scheduler (SIGKILL)")
            logger.warning("The crawl of %s (pid %d) did not stop: killed",
                           state.site.name, state.child.pid)
            state.child.kill()
            return True
        return False

    def _due(self, state: SiteState, now: datetime) -> None:
        due, state.next_due = state.next_due, next_due(state.site.schedule, now)
        if state.child is not None:
            state.skipped_overlaps += 1
            logger.warning("Skipped a run of %s: the crawl started at %s (pid %d) still runs",
                           state.site.name, _iso(state.started_at), state.child.pid)
            return
        log_path = self.out / "schedule" / "logs" / f"{state.site.name}-{now:%Y%m%dT%H%M%SZ}.log"
        crawl_id = self.new_id(now)
        state.full = self._full_run_due(state.site, now)
        state.child = self.spawn(state.site, self.out, log_path, crawl_id, state.full)
        state.started_at, state.due, state.crawl_id, state.log = now, due, crawl_id, str(log_path)
        state.runs_started += 1
        logger.info("Started a %scrawl of %s (pid %d); next due %s", "full " if state.full else "",
                    state.site.name, state.child.pid, _iso(state.next_due))

    def _full_run_due(self, site: PlannedSite, now: datetime) -> bool:
        if not site.full_every:
            return False
        last = last_full_run(self.out, site.name)
        return last is None or (now - last).total_seconds() >= site.full_every

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
            self._reap(state, self.clock(), stopping=True)
        self.stopped_at = self.clock()
        self.save()

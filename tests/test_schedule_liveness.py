"""Real `schedule` processes: a scheduled run that hangs is ended by the plan's idle limit and
recorded, and the next due run starts; a scheduler killed with kill -9 is reported dead with
when it was last alive, and a new `schedule` on the same directory takes over.  Every wait
is on a file or a process; the deadlines are safety nets, not timings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.demo.server import DemoServer
from crawler.schedule.liveness import scheduler_lock_held
from crawler.schedule.loop import read_state, state_path
from crawler.schedule.runs import read_runs_log
from tests.servers.hanging import hanging_site, hanging_site_config

SAFETY_NET_SECONDS = 300


def wait_until(condition: Callable[[], Any], proc: subprocess.Popen[str] | None,
               what: str) -> Any:
    deadline = time.monotonic() + SAFETY_NET_SECONDS
    while True:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the scheduler exited while waiting for {what}: {proc.communicate()}")
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)  # a probe interval


def start_schedule(plan: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "schedule", str(plan), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, stderr = proc.communicate(timeout=SAFETY_NET_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
    return proc.returncode, stderr


def status(out: Path, *extra: str) -> str:
    result = subprocess.run([sys.executable, "-m", "crawler", "status", "--out", str(out), *extra],
                            capture_output=True, text=True, timeout=SAFETY_NET_SECONDS, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def state_of(out: Path) -> dict[str, Any] | None:
    try:
        return read_state(state_path(out))
    except ValueError:
        return None


@pytest.fixture(scope="module")
def hanging() -> Iterator[DemoServer]:
    with hanging_site() as server:
        yield server


@pytest.mark.e2e
def test_a_hanging_run_is_ended_by_the_idle_limit_and_the_next_run_starts(
        hanging: DemoServer, tmp_path: Path) -> None:
    (tmp_path / "hang.yaml").write_text(yaml.safe_dump(hanging_site_config(hanging.base_url)))
    # Due every second: while the hung run lasts, due runs are skipped; once the idle limit
    # ends it, the next due second must start the next run.
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"idle": "2s", "max_run": "10m", "sites": [
        {"config": "hang.yaml", "schedule": "* * * * * *"}]}))
    out = tmp_path / "out"
    proc = start_schedule(plan, out)
    try:
        runs = wait_until(lambda: len(read_runs_log(out)) >= 2 and read_runs_log(out), proc,
                          "two finished runs")
    finally:
        code, stderr = stop(proc)
    assert code == 0, stderr
    first, second = runs[:2]
    for run in (first, second):
        assert run["finish_reason"] == "idle"
        assert run["failed"] == "ended early: idle"
        assert run["killed"] is None
        manifest = json.loads((out / "crawls" / f"{run['crawl_id']}.json").read_text())
        assert manifest["counts"]["finish_reason"] == "idle"
        assert "crawl ended early: idle" in manifest["problems"]
    # The scheduler set the next due time from the instant it collected the hung run, so
    # the second run is due at most one second after the first one's recorded end.
    finished = datetime.fromisoformat(first["finished_at"])
    second_due = datetime.fromisoformat(second["due"])
    assert datetime.fromisoformat(first["due"]) < second_due
    assert (second_due - finished).total_seconds() <= 1
    assert second["consecutive_failures"] == 2
    state = state_of(out)
    assert state is not None
    assert state["sites"]["hang"]["skipped_overlaps"] >= 1  # due while the hung run lasted
    assert not list(out.glob("warc/**/*.open"))
    history = subprocess.run([sys.executable, "-m", "crawler", "history", "--out", str(out)],
                             capture_output=True, text=True, timeout=SAFETY_NET_SECONDS,
                             check=False)
    assert "(idle" in history.stdout


@pytest.mark.e2e
def test_a_killed_scheduler_is_reported_dead_and_a_new_one_takes_over(
        hanging: DemoServer, tmp_path: Path) -> None:
    (tmp_path / "hang.yaml").write_text(yaml.safe_dump(hanging_site_config(hanging.base_url)))
    plan = tmp_path / "plan.yaml"
    # Its crawl hangs far longer than the test: it is still running when the scheduler dies.
    plan.write_text(yaml.safe_dump({"idle": "1h", "sites": [
        {"config": "hang.yaml", "schedule": "* * * * * *"}]}))
    out = tmp_path / "out"

    first = start_schedule(plan, out)
    try:
        state = wait_until(lambda: (s := state_of(out)) and s["scheduler"]["pid"] == first.pid
                           and s["sites"]["hang"]["running"] and scheduler_lock_held(out) and s,
                           first, "the first scheduler's lock and its first crawl")
        orphan = state["sites"]["hang"]["running"]
        assert status(out).startswith(f"scheduler running: pid {first.pid}")
        second = start_schedule(plan, out)
        _, stderr = second.communicate(timeout=SAFETY_NET_SECONDS)
        assert second.returncode == 2
        assert f"a scheduler (pid {first.pid}) is already running" in stderr

        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=SAFETY_NET_SECONDS)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate()

    data = json.loads(status(out, "--json"))
    last_alive = data["scheduler"]["updated_at"]
    assert data["scheduler"]["running"] is False
    assert data["scheduler"]["last_alive"] == last_alive
    assert data["scheduler"]["stopped_at"] is None
    assert status(out).splitlines()[0] == (f"scheduler dead: pid {first.pid} died without "
                                           f"stopping (last alive {last_alive})")

    successor = start_schedule(plan, out)
    try:
        # The dead scheduler's crawl goes on (a session of its own): the successor adopts it
        # and starts no second crawl of the site while it runs, however many runs come due.
        state = wait_until(lambda: (s := state_of(out)) and s["scheduler"]["pid"] == successor.pid
                           and s["sites"]["hang"]["skipped_overlaps"] >= 2 and s,
                           successor, "the new scheduler, skipping due runs")
        assert state["sites"]["hang"]["running"]["pid"] == orphan["pid"]
        assert state["sites"]["hang"]["running"]["crawl_id"] == orphan["crawl_id"]
        assert state["sites"]["hang"]["runs_started"] == 0
        assert status(out).startswith(f"scheduler running: pid {successor.pid}")
    finally:
        code, stderr = stop(successor)  # which stops the adopted crawl too
    assert code == 0, stderr
    assert f"taking over {out} from scheduler pid {first.pid}, which died" in stderr
    assert status(out).startswith("scheduler not running: stopped at ")
    (adopted,) = read_runs_log(out)
    assert (adopted["crawl_id"], adopted["pid"], adopted["due"]) == (
        orphan["crawl_id"], orphan["pid"], orphan["due"])
    assert (adopted["adopted"], adopted["exit_status"]) == (True, None)
    assert adopted["finish_reason"] == "shutdown"  # Scrapy's graceful stop, manifest written
    assert not list(out.glob("warc/**/*.open"))


def test_liveness_is_the_lock_not_a_pid_that_happens_to_exist(tmp_path: Path) -> None:
    from crawler.cli.status_cmd import collect_status
    from crawler.schedule.liveness import acquire_scheduler_lock
    from crawler.schedule.loop import write_state

    out = tmp_path / "out"
    # The dead scheduler's pid now belongs to another live process (here: this one).
    write_state(state_path(out), {"state_version": 1, "sites": {}, "scheduler": {
        "pid": os.getpid(), "stopped_at": None, "updated_at": "2026-01-02T09:00:00+00:00"}})
    dead = collect_status(out)["scheduler"]
    assert (dead["running"], dead["last_alive"]) == (False, "2026-01-02T09:00:00+00:00")

    lock = acquire_scheduler_lock(out)
    assert lock is not None
    try:
        assert collect_status(out)["scheduler"]["running"] is True
        assert acquire_scheduler_lock(out) is None  # one scheduler per directory
    finally:
        lock.release()
    assert collect_status(out)["scheduler"]["running"] is False
    assert scheduler_lock_held(out) is False

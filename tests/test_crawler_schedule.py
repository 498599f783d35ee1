"""`schedule`: plan validation, due times on an injected clock, no overlapping crawls, the
state file, and one real scheduler run against the local news-site server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.cli import main
from crawler.errors import ConfigError
from crawler.schedule.cron import next_due
from crawler.schedule.loop import (
    HEARTBEAT_SECONDS,
    Scheduler,
    read_state,
    state_path,
    write_state,
)
from crawler.schedule.runs import read_runs_log
from crawler.schedule.plan import PlannedSite, load_plan

START = datetime(2026, 3, 1, 9, 59, 30, tzinfo=UTC)


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def site_yaml(directory: Path, name: str, **extra: Any) -> Path:
    return write_yaml(directory / f"{name}.yaml",
                      {"name": name, "start_urls": [f"https://{name}.example/news/"], **extra})


def plan_error(plan: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_plan(plan)
    return caught.value


def test_plan_uses_the_site_schedule_unless_overridden(tmp_path: Path) -> None:
    site_yaml(tmp_path, "alpha", schedule="*/30 * * * *")
    (tmp_path / "sites").mkdir()
    site_yaml(tmp_path / "sites", "beta")
    plan = write_yaml(tmp_path / "plan.yaml", {"sites": [
        "alpha.yaml", {"config": "sites/beta.yaml", "schedule": "* * * * * */5"}]})
    assert load_plan(plan) == [
        PlannedSite("alpha", tmp_path / "alpha.yaml", "*/30 * * * *"),
        PlannedSite("beta", tmp_path / "sites" / "beta.yaml", "* * * * * */5"),
    ]


@pytest.mark.parametrize(("plan", "where", "problem"), [
    ({"sites": ["alpha.yaml"], "every": 5}, "plan.yaml: key 'every'",
     "unknown key (allowed: backoff_max, full_every, idle, max_run, sites)"),
    ({"sites": [{"config": "alpha.yaml", "cron": "* * * * *"}]}, "plan.yaml: key 'sites[1].cron'",
     "unknown key (allowed: backoff_max, config, full_every, idle, max_run, schedule)"),
    ({"sites": [{"config": "alpha.yaml", "schedule": "61 * * * *"}]},
     "plan.yaml: key 'sites[1].schedule'", "'61 * * * *' is not a valid cron expression"),
    ({"sites": [{"config": "alpha.yaml", "schedule": "0 0 31 2 *"}]},
     "plan.yaml: key 'sites[1].schedule'", "'0 0 31 2 *' never comes due"),
    ({"sites": [{"config": "alpha.yaml", "schedule": "* * *"}]},
     "plan.yaml: key 'sites[1].schedule'", "'* * *' has 3 fields; expected a 5 or 6-field cron expression"),
    ({"sites": ["alpha.yaml", "missing.yaml"]}, "missing.yaml", "file not found"),
    ({"sites": []}, "plan.yaml: key 'sites'", "must be a non-empty list of site config files"),
    ({"sites": ["alpha.yaml", {"config": "alpha.yaml"}]}, "plan.yaml: key 'sites'",
     "site 'alpha' is listed twice"),
])
def test_bad_plans_name_the_file_and_key(tmp_path: Path, plan: dict[str, Any], where: str,
                                         problem: str) -> None:
    site_yaml(tmp_path, "alpha", schedule="0 * * * *")
    message = str(plan_error(write_yaml(tmp_path / "plan.yaml", plan)))
    assert where in message
    assert problem in message


def test_a_bad_or_missing_site_schedule_names_the_site_file(tmp_path: Path) -> None:
    site_yaml(tmp_path, "alpha", schedule="61 * * * *")
    site_yaml(tmp_path, "beta")
    error = plan_error(write_yaml(tmp_path / "plan.yaml", {"sites": ["alpha.yaml"]}))
    assert (error.path, error.key) == (str(tmp_path / "alpha.yaml"), "schedule")
    assert "not a valid cron expression" in error.problem
    error = plan_error(write_yaml(tmp_path / "plan.yaml", {"sites": ["beta.yaml"]}))
    assert (error.path, error.key, error.problem) == (
        str(tmp_path / "beta.yaml"), "schedule", "is not set and the plan gives none")


def test_schedule_command_exits_2_on_a_bad_plan(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    site_yaml(tmp_path, "alpha", schedule="0 * * * *")
    plan = write_yaml(tmp_path / "plan.yaml", {"sites": [{"config": "alpha.yaml",
                                                          "schedule": "0 25 * * *"}]})
    assert main(["schedule", str(plan), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"newsarchive: bad config: {plan}: key 'sites[1].schedule': ")
    assert not (tmp_path / "out").exists()


def test_next_due_is_strictly_after_and_in_utc() -> None:
    assert next_due("*/30 * * * *", START) == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    on_the_dot = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    assert next_due("*/30 * * * *", on_the_dot) == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    assert next_due("* * * * * */10", START) == datetime(2026, 3, 1, 9, 59, 40, tzinfo=UTC)


class FakeChild:
    """A crawl whose end the test decides."""

    next_pid = 1000

    def __init__(self) -> None:
        FakeChild.next_pid += 1
        self.pid = FakeChild.next_pid
        self.returncode: int | None = None
        self.terminated = False

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self.terminated = True
        self.returncode = 1  # a crawl stopped early finishes with errors

    def kill(self) -> None:
        self.returncode = -9

    def wait(self, timeout: float | None = None) -> int:
        assert self.returncode is not None
        return self.returncode


class Harness:
    def __init__(self, tmp_path: Path, schedule: str = "*/5 * * * *"):
        self.now = START
        self.children: list[FakeChild] = []
        self.spawned: list[tuple[str, Path, Path]] = []
        self.spawned_ids: list[str] = []
        site = PlannedSite("alpha", tmp_path / "alpha.yaml", schedule)
        self.scheduler = Scheduler([site], tmp_path / "out", clock=lambda: self.now,
                                   spawn=self.spawn)

    def spawn(self, site: PlannedSite, out: Path, log: Path, crawl_id: str,
              full: bool = False) -> FakeChild:
        self.spawned.append((site.name, out, log))
        self.spawned_ids.append(crawl_id)
        self.children.append(FakeChild())
        return self.children[-1]

    def at(self, **delta: float) -> dict[str, Any]:
        self.now = START + timedelta(**delta)
        self.scheduler.tick()
        state = read_state(self.scheduler.state_file)
        assert state is not None
        site: dict[str, Any] = state["sites"]["alpha"]
        return site


def test_a_crawl_starts_when_due_and_not_before(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    site = harness.at(seconds=29)
    assert harness.spawned == []
    assert site["next_due"] == "2026-03-01T10:00:00+00:00"
    assert site["running"] is None
    assert harness.scheduler.seconds_to_next_due() == 1.0

    site = harness.at(seconds=31)
    out = (tmp_path / "out").resolve()
    assert harness.spawned == [("alpha", out, out / "schedule/logs/alpha-20260301T100001Z.log")]
    assert site["next_due"] == "2026-03-01T10:05:00+00:00"
    assert site["running"] == {"pid": harness.children[0].pid,
                               "started_at": "2026-03-01T10:00:01+00:00",
                               "due": "2026-03-01T10:00:00+00:00",
                               "crawl_id": harness.spawned_ids[0],
                               "log": str(out / "schedule/logs/alpha-20260301T100001Z.log"),
                               "full": False}
    assert site["runs_started"] == 1


def test_a_due_run_while_the_last_still_runs_is_skipped(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.at(minutes=1)
    site = harness.at(minutes=6)  # due at 10:05, the first crawl is still running
    assert len(harness.spawned) == 1
    assert (site["skipped_overlaps"], site["runs_started"]) == (1, 1)
    assert site["next_due"] == "2026-03-01T10:10:00+00:00"

    harness.children[0].returncode = 0
    site = harness.at(minutes=7)
    assert site["running"] is None
    assert site["last_run"]["exit_status"] == 0
    assert site["last_run"]["finished_at"] == "2026-03-01T10:06:30+00:00"
    site = harness.at(minutes=11)
    assert len(harness.spawned) == 2
    assert site["running"]["pid"] == harness.children[1].pid


def test_missed_runs_are_run_once_not_caught_up(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    site = harness.at(hours=3)  # 36 due times passed while the scheduler was not looking
    assert len(harness.spawned) == 1
    assert site["skipped_overlaps"] == 0
    assert site["next_due"] == "2026-03-01T13:00:00+00:00"


def test_stop_terminates_running_crawls_and_records_it(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.at(minutes=1)
    harness.scheduler.stop()
    assert harness.children[0].terminated
    state = read_state(harness.scheduler.state_file)
    assert state is not None
    assert state["scheduler"]["stopped_at"] == "2026-03-01T10:00:30+00:00"
    assert state["scheduler"]["pid"] == os.getpid()
    alpha = state["sites"]["alpha"]
    assert alpha["running"] is None
    assert alpha["last_run"]["exit_status"] == 1


def test_run_loop_sleeps_until_told_to_stop(tmp_path: Path) -> None:
    harness = Harness(tmp_path, schedule="* * * * * */10")
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        harness.now += timedelta(seconds=seconds)

    harness.scheduler.run(should_stop=lambda: len(sleeps) >= 35, sleep=sleep)
    assert sleeps == [1.0] * 35
    # due at 9:59:40, 9:59:50 and 10:00:00 within the 35 simulated seconds: the first
    # starts a crawl that never finishes, the other two are skipped
    assert len(harness.spawned) == 1
    state = read_state(harness.scheduler.state_file)
    assert state is not None
    assert state["sites"]["alpha"]["skipped_overlaps"] == 2
    assert state["scheduler"]["stopped_at"] is not None


def test_idle_ticks_do_not_rewrite_the_state_but_a_heartbeat_does(tmp_path: Path) -> None:
    harness = Harness(tmp_path, schedule="0 0 1 1 *")  # not due during the test
    harness.at(seconds=1)
    path = harness.scheduler.state_file
    first = read_state(path)
    assert first is not None
    harness.at(seconds=10)  # nothing due, nothing finished
    assert read_state(path) == first
    harness.at(seconds=1 + HEARTBEAT_SECONDS)
    later = read_state(path)
    assert later is not None and later["scheduler"]["updated_at"] != first["scheduler"]["updated_at"]


def test_state_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = state_path(tmp_path)
    write_state(path, {"version": 1})
    assert json.loads(path.read_text()) == {"version": 1}

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_state(path, {"version": 2})
    assert json.loads(path.read_text()) == {"version": 1}  # the old state, whole
    monkeypatch.undo()
    write_state(path, {"version": 3})
    assert json.loads(path.read_text()) == {"version": 3}
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.startswith(".")) == [
        "state.json"]


def wait_for_state(proc: subprocess.Popen[str], out: Path, condition: Any) -> dict[str, Any]:
    """The scheduler's state once ``condition(state)`` holds (probing its state file)."""
    deadline = time.monotonic() + 300  # a safety net for a hung scheduler, not a timing
    while True:
        state = read_state(state_path(out)) if state_path(out).exists() else None
        if state is not None and condition(state):
            return state
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the scheduler's state never got there"
        time.sleep(0.2)  # a probe interval


@pytest.mark.e2e
def test_schedule_runs_a_real_crawl_and_stops_cleanly(news_site: Any, tmp_path: Path) -> None:
    site = write_yaml(tmp_path / "demo.yaml", news_site.site.site_config(news_site.base_url))
    # Due every second: the first run starts at once, whenever the scheduler gets going
    # (no planned instant to race); the test waits for that run to be collected.
    plan = write_yaml(tmp_path / "plan.yaml", {"sites": [{"config": str(site),
                                                          "schedule": "* * * * * *"}]})
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "schedule", str(plan), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        wait_for_state(proc, out, lambda s: s["sites"]["demo"]["last_run"] is not None)
        proc.send_signal(signal.SIGTERM)
        _stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    assert "scheduler stopped" in stderr
    state = read_state(state_path(out))
    assert state is not None
    assert state["scheduler"]["pid"] == proc.pid
    assert state["scheduler"]["stopped_at"] is not None
    demo = state["sites"]["demo"]
    assert demo["running"] is None
    # the first run, collected before the stop; a second one, started the next second, was
    # stopped with the scheduler
    first = read_runs_log(out)[0]
    assert first["exit_status"] == 0
    assert (first["finish_reason"], first["failed"]) == ("finished", None)
    assert Path(first["log"]).is_file()
    assert demo["runs_started"] in (1, 2)
    assert demo["consecutive_failures"] == 0
    manifest = json.loads((out / "crawls" / f"{first['crawl_id']}.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["counts"]["articles"] > 0
    manifests = [json.loads(p.read_text()) for p in out.glob("crawls/*.json")]

    history = subprocess.run([sys.executable, "-m", "crawler", "history", "demo", "--out",
                              str(out), "--json"], capture_output=True, text=True, check=False)
    assert history.returncode == 0, history.stderr
    assert {json.loads(line)["crawl_id"] for line in history.stdout.splitlines()} == {
        m["crawl_id"] for m in manifests}

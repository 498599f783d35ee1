"""The scheduler's verdict on finished runs, on an injected clock: failures back off (the
interval doubling up to the plan's cap) and reset on success; a crawl overrunning its
max_run is stopped, then killed, and that is recorded; the plan's limits are validated."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.errors import ConfigError
from crawler.run_history import read_history
from crawler.schedule.loop import Scheduler, crawl_command, read_state
from crawler.schedule.runs import read_runs_log
from crawler.schedule.plan import DEFAULT_IDLE_SECONDS, PlannedSite, load_plan

START = datetime(2026, 3, 1, 9, 59, 30, tzinfo=UTC)


class Child:
    """A crawl that writes the manifest the test chooses when the test ends it."""

    next_pid = 5000

    def __init__(self, out: Path, crawl_id: str):
        Child.next_pid += 1
        self.pid = Child.next_pid
        self.out, self.crawl_id = out, crawl_id
        self.returncode: int | None = None
        self.signals: list[str] = []

    def finish(self, finish_reason: str | None, page_responses: int = 3) -> None:
        """End with a manifest of that finish reason (None: no manifest, a crash)."""
        if finish_reason is not None:
            path = self.out / "crawls" / f"{self.crawl_id}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({
                "crawl_id": self.crawl_id, "status": "complete", "sites": [{"name": "alpha"}],
                "counts": {"finish_reason": finish_reason, "page_responses": page_responses}}))
        self.returncode = 0 if finish_reason == "finished" and page_responses else 1

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self.signals.append("TERM")

    def kill(self) -> None:
        self.signals.append("KILL")
        self.returncode = -9

    def wait(self, timeout: float | None = None) -> int:
        assert self.returncode is not None
        return self.returncode


class Harness:
    def __init__(self, out: Path, **limits: float):
        self.now = START
        self.children: list[Child] = []
        self.fulls: list[bool] = []
        self.out = out.resolve()
        site = PlannedSite("alpha", out / "alpha.yaml", "*/5 * * * *", **limits)
        self.scheduler = Scheduler([site], out, clock=lambda: self.now, spawn=self.spawn,
                                   stop_timeout=60.0, overrun_margin=60.0)

    def spawn(self, site: PlannedSite, out: Path, log: Path, crawl_id: str,
              full: bool = False) -> Child:
        self.fulls.append(full)
        self.children.append(Child(out, crawl_id))
        return self.children[-1]

    def at(self, moment: datetime) -> dict[str, Any]:
        self.now = moment
        self.scheduler.tick()
        state = read_state(self.scheduler.state_file)
        assert state is not None
        site: dict[str, Any] = state["sites"]["alpha"]
        return site

    def run_once(self, finish_reason: str | None, page_responses: int = 3) -> dict[str, Any]:
        """Start the due run (one minute after it is due), end it two minutes later."""
        due = self.scheduler.states["alpha"].next_due
        count = len(self.children)
        self.at(due + timedelta(minutes=1))
        assert len(self.children) == count + 1, "the due run did not start"
        self.children[-1].finish(finish_reason, page_responses)
        return self.at(due + timedelta(minutes=3))


def t(text: str) -> str:
    return f"2026-03-01T{text}+00:00"


def test_failures_double_the_interval_up_to_the_cap_and_a_success_resets(tmp_path: Path) -> None:
    harness = Harness(tmp_path / "out", backoff_max=30 * 60)
    site = harness.run_once("idle")  # due 10:00: one failure is not yet a pattern
    assert (site["consecutive_failures"], site["backoff_until"]) == (1, None)
    assert site["last_run"]["failed"] == "ended early: idle"
    assert site["next_due"] == t("10:05:00")

    site = harness.run_once(None)  # due 10:05, a crash: the 5-minute interval becomes 10
    assert site["consecutive_failures"] == 2
    assert site["last_run"]["failed"] == "no manifest (exit status 1)"
    assert (site["backoff_until"], site["next_due"]) == (t("10:15:00"), t("10:15:00"))

    site = harness.run_once("timeout")  # due 10:15: 20 minutes
    assert (site["consecutive_failures"], site["next_due"]) == (3, t("10:35:00"))
    site = harness.run_once("finished", page_responses=0)  # due 10:35: 40, capped at 30
    assert site["last_run"]["failed"] == "no page responses"
    assert (site["consecutive_failures"], site["next_due"]) == (4, t("11:05:00"))
    assert len(harness.children) == 4  # nothing ran in between

    site = harness.run_once("finished")  # due 11:05: success
    assert (site["consecutive_failures"], site["backoff_until"]) == (0, None)
    assert site["last_run"]["failed"] is None
    assert site["next_due"] == t("11:10:00")  # the plain interval again

    runs = read_runs_log(harness.out)
    assert [(r["finish_reason"], r["consecutive_failures"], r["backoff_until"]) for r in runs] == [
        ("idle", 1, None), (None, 2, t("10:15:00")), ("timeout", 3, t("10:35:00")),
        ("finished", 4, t("11:05:00")), ("finished", 0, None)]
    assert [r["due"] for r in runs] == [t("10:00:00"), t("10:05:00"), t("10:15:00"),
                                        t("10:35:00"), t("11:05:00")]


def test_history_and_status_show_the_backoff(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from crawler.cli import main

    harness = Harness(tmp_path / "out")
    harness.run_once("idle")
    harness.run_once("idle")
    history = read_history(harness.out)
    newest = history.runs[0]
    assert newest.finish_reason == "idle"
    assert newest.scheduled is not None
    assert newest.scheduled["backoff_until"] == t("10:15:00")

    assert main(["history", "--out", str(harness.out)]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert rows[0].endswith("(idle; failure 2 in a row; backoff until 2026-03-01T10:15:00+00:00)")
    assert rows[1].endswith("(idle)")

    assert main(["status", "--out", str(harness.out)]) == 0
    status = capsys.readouterr().out
    assert "finish reason idle" in status
    assert "2 failed run(s) in a row (last: ended early: idle)" in status
    assert "backing off: next run not before 2026-03-01T10:15:00+00:00" in status


def test_a_crawl_past_its_max_run_is_stopped_then_killed_and_recorded(tmp_path: Path) -> None:
    harness = Harness(tmp_path / "out", max_run=600)
    harness.at(START + timedelta(seconds=31))  # due 10:00, started 10:00:01
    child = harness.children[0]
    harness.at(START + timedelta(seconds=31 + 659))  # max_run + margin not yet passed
    assert child.signals == []
    site = harness.at(START + timedelta(seconds=31 + 660))
    assert child.signals == ["TERM"]
    assert site["running"] is not None
    harness.at(START + timedelta(seconds=31 + 660 + 59))
    assert child.signals == ["TERM"]
    harness.at(START + timedelta(seconds=31 + 660 + 60))  # it ignored SIGTERM
    assert child.signals == ["TERM", "KILL"]
    site = harness.at(START + timedelta(seconds=31 + 661 + 60))
    assert site["running"] is None
    assert site["last_run"]["exit_status"] == -9
    assert site["last_run"]["killed"] == ("ran past its max_run of 600s and did not stop: "
                                          "killed by the scheduler (SIGKILL)")
    assert site["last_run"]["failed"] == site["last_run"]["killed"]
    assert site["consecutive_failures"] == 1


def test_a_stopped_overrunning_crawl_is_recorded_as_stopped(tmp_path: Path) -> None:
    harness = Harness(tmp_path / "out", max_run=600)
    harness.at(START + timedelta(seconds=31))
    harness.at(START + timedelta(seconds=31 + 660))
    harness.children[0].finish("shutdown")  # SIGTERM: Scrapy's graceful stop
    site = harness.at(START + timedelta(seconds=31 + 661))
    assert harness.children[0].signals == ["TERM"]
    assert site["last_run"]["finish_reason"] == "shutdown"
    assert site["last_run"]["killed"] == ("ran past its max_run of 600s: stopped by the "
                                          "scheduler (SIGTERM)")


def test_a_new_scheduler_keeps_the_failures_and_backoff(tmp_path: Path) -> None:
    harness = Harness(tmp_path / "out")
    harness.run_once("idle")
    harness.run_once("idle")
    previous = read_state(harness.scheduler.state_file)
    assert previous is not None
    site = PlannedSite("alpha", tmp_path / "alpha.yaml", "*/5 * * * *")
    successor = Scheduler([site], tmp_path / "out", clock=lambda: START + timedelta(minutes=9))
    assert successor.states["alpha"].next_due == datetime(2026, 3, 1, 10, 10, tzinfo=UTC)
    successor.restore(previous)
    alpha = successor.states["alpha"]
    assert alpha.consecutive_failures == 2
    assert alpha.next_due == datetime(2026, 3, 1, 10, 15, tzinfo=UTC)


def test_the_crawl_command_carries_the_limits_and_the_crawl_id(tmp_path: Path) -> None:
    site = PlannedSite("alpha", tmp_path / "alpha.yaml", "* * * * *", max_run=5400, idle=90.5)
    command = crawl_command(site, tmp_path / "out", "20260301T100000Z-abcdef")
    assert command[-6:] == ["-s", "NEWSARCHIVE_CRAWL_ID=20260301T100000Z-abcdef",
                            "-s", "NEWSARCHIVE_MAX_RUN_SECONDS=5400",
                            "-s", "NEWSARCHIVE_IDLE_SECONDS=90.5"]


def test_the_crawl_command_asks_for_a_full_crawl_only_when_told(tmp_path: Path) -> None:
    site = PlannedSite("alpha", tmp_path / "alpha.yaml", "* * * * *")
    assert "--full" in crawl_command(site, tmp_path / "out", "20260301T100000Z-abcdef", True)
    assert "--full" not in crawl_command(site, tmp_path / "out", "20260301T100000Z-abcdef")


def test_a_full_run_comes_due_full_every_after_the_last_successful_one(tmp_path: Path) -> None:
    """Runs every 5 minutes, a full one when none succeeded in the last 12: the first, then
    the first 12 minutes after it; a full run that fails does not count."""
    harness = Harness(tmp_path / "out", full_every=12 * 60)
    for finish_reason in ("finished", "finished", "finished", "idle", "finished", "finished"):
        harness.run_once(finish_reason)
    assert harness.fulls == [True, False, False, True, True, False]
    runs = read_runs_log(harness.out)
    assert [(run["full"], bool(run["failed"])) for run in runs] == [
        (True, False), (False, False), (False, False), (True, True), (True, False),
        (False, False)]


def test_no_full_every_no_full_run(tmp_path: Path) -> None:
    harness = Harness(tmp_path / "out")
    for _ in range(3):
        harness.run_once("finished")
    assert harness.fulls == [False, False, False]


def write_plan(tmp_path: Path, plan: dict[str, Any]) -> Path:
    (tmp_path / "alpha.yaml").write_text(yaml.safe_dump(
        {"name": "alpha", "start_urls": ["https://alpha.example/"], "schedule": "0 * * * *"}))
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    return path


def test_plan_limits_default_and_override(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, {"max_run": "2h", "backoff_max": "1d",
                                 "sites": [{"config": "alpha.yaml", "idle": "90s"}]})
    (site,) = load_plan(plan)
    assert (site.max_run, site.idle, site.backoff_max) == (7200.0, 90.0, 86400.0)
    (site,) = load_plan(write_plan(tmp_path, {"sites": [{"config": "alpha.yaml",
                                                         "max_run": 45}]}))
    assert (site.max_run, site.idle) == (45.0, DEFAULT_IDLE_SECONDS)
    assert site.full_every == 0  # never, unless the plan says
    (site,) = load_plan(write_plan(tmp_path, {"full_every": "7d", "sites": ["alpha.yaml"]}))
    assert site.full_every == 7 * 86400.0
    (site,) = load_plan(write_plan(tmp_path, {"full_every": "7d", "sites": [
        {"config": "alpha.yaml", "full_every": 0}]}))
    assert site.full_every == 0


@pytest.mark.parametrize(("plan", "message"), [
    ({"idle": "soon", "sites": ["alpha.yaml"]},
     "key 'idle': 'soon' is not a duration (e.g. 90s, 30m, 2h, 1d)"),
    ({"sites": [{"config": "alpha.yaml", "max_run": -5}]},
     "key 'sites[1].max_run': must be more than zero, not -5"),
    ({"sites": [{"config": "alpha.yaml", "backoff_max": "0m"}]},
     "key 'sites[1].backoff_max': must be more than zero, not '0m'"),
    ({"sites": [{"config": "alpha.yaml", "full_every": "-1d"}]},
     "key 'sites[1].full_every': '-1d' is not a duration"),
    ({"sites": [{"config": "alpha.yaml", "idle": True}]},
     "key 'sites[1].idle': must be a duration such as 90s, 30m or 2h, not True"),
])
def test_bad_plan_limits_name_the_key(tmp_path: Path, plan: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_plan(write_plan(tmp_path, plan))
    assert message in str(caught.value)


def test_a_crawl_the_dead_scheduler_left_is_collected_by_its_successor(tmp_path: Path) -> None:
    out = (tmp_path / "out").resolve()
    gone = 2**22 + 12345  # above pid_max: never a live process
    Child(out, "20260301T095500Z-aaaaaa").finish("finished")  # its manifest, written
    previous = {"sites": {"alpha": {"consecutive_failures": 1, "running": {
        "pid": gone, "crawl_id": "20260301T095500Z-aaaaaa", "due": t("09:55:00"),
        "started_at": t("09:55:01"), "log": "alpha.log"}}}}
    site = PlannedSite("alpha", tmp_path / "alpha.yaml", "*/5 * * * *")
    successor = Scheduler([site], out, clock=lambda: START,
                          spawn=lambda *_: pytest.fail("nothing is due"))
    successor.restore(previous)
    successor.tick()
    alpha = successor.states["alpha"]
    assert alpha.child is None
    assert alpha.last_run is not None
    assert {key: alpha.last_run[key] for key in ("pid", "crawl_id", "due", "adopted",
                                                 "exit_status", "finish_reason", "failed")} == {
        "pid": gone, "crawl_id": "20260301T095500Z-aaaaaa", "due": t("09:55:00"),
        "adopted": True, "exit_status": None, "finish_reason": "finished", "failed": None}
    assert alpha.consecutive_failures == 0  # its success resets the failure it inherited
    assert [run["crawl_id"] for run in read_runs_log(out)] == ["20260301T095500Z-aaaaaa"]


def test_the_example_plan_sets_limits_and_an_override() -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    planned = {p.name: p for p in load_plan(examples / "schedule.yaml")}
    assert (planned["eutoday"].max_run, planned["eutoday"].idle) == (7200.0, 600.0)
    assert (planned["harbour-herald"].max_run, planned["harbour-herald"].idle) == (1800.0, 300.0)
    assert planned["harbour-herald"].backoff_max == 86400.0
    assert planned["eutoday"].full_every == planned["harbour-herald"].full_every == 7 * 86400.0


def test_a_run_stopped_with_the_scheduler_neither_fails_nor_resets(tmp_path: Path) -> None:
    harness = Harness(tmp_path / "out")
    harness.run_once("idle")
    harness.run_once("idle")
    harness.at(START + timedelta(minutes=16))  # due 10:15 (the backoff), running
    harness.children[-1].returncode = 1  # how SIGTERM ends it
    harness.scheduler.stop()
    state = read_state(harness.scheduler.state_file)
    assert state is not None
    alpha = state["sites"]["alpha"]
    assert alpha["last_run"]["failed"] is None
    assert (alpha["consecutive_failures"], alpha["backoff_until"]) == (2, t("10:15:00"))

"""`history` and `status` on manifests and scheduler state written by the tests."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.cli import main
from crawler.run_history import read_history
from crawler.schedule.liveness import acquire_scheduler_lock
from crawler.schedule.loop import Scheduler, state_path, write_state
from crawler.schedule.plan import PlannedSite


def manifest(crawl_id: str, site: str, started: str, finished: str, *, status: str = "complete",
             articles: int = 10, http_errors: int = 0) -> dict[str, Any]:
    return {
        "manifest_version": 1, "crawl_id": crawl_id, "started_at": started,
        "finished_at": finished, "status": status,
        "problems": [] if status == "complete" else ["crawl ended early: shutdown"],
        "sites": [{"name": site, "start_urls": ["http://127.0.0.1/"]}],
        "counts": {"responses": articles + 5, "articles": articles, "http_errors": http_errors,
                   "download_errors": 1, "extract_failed": 0, "finish_reason": "finished"},
        "files": [], "not_stored": [],
    }


def write_manifest(out: Path, data: dict[str, Any]) -> None:
    path = out / "crawls" / f"{data['crawl_id']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    out = tmp_path / "data"
    write_manifest(out, manifest("20260101T100000Z-aaaaaa", "alpha",
                                 "2026-01-01T10:00:01+00:00", "2026-01-01T10:02:31+00:00"))
    write_manifest(out, manifest("20260101T120000Z-bbbbbb", "beta",
                                 "2026-01-01T12:00:00+00:00", "2026-01-01T12:00:09+00:00",
                                 status="finished-with-errors", articles=3, http_errors=2))
    write_manifest(out, manifest("20260101T110000Z-cccccc", "alpha",
                                 "2026-01-01T11:00:00+00:00", "2026-01-01T12:01:05+00:00"))
    return out


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_history_lists_runs_newest_first_with_counts(archive: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "history", "--out", str(archive))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["CRAWL", "ID", "SITE"]
    assert [line.split()[0] for line in lines[1:]] == [
        "20260101T120000Z-bbbbbb", "20260101T110000Z-cccccc", "20260101T100000Z-aaaaaa"]
    beta = lines[1].split()
    # crawl id, site, start, end, took, pages, articles, errors, status
    assert beta[1:] == ["beta", "2026-01-01T12:00:00+00:00", "2026-01-01T12:00:09+00:00", "9s",
                        "8", "3", "3", "finished-with-errors"]
    assert lines[2].split()[4] == "1h01m"
    assert lines[3].split()[4] == "2m30s"


def test_history_site_filter_and_json_lines(archive: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "history", "alpha", "--out", str(archive), "--json")
    assert status == 0
    runs = [json.loads(line) for line in out.splitlines()]
    assert [run["crawl_id"] for run in runs] == ["20260101T110000Z-cccccc",
                                                 "20260101T100000Z-aaaaaa"]
    assert runs[1] == {
        "crawl_id": "20260101T100000Z-aaaaaa", "sites": ["alpha"],
        "started_at": "2026-01-01T10:00:01+00:00", "finished_at": "2026-01-01T10:02:31+00:00",
        "duration_seconds": 150.0, "status": "complete", "problems": [],
        "counts": manifest("x", "alpha", "", "")["counts"], "finish_reason": "finished",
        "scheduled": None,
    }


def test_history_of_an_unknown_site_and_of_an_empty_archive_say_so(
        archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "history", "gamma", "--out", str(archive))
    assert (status, out.strip()) == (0, (f"no crawl runs of site 'gamma' in {archive} "
                                        "(no manifests under crawls/)"))
    empty = tmp_path / "empty"
    empty.mkdir()
    status, out, _ = cli(capsys, "history", "--out", str(empty))
    assert status == 0
    assert out.startswith(f"no crawl runs in {empty}")
    status, out, _ = cli(capsys, "history", "--out", str(empty), "--json")
    assert (status, out) == (0, "")


def test_history_of_a_missing_directory_is_bad_usage(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "history", "--out", str(tmp_path / "nope"))
    assert (status, out) == (2, "")
    assert err.strip() == f"newsarchive: {tmp_path / 'nope'}: no such archive directory"


def test_a_broken_manifest_is_named_and_the_rest_listed(archive: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (archive / "crawls" / "20260102T000000Z-dddddd.json").write_text("{not json", "utf-8")
    (archive / "crawls" / "20260103T000000Z-eeeeee.json").write_text(
        json.dumps(manifest("20260101T100000Z-aaaaaa", "alpha", "", "")), "utf-8")
    status, out, err = cli(capsys, "history", "--out", str(archive), "--json")
    assert status == 1
    assert len(out.splitlines()) == 3
    assert "skipped crawls/20260102T000000Z-dddddd.json: Expecting property name" in err
    assert ("skipped crawls/20260103T000000Z-eeeeee.json: names crawl "
            "'20260101T100000Z-aaaaaa', not its file name") in err


def test_last_run_per_site(archive: Path) -> None:
    last = read_history(archive).last_run_per_site()
    assert {site: run.crawl_id for site, run in last.items()} == {
        "alpha": "20260101T110000Z-cccccc", "beta": "20260101T120000Z-bbbbbb"}


def test_status_without_a_scheduler_shows_last_runs(archive: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "status", "--out", str(archive))
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"no scheduler has run for {archive} (no schedule/state.json)"
    assert lines[1:] == [
        ("last run of alpha: 20260101T110000Z-cccccc complete, started 2026-01-01T11:00:00+00:00,"
        " took 1h01m, 10 articles"),
        ("last run of beta: 20260101T120000Z-bbbbbb finished-with-errors, started "
        "2026-01-01T12:00:00+00:00, took 9s, 3 articles"),
    ]


class RunningChild:
    """A crawl that is still running, as far as the scheduler can tell."""

    pid = os.getpid()  # alive for as long as the test runs

    def poll(self) -> int | None:
        return None


def test_status_of_a_running_scheduler(archive: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    start = datetime(2026, 1, 2, 8, 0, 30, tzinfo=UTC)
    now = [start]
    # full_every: the site has had no full run, so this one is full
    site = PlannedSite("alpha", tmp_path / "alpha.yaml", "*/5 * * * *", full_every=86400)
    scheduler = Scheduler([site], archive, clock=lambda: now[0],
                          spawn=lambda *_: RunningChild())  # type: ignore[arg-type,return-value]
    now[0] = start + timedelta(minutes=5)
    scheduler.tick()
    lock = acquire_scheduler_lock(archive)  # what `schedule` holds while it lives
    assert lock is not None

    status, out, _ = cli(capsys, "status", "--out", str(archive), "--json")
    assert status == 0
    data = json.loads(out)
    assert data["scheduler"]["running"] is True
    assert data["scheduler"]["pid"] == os.getpid()
    alpha = data["sites"]["alpha"]
    assert alpha["next_due"] == "2026-01-02T08:10:00+00:00"
    assert alpha["running"]["pid"] == os.getpid()
    assert alpha["running"]["alive"] is True
    assert alpha["running"]["started_at"] == "2026-01-02T08:05:30+00:00"
    assert alpha["running"]["full"] is True
    assert data["last_runs"]["beta"]["crawl_id"] == "20260101T120000Z-bbbbbb"

    status, out, _ = cli(capsys, "status", "--out", str(archive))
    lines = out.splitlines()
    assert lines[0].startswith(f"scheduler running: pid {os.getpid()}, since "
                               "2026-01-02T08:00:30+00:00")
    assert lines[1] == "alpha: schedule '*/5 * * * *', next due 2026-01-02T08:10:00+00:00"
    assert lines[2].startswith(f"  full crawl running: pid {os.getpid()} since 2026-01-02T08:05:30")
    lock.release()


def test_status_of_a_stopped_and_of_a_vanished_scheduler(
        archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = {"state_version": 1, "sites": {},
             "scheduler": {"pid": os.getpid(), "stopped_at": "2026-01-02T09:00:00+00:00",
                           "updated_at": "2026-01-02T09:00:00+00:00"}}
    write_state(state_path(archive), state)
    _, out, _ = cli(capsys, "status", "--out", str(archive))
    assert out.splitlines()[0] == "scheduler not running: stopped at 2026-01-02T09:00:00+00:00"

    state["scheduler"] = {"pid": 2**22 + 12345, "stopped_at": None,  # above pid_max: never alive
                          "updated_at": "2026-01-02T09:00:00+00:00"}
    write_state(state_path(archive), state)
    _, out, _ = cli(capsys, "status", "--out", str(archive))
    assert out.splitlines()[0] == (f"scheduler dead: pid {2**22 + 12345} died without "
                                   "stopping (last alive 2026-01-02T09:00:00+00:00)")


def test_status_of_a_missing_directory_or_broken_state_is_bad_usage(
        archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(capsys, "status", "--out", str(tmp_path / "nope"))
    assert status == 2
    assert "no such archive directory" in err
    state_path(archive).parent.mkdir(parents=True)
    state_path(archive).write_text("[]", "utf-8")
    status, _, err = cli(capsys, "status", "--out", str(archive))
    assert status == 2
    assert "unreadable scheduler state" in err


@pytest.mark.s3
def test_history_reads_manifests_from_s3(moto_bucket: Any,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    data = manifest("20260101T100000Z-aaaaaa", "alpha", "2026-01-01T10:00:01+00:00",
                    "2026-01-01T10:02:31+00:00")
    moto_bucket.put("archive/crawls/20260101T100000Z-aaaaaa.json", json.dumps(data).encode())
    moto_bucket.put("archive/warc/alpha/x.warc.gz", b"not a manifest")
    status, out, err = cli(capsys, "history", "--storage", f"{moto_bucket.uri}/archive",
                           "--endpoint-url", moto_bucket.endpoint_url,
                           "--addressing-style", "path", "--json")
    assert (status, err) == (0, "")
    assert [json.loads(line)["crawl_id"] for line in out.splitlines()] == [
        "20260101T100000Z-aaaaaa"]

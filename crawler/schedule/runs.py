"""A finished scheduled run: whether it failed, how far its failures push the next run back,
and its line in ``DIR/schedule/runs.jsonl`` (which `history` shows beside the manifest)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from archive.manifest import NORMAL_FINISH, manifest_key
from crawler.schedule.cron import next_due


def runs_log_path(out: str | Path) -> Path:
    return Path(out) / "schedule" / "runs.jsonl"


def read_runs_log(out: str | Path) -> list[dict[str, Any]]:
    """The scheduled runs recorded in ``runs.jsonl``, oldest first (unreadable lines skipped:
    a scheduler killed mid-write leaves at most one)."""
    try:
        lines = runs_log_path(out).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    runs = []
    for line in lines:
        try:
            run = json.loads(line)
        except ValueError:
            continue
        if isinstance(run, dict):
            runs.append(run)
    return runs


def append_run(out: str | Path, run: dict[str, Any]) -> None:
    path = runs_log_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(run, sort_keys=True) + "\n")


def read_manifest(out: Path, crawl_id: str) -> dict[str, Any] | None:
    try:
        manifest = json.loads((out / manifest_key(crawl_id)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def failure_of(exit_status: int | None, manifest: dict[str, Any] | None,
               killed: str | None) -> str | None:
    """Why a finished run counts as failed (for backoff), or None.  Problems such as a page
    that failed extraction do not count: the site was reached and crawled."""
    if killed:
        return killed
    if manifest is None:
        return "no manifest" + (f" (exit status {exit_status})" if exit_status is not None else "")
    counts = manifest.get("counts") if isinstance(manifest.get("counts"), dict) else {}
    reason = counts.get("finish_reason")
    if reason not in NORMAL_FINISH:
        return f"ended early: {reason}"
    if not counts.get("page_responses"):
        return "no page responses"
    return None


def backoff_due(schedule: str, due: datetime, failures: int,
                cap_seconds: float) -> datetime | None:
    """After ``failures`` failed runs in a row (the last one due at ``due``), the earliest
    due time of the next run; None below two failures.  The schedule's interval at ``due``
    doubles with each failure after the first, up to ``cap_seconds``."""
    if failures < 2:
        return None
    interval = (next_due(schedule, due) - due).total_seconds()
    delay = min(cap_seconds, interval * 2 ** (failures - 1))
    # the first due time at or after due + delay (cron times are whole seconds)
    return next_due(schedule, due + timedelta(seconds=delay) - timedelta(microseconds=1))

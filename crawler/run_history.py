"""Past crawls of an archive, read back from its manifests (``crawls/<crawl_id>.json``).

Used by `history` (every run) and `status` (the last run per site).  The manifests are read
through the storage backends, so a local directory and an ``s3://`` archive read the same.
A local archive's scheduled runs (``schedule/runs.jsonl``) add how the scheduler saw each
run: killed, failed, failures in a row, backoff.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.layout import is_crawl_manifest_key, manifest_key, manifest_keys
from archive.manifest import NORMAL_FINISH
from archive.report import format_duration
from archive.storage import open_storage, split_uri
from archive.crawl_id import crawl_date


@dataclass(frozen=True)
class CrawlRun:
    """One past crawl as its manifest records it."""

    crawl_id: str
    sites: list[str]
    started_at: str | None
    finished_at: str | None
    status: str
    counts: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # The scheduler's record of this run (``schedule/runs.jsonl``), if it was scheduled.
    scheduled: dict[str, Any] | None = None

    @property
    def finish_reason(self) -> str | None:
        """Why the crawl ended (Scrapy's close reason: ``finished``, ``idle``, ``timeout``…)."""
        reason = self.counts.get("finish_reason")
        return str(reason) if reason is not None else None

    @property
    def duration_seconds(self) -> float | None:
        if not (self.started_at and self.finished_at):
            return None
        start, end = _parse_time(self.started_at), _parse_time(self.finished_at)
        if start is None or end is None:
            return None
        return (end - start).total_seconds()

    @property
    def errors(self) -> int:
        """HTTP errors, download errors and failed extractions, added up."""
        return sum(int(self.counts.get(key) or 0)
                   for key in ("http_errors", "download_errors", "extract_failed"))

    def sort_key(self) -> tuple[str, str]:
        start = _parse_time(self.started_at) if self.started_at else None
        if start is None:
            try:
                start = crawl_date(self.crawl_id)
            except ValueError:
                return ("", self.crawl_id)
        return (start.isoformat(), self.crawl_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "crawl_id": self.crawl_id,
            "sites": self.sites,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_seconds": self.duration_seconds,
            "status": self.status,
            "counts": self.counts,
            "problems": self.problems,
            "finish_reason": self.finish_reason,
            "scheduled": self.scheduled,
        }


@dataclass
class History:
    """The runs found (newest first) and the manifests that could not be read."""

    runs: list[CrawlRun]
    unreadable: dict[str, str]

    def for_site(self, site: str) -> list[CrawlRun]:
        return [run for run in self.runs if site in run.sites]

    def last_run_per_site(self) -> dict[str, CrawlRun]:
        last: dict[str, CrawlRun] = {}
        for run in self.runs:  # newest first: the first seen wins
            for site in run.sites:
                last.setdefault(site, run)
        return last


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def run_from_manifest(manifest: Any) -> CrawlRun:
    """A ``CrawlRun`` from a parsed manifest; ``ValueError`` if it is not one."""
    if not isinstance(manifest, dict) or not manifest.get("crawl_id"):
        raise ValueError("not a crawl manifest (no crawl_id)")
    sites = [s.get("name", "?") for s in manifest.get("sites") or [] if isinstance(s, dict)]
    counts = manifest.get("counts")
    return CrawlRun(
        crawl_id=str(manifest["crawl_id"]),
        sites=sites,
        started_at=manifest.get("started_at"),
        finished_at=manifest.get("finished_at"),
        status=str(manifest.get("status") or "unknown"),
        counts=counts if isinstance(counts, dict) else {},
        problems=[str(p) for p in manifest.get("problems") or []],
    )


def read_history(target: str | Path, **storage_options: Any) -> History:
    """Every crawl manifest under ``target`` (a directory or storage URI), newest first.

    A missing local directory raises ``FileNotFoundError``; an unusable storage URI,
    ``StorageConfigError``; storage that fails while listing or reading, ``StorageError``.
    """
    scheme, path = split_uri(str(target))
    if scheme in ("", "file") and not Path(path).is_dir():
        raise FileNotFoundError(f"{target}: no such archive directory")
    storage = open_storage(target, **storage_options)
    runs: list[CrawlRun] = []
    unreadable: dict[str, str] = {}
    for key in manifest_keys(storage):
        if not is_crawl_manifest_key(key):
            continue
        try:
            run = run_from_manifest(json.loads(storage.read(key)))
        except (ValueError, UnicodeDecodeError) as exc:
            unreadable[key] = str(exc)
            continue
        if manifest_key(run.crawl_id) != key:
            unreadable[key] = f"names crawl {run.crawl_id!r}, not its file name"
            continue
        runs.append(run)
    if scheme in ("", "file"):
        runs = with_scheduled_runs(runs, Path(path))
    runs.sort(key=CrawlRun.sort_key, reverse=True)
    return History(runs, unreadable)


def with_scheduled_runs(runs: list[CrawlRun], root: Path) -> list[CrawlRun]:
    """``runs`` with the scheduler's record of each scheduled one attached."""
    from crawler.schedule.runs import read_runs_log

    scheduled = {run.get("crawl_id"): run for run in read_runs_log(root)}
    return [replace(run, scheduled=scheduled[run.crawl_id]) if run.crawl_id in scheduled
            else run for run in runs]


HEADER = (f"{'CRAWL ID':<24}  {'SITE':<16}  {'STARTED':<25}  {'FINISHED':<25}  {'TOOK':>6}  "
          f"{'PAGES':>6}  {'ARTICLES':>8}  {'ERRORS':>6}  STATUS")


def revision_counts(counts: dict[str, Any]) -> str:
    """What an incremental run found, for the end of its row ('' for a run without them)."""
    if "articles_new" not in counts:
        return ""
    return (f" (new {counts.get('articles_new', 0)}, updated {counts.get('articles_updated', 0)}, "
            f"unchanged {counts.get('articles_unchanged', 0)}, "
            f"not modified {counts.get('not_modified', 0)}, "
            f"not fetched {counts.get('skipped_known', 0)})")


def format_run(run: CrawlRun) -> str:
    """One table row; ``pages`` is the responses received, ``articles`` the records written."""
    return (f"{run.crawl_id:<24}  {','.join(run.sites) or '?':<16}  {run.started_at or '?':<25}  "
            f"{run.finished_at or '?':<25}  {format_duration(run.duration_seconds):>6}  "
            f"{run.counts.get('responses', 0):>6}  {run.counts.get('articles', 0):>8}  "
            f"{run.errors:>6}  {run.status}{status_notes(run)}{revision_counts(run.counts)}")


def status_notes(run: CrawlRun) -> str:
    """What the STATUS column adds: an early finish reason, the scheduler's verdict."""
    notes = []
    if run.finish_reason and run.finish_reason not in NORMAL_FINISH:
        notes.append(run.finish_reason)
    scheduled = run.scheduled or {}
    if scheduled.get("killed"):
        notes.append("killed by the scheduler")
    if scheduled.get("failed") and scheduled.get("consecutive_failures", 0) > 1:
        notes.append(f"failure {scheduled['consecutive_failures']} in a row")
    if scheduled.get("backoff_until"):
        notes.append(f"backoff until {scheduled['backoff_until']}")
    return f" ({'; '.join(notes)})" if notes else ""


"""`newsarchive status [--out DIR] [--json]`: the scheduler, next due runs, running crawls.

Read from DIR/schedule/state.json (written by `newsarchive schedule`; DIR defaults to
./newsarchive-data) and, for the last run of each site, from the crawl manifests as
`history` reads them.  The scheduler is running while it holds DIR/schedule/scheduler.lock
and its pid exists; one that died (even by kill -9) is reported dead with the time it was
last alive.  Local directories only: the scheduler's state lives beside it.
Exit 0, or 2 when DIR does not exist or its state file is not JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from crawler.cli.history_cmd import DEFAULT_OUT


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status", help="scheduler, next due runs, running crawls, last run per site",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"archive directory (default ./{DEFAULT_OUT})")
    parser.add_argument("--json", action="store_true", help="the status as one JSON object")
    parser.set_defaults(func=run)


def collect_status(out: Path) -> dict[str, Any]:
    """The status as data; ``FileNotFoundError`` / ``ValueError`` as `read_history` / state."""
    from crawler.run_history import read_history
    from crawler.schedule.liveness import scheduler_lock_held
    from crawler.schedule.loop import pid_alive, read_state, state_path

    history = read_history(out)
    state = read_state(state_path(out))
    last_runs = {site: run.to_json() for site, run in history.last_run_per_site().items()}
    if state is None:
        return {"scheduler": None, "sites": {}, "last_runs": last_runs}
    scheduler = dict(state.get("scheduler") or {})
    scheduler["running"] = (not scheduler.get("stopped_at") and scheduler_lock_held(out)
                            and pid_alive(scheduler.get("pid")))
    # The state is rewritten at least every heartbeat while the scheduler lives.
    scheduler["last_alive"] = scheduler.get("updated_at")
    sites = {}
    for name, site in (state.get("sites") or {}).items():
        site = dict(site)
        running = site.get("running")
        if running:
            # After a crash of the scheduler its record of a child may be stale.
            site["running"] = {**running, "alive": pid_alive(running.get("pid"))}
        sites[name] = site
    return {"scheduler": scheduler, "sites": sites, "last_runs": last_runs}


def format_status(status: dict[str, Any], out: Path) -> list[str]:
    from crawler.run_history import format_duration

    lines = []
    scheduler = status["scheduler"]
    if scheduler is None:
        lines.append(f"no scheduler has run for {out} (no schedule/state.json)")
    elif scheduler["running"]:
        lines.append(f"scheduler running: pid {scheduler.get('pid')}, "
                     f"since {scheduler.get('started_at')}, plan {scheduler.get('plan')}")
    elif scheduler.get("stopped_at"):
        lines.append(f"scheduler not running: stopped at {scheduler['stopped_at']}")
    else:
        lines.append(f"scheduler dead: pid {scheduler.get('pid')} died without stopping "
                     f"(last alive {scheduler.get('last_alive')})")
    for name, site in sorted(status["sites"].items()):
        lines.append(f"{name}: schedule {site.get('schedule')!r}"
                     + (f", next due {site.get('next_due')}" if scheduler and scheduler["running"]
                        else ""))
        running = site.get("running")
        if running:
            alive = "running" if running["alive"] else "no longer running"
            full = "full " if running.get("full") else ""
            lines.append(f"  {full}crawl {alive}: pid {running.get('pid')} since "
                         f"{running.get('started_at')}, log {running.get('log')}")
        last = site.get("last_run")
        if last:
            full = "full " if last.get("full") else ""
            lines.append(f"  last scheduled {full}crawl: exit status {last.get('exit_status')}, "
                         f"finish reason {last.get('finish_reason')}, "
                         f"finished {last.get('finished_at')}")
            if last.get("killed"):
                lines.append(f"  {last['killed']}")
        if site.get("consecutive_failures"):
            failed = (last or {}).get("failed")
            lines.append(f"  {site['consecutive_failures']} failed run(s) in a row"
                         + (f" (last: {failed})" if failed else ""))
        if site.get("backoff_until"):
            lines.append(f"  backing off: next run not before {site['backoff_until']}")
        if site.get("skipped_overlaps"):
            lines.append(f"  {site['skipped_overlaps']} run(s) skipped: "
                         "previous crawl still running")
    if not status["last_runs"]:
        lines.append(f"no crawl runs in {out}")
    for name, run in sorted(status["last_runs"].items()):
        lines.append(f"last run of {name}: {run['crawl_id']} {run['status']}, started "
                     f"{run['started_at']}, took {format_duration(run['duration_seconds'])}, "
                     f"{run['counts'].get('articles', 0)} articles")
    return lines


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        status = collect_status(out)
    except FileNotFoundError as exc:
        print(f"newsarchive: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:
        print(f"newsarchive: {out}: unreadable scheduler state: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(status, ensure_ascii=False))
    else:
        print("\n".join(format_status(status, out)))
    return 0

"""`newsarchive schedule PLAN.yaml [--out DIR]`: run crawls on their schedules until stopped.

PLAN.yaml lists site config files, each crawled on its own ``schedule:`` or on the plan's:

    sites:
      - sites/eutoday.yaml
      - config: sites/other.yaml
        schedule: "0 */2 * * *"

Cron times are UTC; a plan's ``schedule:`` may have a sixth field, seconds.  Each due run is
`newsarchive crawl SITE.yaml --out DIR` in a child process (its output in
DIR/schedule/logs/); a site never has two crawls at once (a run that comes due meanwhile is
skipped and counted).  Each run is ended cleanly by the plan's ``max_run`` (default 6h)
or ``idle`` (no response for 15m by default); a site whose runs fail twice or more in a row
waits twice its interval per failure, up to ``backoff_max`` (default 1d).  The state (next
due runs, running crawls, last runs, failures) is kept in DIR/schedule/state.json for
`newsarchive status`, each finished run in DIR/schedule/runs.jsonl.  The scheduler holds
DIR/schedule/scheduler.lock while it lives; a new one takes over from one that died.
Ctrl-C or SIGTERM stops the running crawls gracefully and exits 0.  Exit 2 on a bad plan or
site config, or when another scheduler is running for DIR.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from crawler.cli.history_cmd import DEFAULT_OUT
from crawler.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "schedule", help="run crawls on their schedules until stopped",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("plan", metavar="PLAN.yaml", help="the schedule plan")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"output directory (default ./{DEFAULT_OUT})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from crawler.schedule.liveness import acquire_scheduler_lock
    from crawler.schedule.loop import Scheduler, read_state, state_path
    from crawler.schedule.plan import load_plan

    try:
        sites = load_plan(args.plan)
    except ConfigError as exc:
        print(f"newsarchive: bad config: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        state_path(out).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"newsarchive: output {out} unusable: {exc}", file=sys.stderr)
        return 2
    try:
        previous = read_state(state_path(out))
    except (ValueError, TypeError):
        previous = None  # a broken state file is replaced
    scheduler_info = (previous or {}).get("scheduler") or {}
    lock = acquire_scheduler_lock(out)
    if lock is None:
        print(f"newsarchive: a scheduler (pid {scheduler_info.get('pid', '?')}) is already "
              f"running for {out}", file=sys.stderr)
        return 2
    if scheduler_info and not scheduler_info.get("stopped_at"):
        print(f"taking over {out} from scheduler pid {scheduler_info.get('pid')}, which died "
              f"(last alive {scheduler_info.get('updated_at')})", file=sys.stderr)

    # A plain flag, not a threading.Event: setting an Event from a signal handler can
    # deadlock on its lock; the loop sleeps at most a second, so it sees the flag soon.
    stopping: list[int] = []

    def stop_on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger("crawler.schedule")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    previous_handlers = {sig: signal.signal(sig, stop_on_signal)
                         for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        scheduler = Scheduler(sites, out, plan=str(Path(args.plan).resolve()))
        if previous:
            scheduler.restore(previous)
        for name, state in scheduler.states.items():
            print(f"{name}: {state.site.schedule!r}, first run due "
                  f"{state.next_due.isoformat(timespec='seconds')}", file=sys.stderr)
        scheduler.run(should_stop=lambda: bool(stopping), sleep=time.sleep)
    finally:
        for sig, previous_handler in previous_handlers.items():
            signal.signal(sig, previous_handler)
        logger.removeHandler(handler)
        lock.release()
    print(f"scheduler stopped; state in {state_path(out)}", file=sys.stderr)
    return 0

"""`newsarchive wacz`: package an archive's WARCs, index and articles for ReplayWeb.page.

    newsarchive wacz DIR -o FILE.wacz [--title TITLE] [--validate]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "wacz",
        help="package WARCs, index and a pages list as a WACZ for ReplayWeb.page",
        description="Write a WACZ 1.1.1 file of the archive in DIR: its WARCs, a CDXJ "
                    "index, pages/pages.jsonl from the article JSONL, and datapackage.json.",
    )
    parser.add_argument("archive", type=Path, metavar="DIR", help="archive directory")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the .wacz to write")
    parser.add_argument("--title", help="collection title (default: the directory name)")
    parser.add_argument("--validate", action="store_true",
                        help="check the result with py-wacz's `wacz validate` "
                             "(installed on first use in its own virtualenv)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archive.wacz import NothingReadable, validate_wacz, write_wacz

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if not args.archive.is_dir():
        say(f"newsarchive wacz: {args.archive} is not a directory")
        return 2
    losses: list[str] = []
    try:
        package = write_wacz(args.archive, args.output, title=args.title, losses=losses)
    except NothingReadable as exc:
        say_losses(losses, say)
        say(f"newsarchive wacz: {exc}: nothing written")
        return 1
    except ValueError as exc:
        say(f"newsarchive wacz: {exc}")
        return 2
    warcs = sum(1 for r in package["resources"] if r["path"].startswith("archive/"))
    pages = next(r for r in package["resources"] if r["path"] == "pages/pages.jsonl")
    size = args.output.stat().st_size
    say(f"wacz     {args.output}  ({size:,} bytes: {warcs} WARC files, pages list "
        f"{pages['bytes']:,} bytes) — open it in https://replayweb.page/")
    say_losses(losses, say)
    if args.validate:
        ok, output = validate_wacz(args.output, say)
        say(output.strip())
        return 0 if ok and not losses else 1
    return 1 if losses else 0


MAX_LOST_NAMED = 20


def say_losses(losses: list[str], say: Callable[[str], None]) -> None:
    if not losses:
        return
    say(f"LOST: {len(losses)} unreadable part(s) of the archive, not in the WACZ index or "
        "pages list:")
    for what in losses[:MAX_LOST_NAMED]:
        say(f"  {what}")
    if len(losses) > MAX_LOST_NAMED:
        say(f"  … and {len(losses) - MAX_LOST_NAMED} more")

"""`newsarchive recover DIR`: finish what an interrupted crawl left in a local output.

Its ``.warc.gz.open`` files are cut back to their last whole record, indexed and listed in a
manifest with status ``recovered`` (``archive.recovery``; the next crawl into DIR does the
same).  For ``--storage`` crawls, `newsarchive upload --pending` recovers and uploads.
Exit 0 (also when nothing was left), 2 when DIR is not a directory.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "recover", help="recover the .open WARCs an interrupted crawl left in DIR",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path, metavar="DIR", help="the crawl's --out directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archive.recovery.local_crawl import recover_interrupted_crawls
    from archive.output import LocalOutput

    if not args.directory.is_dir():
        print(f"newsarchive recover: {args.directory}: not a directory", file=sys.stderr)
        return 2
    messages = recover_interrupted_crawls(LocalOutput(args.directory))
    for line in messages:
        print(line)
    if not messages:
        print(f"nothing to recover in {args.directory}")
    return 0

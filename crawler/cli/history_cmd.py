"""`newsarchive history [SITE] [--out DIR | --storage URI] [--json]`: past runs, newest first.

Read from the crawl manifests (``crawls/<crawl_id>.json``) of the archive in DIR (default
./newsarchive-data) or at a storage URI (s3://bucket/prefix).  PAGES is the responses
received; ERRORS adds up HTTP errors, download errors and failed extractions.  ``--json``
prints one JSON object per run with the manifest's full counts and problems.
Exit 0 (also when there are no runs yet), 1 when a manifest could not be read, 2 when the
archive does not exist or the storage URI is unusable.
"""

from __future__ import annotations

import argparse
import json
import sys

from archive.storage.errors import StorageConfigError, StorageError
from crawler.cli.upload_cmd import add_s3_arguments, s3_options_from_args

DEFAULT_OUT = "newsarchive-data"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "history", help="past runs of the archive, newest first",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", nargs="?", metavar="SITE", help="only the runs of this site")
    add_archive_arguments(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    add_s3_arguments(parser)
    parser.set_defaults(func=run)


def add_archive_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="DIR", default=None,
                       help=f"archive directory (default ./{DEFAULT_OUT})")
    where.add_argument("--storage", metavar="URI", default=None,
                       help="archive storage URI, e.g. s3://bucket/prefix")


def run(args: argparse.Namespace) -> int:
    from crawler.run_history import HEADER, format_run, read_history

    target = args.storage or args.out or DEFAULT_OUT
    try:
        history = read_history(target, **s3_options_from_args(args))
    except (FileNotFoundError, StorageConfigError) as exc:
        print(f"newsarchive: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"newsarchive: cannot read {target}: {exc}", file=sys.stderr)
        return 1
    runs = history.for_site(args.site) if args.site else history.runs
    for key, problem in sorted(history.unreadable.items()):
        print(f"newsarchive: {target}: skipped {key}: {problem}", file=sys.stderr)
    if args.json:
        for crawl in runs:
            print(json.dumps(crawl.to_json(), ensure_ascii=False))
    elif not runs:
        which = f" of site {args.site!r}" if args.site else ""
        print(f"no crawl runs{which} in {target} (no manifests under crawls/)")
    else:
        print(HEADER)
        for crawl in runs:
            print(format_run(crawl))
    return 1 if history.unreadable else 0

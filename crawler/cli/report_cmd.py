"""`newsarchive report [--out DIR | --storage URI] -o report.html`: the archive's health as
one self-contained HTML page.

Runs over time per site (articles new/updated, errors, WARC bytes), field coverage per site
and run (from the JSONL records), the slowest and failing runs and the latest problems, read
from the crawl manifests (as `history` reads them) and the JSONL of the archive in DIR
(default ./newsarchive-data) or at a storage URI.  The page needs no network: its charts'
JavaScript is inlined.  Exit 0; 1 when the page lists parts of the archive it could not read
(a corrupt manifest or JSONL, or no runs at all); 2 when there is no archive or the page
cannot be written.
"""

from __future__ import annotations

import argparse
import sys

from archive.storage.errors import StorageConfigError, StorageError
from crawler.cli.history_cmd import DEFAULT_OUT, add_archive_arguments
from crawler.cli.upload_cmd import add_s3_arguments, s3_options_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="the archive's health as one self-contained HTML page",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_archive_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE.html", required=True,
                        help="where to write the page")
    add_s3_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archive.report import gather, write_report
    from archive.storage import open_storage
    from crawler.run_history import read_history

    target = args.storage or args.out or DEFAULT_OUT
    options = s3_options_from_args(args)
    try:
        history = read_history(target, **options)
        data = gather(open_storage(target, **options), history.runs, history.unreadable)
    except (FileNotFoundError, StorageConfigError) as exc:
        print(f"newsarchive: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"newsarchive: cannot read {target}: {exc}", file=sys.stderr)
        return 2
    try:
        write_report(args.output, data)
    except OSError as exc:
        print(f"newsarchive: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for key, problem in data.reading_problems:
        print(f"newsarchive: {target}: {key}: {problem}", file=sys.stderr)
    print(f"report: {args.output} ({len(data.runs)} runs, "
          f"{len(data.reading_problems)} problems reading the archive)")
    return 1 if data.reading_problems else 0

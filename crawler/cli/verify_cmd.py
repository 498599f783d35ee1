"""`newsarchive verify DIR_OR_URI`: fixity check of an archive.

Every crawl manifest's files exist with their size and sha256, WARCs read to the end with
correct block and payload digests, and every JSONL record's WARC pointer resolves to its
response record.  Exit 0 when all is well, 1 with every failure named, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys

from archive.storage.errors import StorageConfigError, StorageError
from crawler.cli.upload_cmd import add_s3_arguments, s3_options_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify", help="fixity check: WARCs parse, digests match, every JSONL pointer resolves",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", metavar="DIR_OR_URI",
                        help="an archive directory or storage URI (s3://bucket/prefix)")
    add_s3_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archive.verify import verify

    try:
        report = verify(args.target, **s3_options_from_args(args))
    except StorageConfigError as exc:
        print(f"newsarchive: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"newsarchive: cannot read {args.target}: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0 if report.ok else 1

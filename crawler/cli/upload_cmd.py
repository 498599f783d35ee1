"""`newsarchive upload --pending [SPOOL]`: finish uploads a failed or killed crawl left behind.

SPOOL is one spool directory or a directory of them (default: the default spool root,
``~/.cache/newsarchive/spool``).  The journal in each spool names the target and what is
left; a crawl killed mid-WARC is recovered first (its ``.warc.gz.open`` files cut to whole
records, indexed, listed in a manifest with status ``recovered``); stale multipart uploads
are aborted, files uploaded and verified, manifests last.
Exit 0 when everything is stored, 1 when something is still pending, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from archive.storage import S3_SETTINGS
from archive.storage.errors import SpoolBusyError, StorageConfigError, StorageError


def add_s3_arguments(parser: argparse.ArgumentParser) -> None:
    """``--endpoint-url`` & co.; unset, the ``STORAGE_S3_*`` settings and ``AWS_*`` apply."""
    group = parser.add_argument_group("S3 options (credentials: the AWS credential chain)")
    group.add_argument("--endpoint-url", metavar="URL", help="S3 endpoint (STORAGE_S3_ENDPOINT_URL)")
    group.add_argument("--region", help="S3 region (STORAGE_S3_REGION)")
    group.add_argument("--addressing-style", choices=["auto", "path", "virtual"],
                       help="S3 addressing style (STORAGE_S3_ADDRESSING_STYLE)")
    group.add_argument("--profile", help="AWS profile name (STORAGE_S3_PROFILE)")


def s3_options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Command-line S3 options over the ``STORAGE_S3_*`` settings."""
    return {**s3_options_from_project_settings(getattr(args, "set", None)),
            **s3_options_given(args)}


def s3_options_given(args: argparse.Namespace) -> dict[str, Any]:
    return {name: getattr(args, name) for name in S3_SETTINGS.values()
            if getattr(args, name, None)}


def s3_options_from_project_settings(set_options_given: list[str] | None = None) -> dict[str, Any]:
    """The ``STORAGE_S3_*`` settings (``crawler/settings.py`` under ``-s NAME=VALUE``)."""
    from crawler.cli.crawl_cmd import set_options
    from crawler.run import crawl_settings

    settings = crawl_settings(set_options(set_options_given or []))
    return {argument: settings.get(setting)
            for setting, argument in S3_SETTINGS.items() if settings.get(setting)}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "upload", help="finish uploads a failed or killed crawl left behind",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pending", action="store_true", required=True,
                        help="upload what the spool journal lists as pending")
    parser.add_argument("spool", nargs="?", metavar="SPOOL", default=None,
                        help="a spool directory, or a directory of spools")
    parser.add_argument("--workers", type=int, default=2, help="parallel uploads (default 2)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting (STORAGE_S3_*)")
    add_s3_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archive.layout import default_spool_root
    from archive.storage.spool import find_spools
    from archive.storage.uploader import upload_pending
    from crawler.errors import ConfigError

    # What the journal recorded wins over the settings; the command line wins over both.
    try:
        defaults = s3_options_from_project_settings(args.set)
    except ConfigError as exc:
        print(f"newsarchive: bad config: {exc}", file=sys.stderr)
        return 2
    overrides = s3_options_given(args)
    root = Path(args.spool) if args.spool else default_spool_root()
    if not root.is_dir():
        print(f"newsarchive: no spool directory {root}", file=sys.stderr)
        return 2 if args.spool else 0
    spools = find_spools(root)
    if not spools:
        print(f"nothing pending in {root}")
        return 0
    status = 0
    for spool in spools:
        try:
            report = upload_pending(spool, workers=args.workers, defaults=defaults,
                                    **overrides)
        except StorageConfigError as exc:
            print(f"newsarchive: {spool}: {exc}", file=sys.stderr)
            return 2
        except (SpoolBusyError, StorageError) as exc:
            print(f"newsarchive: {spool}: {exc}", file=sys.stderr)
            status = 1
            continue
        for line in report.recovered:
            print(f"{spool}: {line}")
        print(f"{spool}: {len(report.stored)} stored, {len(report.failed)} not stored"
              + (f", {report.aborted_uploads} stale multipart upload(s) aborted"
                 if report.aborted_uploads else ""))
        for key, problem in sorted(report.failed.items()):
            print(f"  NOT STORED {key}: {problem}")
        for key in report.unjournaled:
            print(f"  LEFT IN SPOOL {key}: never recorded as closed (possibly incomplete)")
        if report.failed or report.unjournaled:
            status = 1
    return status

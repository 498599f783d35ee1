"""`newsarchive crawl SITE.yaml [SITE.yaml…] --out DIR`"""

from __future__ import annotations

import argparse
import sys

from crawler.config import load_site_config
from crawler.errors import ConfigError, StorageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("crawl", help="crawl the sites of the given YAML configs")
    parser.add_argument("sites", nargs="+", metavar="SITE.yaml")
    add_output_arguments(parser)
    parser.add_argument("--redis", metavar="URL", default=None,
                        help="only seed a shared Redis frontier for `newsarchive worker`s")
    parser.set_defaults(func=run)


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="DIR", default=None, help="output directory (default ./newsarchive-data)")
    where.add_argument("--storage", metavar="URI", default=None, help="storage URI, e.g. s3://bucket/prefix")
    parser.add_argument("--max-articles", type=int, default=None, metavar="N", help="stop after N articles")
    parser.add_argument("--no-extract", action="store_true", help="archive only; JSONL later with reextract")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="a Scrapy setting")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")


def settings_from_args(args: argparse.Namespace) -> dict:
    from crawler.run import quiet_logging

    overrides = quiet_logging(args.verbose)
    overrides["NEWSARCHIVE_OUTPUT"] = args.storage or args.out or "newsarchive-data"
    if args.max_articles:
        overrides["CLOSESPIDER_ITEMCOUNT"] = args.max_articles
    if args.no_extract:
        overrides["NEWSARCHIVE_EXTRACT"] = False
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError("-s", f"expected NAME=VALUE, got {item!r}")
        overrides[name] = value
    return overrides


def run(args: argparse.Namespace) -> int:
    from crawler.cli.summary import summarize
    from crawler.run import run_crawls

    try:
        sites = [load_site_config(path) for path in args.sites]
        overrides = settings_from_args(args)
    except ConfigError as exc:
        print(f"newsarchive: bad config: {exc}", file=sys.stderr)
        return 2
    if args.redis:
        from crawler.cli.worker_cmd import seed_frontier

        return seed_frontier(sites, args)
    try:
        results = run_crawls(sites, overrides)
    except StorageError as exc:
        print(f"newsarchive: output {overrides['NEWSARCHIVE_OUTPUT']!r} unusable: {exc}", file=sys.stderr)
        return 2
    print(summarize(results, overrides["NEWSARCHIVE_OUTPUT"]))
    return 0 if all(r.ok for r in results) else 1

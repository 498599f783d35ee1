"""`newsarchive crawl SITE.yaml [SITE.yaml…] --out DIR`"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from crawler.config import SiteConfig, load_site_config
from crawler.errors import ConfigError, FrontierError, StorageError


def register(subparsers: argparse._SubParsersAction) -> None:
    from crawler.cli.redis_args import add_redis_arguments

    parser = subparsers.add_parser("crawl", help="crawl the sites of the given YAML configs")
    parser.add_argument("sites", nargs="+", metavar="SITE.yaml")
    add_output_arguments(parser)
    add_redis_arguments(parser, seeding=True)
    parser.set_defaults(func=run)


def max_articles(text: str) -> int:
    """``--max-articles``: a whole number of records, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be 1 or more, got {value} (to archive without records use --no-extract)")
    return value


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="DIR", default=None, help="output directory (default ./newsarchive-data)")
    where.add_argument("--storage", metavar="URI", default=None, help="storage URI, e.g. s3://bucket/prefix")
    parser.add_argument("--max-articles", type=max_articles, default=None, metavar="N",
                        help="stop after exactly N article records (N >= 1)")
    parser.add_argument("--no-extract", action="store_true", help="archive only; JSONL later with reextract")
    parser.add_argument("--full", action="store_true",
                        help="fetch every article again, known ones too (a complete recrawl)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="a Scrapy setting")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")


def settings_from_args(args: argparse.Namespace) -> dict:
    """Settings overrides from the command line; ``ConfigError`` for a bad ``-s`` or
    contradictory options.  A ``-s`` name nobody knows gets a one-line warning."""
    from crawler.run import quiet_logging

    overrides = quiet_logging(args.verbose)
    overrides["NEWSARCHIVE_OUTPUT"] = args.storage or args.out or "newsarchive-data"
    if args.max_articles is not None:
        if args.no_extract:
            raise ConfigError("--max-articles",
                              "counts article records, and --no-extract writes none")
        overrides["NEWSARCHIVE_MAX_ARTICLES"] = args.max_articles
    if args.no_extract:
        overrides["NEWSARCHIVE_EXTRACT"] = False
    if args.full:
        overrides["NEWSARCHIVE_FULL_CRAWL"] = True
    overrides.update(set_options(args.set))
    check_allowed_networks(overrides.get("NEWSARCHIVE_ALLOWED_NETWORKS"))
    check_watchdog_limits(overrides)
    return overrides


def set_options(items: list[str]) -> dict[str, str]:
    """The ``-s NAME=VALUE`` options; ``ConfigError`` for a malformed one.  A name nobody
    knows gets a one-line warning."""
    from crawler.cli.setting_names import unknown_setting_warning

    overrides = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ConfigError("-s", f"expected NAME=VALUE, got {item!r}")
        warning = unknown_setting_warning(name)
        if warning:
            print(f"newsarchive: warning: {warning}", file=sys.stderr)
        overrides[name] = value
    return overrides


def check_watchdog_limits(overrides: dict[str, Any]) -> None:
    """A bad ``-s NEWSARCHIVE_MAX_RUN_SECONDS`` / ``NEWSARCHIVE_IDLE_SECONDS`` is bad usage."""
    from scrapy.settings import BaseSettings

    from crawler.watchdog import watchdog_limits

    try:
        watchdog_limits(BaseSettings(overrides))
    except ValueError as exc:
        raise ConfigError("-s", str(exc)) from None


def check_allowed_networks(value: Any) -> None:
    """A bad ``-s NEWSARCHIVE_ALLOWED_NETWORKS`` is bad usage, not a crawl that reaches nothing."""
    if value is None:
        return
    from scrapy.settings import BaseSettings

    from crawler.address_guard import parse_networks

    try:
        parse_networks(BaseSettings({"N": value}).getlist("N"))
    except ValueError as exc:
        raise ConfigError("-s", str(exc)) from None


def crawl_and_report(sites: list[SiteConfig], overrides: dict[str, Any],
                     configure: Any = None, before_summary: Any = None) -> int:
    """Run the crawls, print the summary (after ``before_summary()``'s lines, if given); the
    exit status (2 when the output is unusable)."""
    from crawler.cli.summary import summarize
    from crawler.run import run_crawls

    try:
        results = run_crawls(sites, overrides, configure)
    except ConfigError as exc:  # found once settings are known (render: true without Chromium)
        print(f"newsarchive: bad config: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"newsarchive: output {overrides['NEWSARCHIVE_OUTPUT']!r} unusable: {exc}",
              file=sys.stderr)
        return 2
    if before_summary is not None:
        before_summary()
    print(summarize(results, overrides["NEWSARCHIVE_OUTPUT"]), flush=True)
    return 0 if all(r.ok for r in results) else 1


def run(args: argparse.Namespace) -> int:
    try:
        sites = [load_site_config(path) for path in args.sites]
        overrides = settings_from_args(args) if args.redis is None else {}
    except ConfigError as exc:
        print(f"newsarchive: bad config: {exc}", file=sys.stderr)
        return 2
    if args.redis is not None:
        from crawler.cli.redis_args import redis_url
        from crawler.cli.worker_cmd import seed_frontier

        try:
            url = redis_url(args)
        except FrontierError as exc:
            print(f"newsarchive: {exc}", file=sys.stderr)
            return 2
        return seed_frontier(sites, args, url)
    return crawl_and_report(sites, overrides)

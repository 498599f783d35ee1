"""`newsarchive worker --redis URL [--out DIR | --storage URI] [--idle-exit SECONDS]`

A scale-out worker: crawls every site seeded in Redis, sharing its frontier with other workers
so no URL is fetched twice, and writes its own WARCs, JSONL and manifest under its own crawl id.
The password may come from ``--redis-password-file`` so ``ps`` never shows it. Exit 0 success,
1 finished with problems, 2 bad usage or config, or Redis or the output unusable.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from crawler.cli.crawl_cmd import add_output_arguments, crawl_and_report, settings_from_args
from crawler.cli.redis_args import add_redis_arguments, redis_url
from crawler.config import SiteConfig
from crawler.errors import ConfigError, FrontierError


# Settings a worker cannot take per worker: the site config's politeness is held through
# Redis by all workers together (crawler.frontier.hosts).
SHARED_POLITENESS = {
    "DOWNLOAD_DELAY": "set download_delay in the site config (all workers share it)",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "set concurrency in the site config (all workers share it)",
    "AUTOTHROTTLE_ENABLED": "workers pace every host by the site's download_delay, shared",
}


# The frontier's own settings, checked before any crawler starts (a bad one would otherwise
# fail inside Scrapy's start-up).
POSITIVE_SECONDS = ("NEWSARCHIVE_FRONTIER_WORKER_TTL", "NEWSARCHIVE_FRONTIER_POLL_INTERVAL")


def _positive_number(value: Any) -> bool:
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "worker", help="crawl the sites seeded in a shared Redis frontier (scale-out)"
    )
    add_redis_arguments(parser, seeding=False)
    parser.add_argument(
        "--idle-exit", metavar="SECONDS", type=float, default=None,
        help="stop once the frontier has been empty this long (default: wait until stopped)",
    )
    add_output_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from crawler.frontier import (
        Frontier,
        RedisFrontierScheduler,
        attach_frontier,
        connect,
        mask_url,
        seeded_sites,
    )
    from crawler.run import crawl_settings

    if args.idle_exit is not None and not args.idle_exit >= 0:
        print("newsarchive: --idle-exit must be a number of seconds >= 0", file=sys.stderr)
        return 2
    idle_exit = math.inf if args.idle_exit is None else args.idle_exit
    try:
        overrides = settings_from_args(args)
        url = redis_url(args)
        server = connect(url)
        sites = seeded_sites(server)
    except ConfigError as exc:
        print(f"newsarchive: bad config: {exc}", file=sys.stderr)
        return 2
    except FrontierError as exc:
        print(f"newsarchive: {exc}", file=sys.stderr)
        return 2
    for name in POSITIVE_SECONDS:
        if name in overrides and not _positive_number(overrides[name]):
            print(f"newsarchive: -s {name} must be a number of seconds > 0, "
                  f"not {overrides[name]!r}", file=sys.stderr)
            return 2
    per_worker = sorted({item.partition("=")[0] for item in args.set} & SHARED_POLITENESS.keys())
    if per_worker:
        print(f"newsarchive: -s {per_worker[0]} does not apply to workers: "
              f"{SHARED_POLITENESS[per_worker[0]]}", file=sys.stderr)
        return 2
    where = mask_url(url)
    if not sites:
        print(f"newsarchive: no site seeded in Redis at {where}: "
              "run `newsarchive crawl SITE.yaml --redis URL` first", file=sys.stderr)
        return 2
    overrides["SCHEDULER"] = f"{RedisFrontierScheduler.__module__}.{RedisFrontierScheduler.__name__}"
    # outermost (order 1): they see a popped request's end, so its in-flight entry can go
    settings = crawl_settings(overrides)  # the project's, under -s
    # and nearest the download but for the capture (940): a request waits for its host's turn
    overrides["DOWNLOADER_MIDDLEWARES"] = {
        **settings.getdict("DOWNLOADER_MIDDLEWARES"),
        "crawler.frontier.middlewares.FrontierDoneDownloaderMiddleware": 1,
        "crawler.frontier.middlewares.FrontierPaceDownloaderMiddleware": 940,
    }
    # The site's download_delay and concurrency are held per host by all workers together
    # through Redis (crawler.frontier.hosts): the worker's own downloader must not wait again.
    overrides["DOWNLOAD_DELAY"] = 0
    overrides["AUTOTHROTTLE_ENABLED"] = False
    overrides["SPIDER_MIDDLEWARES"] = {**settings.getdict("SPIDER_MIDDLEWARES"),
                                       "crawler.frontier.middlewares.FrontierDoneSpiderMiddleware": 1}
    overrides["FRONTIER_SHARED"] = True
    crawlers: list[Any] = []

    def configure(crawler: Any, site: SiteConfig) -> None:
        attach_frontier(crawler, Frontier(server, site.name, idle_exit,
                                          download_delay=site.download_delay,
                                          concurrency=site.concurrency))
        crawlers.append(crawler)

    print(f"Worker on the frontier in Redis at {where}: {', '.join(s.name for s in sites)}",
          flush=True)
    def report_idle_exits() -> None:
        for crawler, site in zip(crawlers, sites):
            if crawler.stats and crawler.stats.get_value("frontier/idle_exit"):
                print(f"Site {site.name}: frontier empty for {args.idle_exit:g} s, worker stopped")

    return crawl_and_report(sites, overrides, configure, before_summary=report_idle_exits)


def seed_frontier(sites: list[SiteConfig], args: argparse.Namespace, url: str) -> int:
    """`crawl SITE.yaml… --redis URL`: seed the shared frontier for workers, fetch nothing."""
    from crawler.frontier import connect, mask_url, seed

    given = [flag for flag, value in (("--out", args.out), ("--storage", args.storage),
                                      ("--max-articles", args.max_articles),
                                      ("--no-extract", args.no_extract), ("-s", args.set))
             if value]
    if given:
        print(f"newsarchive: crawl --redis only seeds the frontier; give {', '.join(given)} "
              "to `newsarchive worker`", file=sys.stderr)
        return 2
    try:
        server = connect(url)
        counts = [seed(server, site) for site in sites]
    except FrontierError as exc:
        print(f"newsarchive: {exc}", file=sys.stderr)
        return 2
    where = mask_url(url)
    for site, count in zip(sites, counts):
        print(f"Site {site.name}: seeded {count} start requests into Redis at {where}")
    print("Run workers with: newsarchive worker --redis URL [--out DIR | --storage URI] "
          "[--idle-exit SECONDS]")
    return 0

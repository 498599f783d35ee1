"""`newsarchive demo [--out DIR]`: serve the bundled demo news site on loopback and crawl it."""

from __future__ import annotations

import argparse
import sys

from crawler.cli.crawl_cmd import add_output_arguments, crawl_and_report, settings_from_args
from crawler.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="serve the bundled demo news site on 127.0.0.1 and crawl it"
    )
    add_output_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from crawler.config import site_config_from_dict
    from crawler.demo.server import DemoServer
    from crawler.demo.site import DemoSite

    try:
        overrides = settings_from_args(args)
    except ConfigError as exc:
        print(f"newsarchive: bad config: {exc}", file=sys.stderr)
        return 2
    with DemoServer(DemoSite()) as server:
        print(f"Demo news site at {server.base_url}/", file=sys.stderr)
        site = site_config_from_dict(server.site.site_config(server.base_url), "<demo>")
        return crawl_and_report([site], overrides)

"""The ``newsarchive`` console script: one module per command.

Each command module exposes ``register(subparsers)`` which adds its parser and sets
``func`` (called with the parsed args, returning the exit status).
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ["demo", "crawl", "extract", "reextract", "verify", "replay", "wacz", "upload",
            "schedule", "status", "history", "worker"]


def version_line() -> str:
    from pipelines.versions import EXTRACTOR_NAME, EXTRACTOR_VERSION, PACKAGE_VERSION

    return f"newsarchive {PACKAGE_VERSION} (extractor {EXTRACTOR_NAME} {EXTRACTOR_VERSION})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsarchive",
        description="Crawl news sites into WARC archives and article JSONL.",
    )
    parser.add_argument("--version", action="version", version=version_line(),
                        help="show newsarchive's version and its extractor's, and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"crawler.cli.{name}_cmd").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    status = args.func(args)
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())

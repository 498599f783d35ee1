"""The ``newsarchive`` console script: one module per command.

Each command module exposes ``register(subparsers)`` which adds its parser and sets
``func`` (called with the parsed args, returning the exit status).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

COMMANDS = ["demo", "init", "crawl", "extract", "reextract", "verify", "replay", "wacz", "upload",
            "schedule", "status", "history", "worker", "recover", "report"]


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


# What a shell reports for a program SIGPIPE ended: the reader (`| head`) stopped reading.
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # Nothing more can be shown; point stdout at /dev/null so the interpreter's own
        # flush at exit does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())

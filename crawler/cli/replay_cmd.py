"""`newsarchive replay`: browse an archive's WARCs through pywb.

    newsarchive replay DIR_OR_S3_URI [--port P]

pywb runs from its own virtualenv, made on first use (see ``archive.replay``).  An S3
archive is first copied (WARCs and indexes listed in its manifests) to a local cache.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="serve the archive's WARCs through pywb on 127.0.0.1",
        description="Replay the WARCs of an archive (a directory or s3://bucket/prefix) "
                    "with pywb, installed on first use in its own virtualenv "
                    "(NEWSARCHIVE_PYWB_VENV, default $XDG_CACHE_HOME/newsarchive/pywb-venv).",
    )
    parser.add_argument("archive", metavar="DIR_OR_S3", help="archive directory or s3:// URI")
    parser.add_argument("--port", type=int, default=8080,
                        help="port on 127.0.0.1 (default 8080; 0 picks a free one)")
    parser.add_argument("--s3-endpoint-url", help="S3 endpoint (MinIO, moto…)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archive.replay import (
        ReplayError,
        article_links,
        fetch_s3_archive,
        s3_cache_dir,
        start_replay,
        wait_forever,
    )
    from archive.storage.errors import StorageError

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if not 0 <= args.port < 65536:
        say(f"newsarchive replay: --port {args.port} is not a port number")
        return 2
    source = str(args.archive)
    losses: list[str] = []
    try:
        if source.startswith("s3://"):
            archive = s3_cache_dir(source)
            say(f"Copying the WARCs of {source} to {archive} …")
            options = {"endpoint_url": args.s3_endpoint_url} if args.s3_endpoint_url else {}
            fetch_s3_archive(source, archive, losses, **options)
        else:
            archive = Path(source)
            if not archive.is_dir():
                say(f"newsarchive replay: {archive} is not a directory")
                return 2
        server = start_replay(archive, port=args.port, say=say, losses=losses)
    except (ReplayError, StorageError) as exc:
        say_losses(losses, say)
        say(f"newsarchive replay: {exc}")
        return 1
    say_losses(losses, say)
    colls = ", ".join(server.collections)
    lines = [
        f"pywb is replaying {archive} at {server.base_url}/ (collections: {colls})",
        "  browse:   " + " ".join(f"{server.base_url}/{c}/*/<url>" for c in server.collections),
        f"  raw:      {server.base_url}/<collection>/<YYYYMMDDhhmmss>id_/<url>  (archived bytes)",
        f"  index:    {server.base_url}/<collection>/cdx?url=<url>",
    ]
    links = article_links(archive, server)
    if links:
        lines.append("  articles:")
        lines += [f"    {url}   {title}" for title, url in links]
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)
    status = wait_forever(server)
    return 0 if status in (0, -15) and not losses else 1


MAX_LOST_NAMED = 20


def say_losses(losses: list[str], say: Callable[[str], None]) -> None:
    if not losses:
        return
    say(f"LOST: {len(losses)} unreadable part(s) of the archive, not replayed:")
    for what in losses[:MAX_LOST_NAMED]:
        say(f"  {what}")
    if len(losses) > MAX_LOST_NAMED:
        say(f"  … and {len(losses) - MAX_LOST_NAMED} more")

"""Where `crawl --redis` and `worker` find the Redis URL, so no password need be in ``ps``.

The URL comes from ``--redis URL`` or the environment variable ``NEWSARCHIVE_REDIS_URL``;
``--redis-password-file FILE`` supplies the password (the file's first line).  Messages show
the URL with any credentials masked.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

from crawler.errors import FrontierError

REDIS_URL_ENV = "NEWSARCHIVE_REDIS_URL"
# `crawl SITE.yaml --redis` without a value: the URL is in the environment.
FROM_ENVIRONMENT = ""


def add_redis_arguments(parser: argparse.ArgumentParser, *, seeding: bool) -> None:
    if seeding:
        parser.add_argument(
            "--redis", metavar="URL", nargs="?", const=FROM_ENVIRONMENT, default=None,
            help=f"only seed a shared Redis frontier for `newsarchive worker`s (URL: here, or "
                 f"${REDIS_URL_ENV} when --redis is given without one)")
    else:
        parser.add_argument(
            "--redis", metavar="URL", default=None,
            help="redis://[:password@]host:port/db of the shared frontier "
                 f"(default ${REDIS_URL_ENV})")
    parser.add_argument("--redis-password-file", metavar="FILE", default=None,
                        help="read the Redis password from FILE (its first line)")


def redis_url(args: argparse.Namespace) -> str:
    """The URL to connect to, password included; ``FrontierError`` (one line, no secret)."""
    url = args.redis or os.environ.get(REDIS_URL_ENV, "")
    if not url:
        raise FrontierError(f"no Redis URL: give --redis URL or set {REDIS_URL_ENV}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (validates the port)
    except ValueError as exc:
        raise FrontierError(f"bad Redis URL: {exc}") from None
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise FrontierError("bad Redis URL: the scheme must be redis://, rediss:// or unix://")
    if args.redis_password_file:
        password = read_password(args.redis_password_file)
        url = urlunsplit(parts._replace(netloc=with_password(parts, password)))
    return url


def read_password(path: str) -> str:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FrontierError(f"--redis-password-file {path}: cannot read: "
                            f"{getattr(exc, 'strerror', None) or type(exc).__name__}") from None
    if not lines or not lines[0]:
        raise FrontierError(f"--redis-password-file {path}: the first line is empty")
    return lines[0]


def with_password(parts: SplitResult, password: str) -> str:
    """The netloc of ``parts`` with ``password`` replacing any given."""
    user = quote(parts.username or "", safe="")
    host = parts.netloc.rpartition("@")[2]
    return f"{user}:{quote(password, safe='')}@{host}"

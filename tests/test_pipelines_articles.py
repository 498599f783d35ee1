"""The extraction pipeline's worker pool: workers never outlive a killed crawl."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pipelines.responses import looks_binary

WORKER_SCRIPT = """
import os, sys, time, multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pipelines.articles import watch_parent
pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"),
                           initializer=watch_parent, initargs=(os.getpid(),))
print(pool.submit(os.getpid).result(), flush=True)
time.sleep(600)
"""


def test_workers_exit_after_the_crawl_is_killed() -> None:
    proc = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    worker = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(worker, signal.SIGKILL)
    pytest.fail("extraction worker outlived the killed crawl")


@pytest.mark.parametrize(
    ("body", "binary"),
    [(b"<html><body>Hello</body></html>", False), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", True),
     ("<p>Ünïcödé ✓ 中文</p>".encode(), False), (b"", False)],
)
def test_looks_binary(body: bytes, binary: bool) -> None:
    assert looks_binary(body) is binary

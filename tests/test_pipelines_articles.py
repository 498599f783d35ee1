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


def test_schema_fast_path_agrees_with_jsonschema() -> None:
    from pipelines.extract import extract_page
    from pipelines.responses import build_record
    from pipelines.validate import record_errors, record_validator

    html = ("<html><head><title>Harbour reopens</title></head><body><article><h1>Harbour reopens"
            "</h1>" + "<p>The harbour reopened on Monday after a week of repairs.</p>" * 30
            + "</article></body></html>")
    extraction = extract_page(html, "https://news.example/2025/03/15/harbour-reopens/")
    pointer = {"filename": "a.warc.gz", "offset": 0, "length": 10,
               "record_id": "<urn:uuid:00000000-0000-4000-8000-000000000001>",
               "payload_digest": "sha1:" + "A" * 32}
    good = build_record({"url": "https://news.example/2025/03/15/harbour-reopens/",
                         "fetched_at": "2025-03-15T10:00:00.000000Z", "http_status": 200,
                         "site": "news", "warc": pointer},
                        extraction, "20250315T100000Z-abcdef")
    assert record_errors(good) == [] == list(record_validator().iter_errors(good))
    for bad in ({**good, "authors": "x"}, {**good, "extra": 1}, {**good, "word_count": -1},
                {k: v for k, v in good.items() if k != "title"}, {**good, "schema_version": 2}):
        errors = record_errors(bad)
        assert errors and len(errors) == len(list(record_validator().iter_errors(bad)))

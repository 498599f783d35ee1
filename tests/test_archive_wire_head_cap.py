"""The response head cap (``NEWSARCHIVE_MAX_RESPONSE_HEAD``): a hostile head of 100,000 header
lines fails its download as it arrives, counted and logged, and is never archived."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from twisted.internet.testing import StringTransport
from twisted.web._newclient import Request as TxRequest
from twisted.web.http_headers import Headers

from archive.wire import DEFAULT_MAX_RESPONSE_HEAD, ResponseHeadTooLarge, WireHTTPClientParser
from crawler.settings import NEWSARCHIVE_MAX_RESPONSE_HEAD
from tests.servers.wire_routes import HUGE_HEAD_LINES, WireServer
from tests.test_archive_records import fastwarc_verify
from tests.test_archive_wire import exchanges

REPO = Path(__file__).resolve().parents[1]


def crawl(out: Path, urls: list[str], **settings: object) -> tuple[dict, str]:
    """(stats, log) of one crawl of ``urls`` in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.servers.wire_routes", str(out), json.dumps(settings), *urls],
        cwd=REPO, check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


@pytest.fixture(scope="module")
def server() -> Iterator[WireServer]:
    with WireServer() as running:
        yield running


def test_default_cap_is_256_kib() -> None:
    assert NEWSARCHIVE_MAX_RESPONSE_HEAD == DEFAULT_MAX_RESPONSE_HEAD == 256 * 1024


def test_hostile_head_is_counted_logged_and_not_archived(server: WireServer,
                                                         tmp_path: Path) -> None:
    hostile = server.url("/huge-head")
    stats, log = crawl(tmp_path, [hostile, server.url("/cookies")], RETRY_ENABLED=True)
    assert stats["wire/head_too_large"] == 1  # counted once: never retried
    assert stats["downloader/exception_type_count/archive.wire.ResponseHeadTooLarge"] == 1
    assert f"Response head of {hostile} over {256 * 1024} bytes" in log
    archived = exchanges(tmp_path)
    assert "huge-head" not in archived
    assert archived["cookies"].response_type == "response"  # the crawl went on
    (warc,) = tmp_path.rglob("*.warc.gz")
    assert "response" in fastwarc_verify(warc)


def test_cap_is_the_setting(server: WireServer, tmp_path: Path) -> None:
    # The /cookies head is about 200 bytes; those of /status/200 and robots.txt under 80.
    stats, _ = crawl(tmp_path, [server.url("/cookies"), server.url("/status/200")],
                     NEWSARCHIVE_MAX_RESPONSE_HEAD=150)
    assert stats["wire/head_too_large"] == 1
    archived = exchanges(tmp_path)
    assert {"robots.txt", "status/200"} <= set(archived) and "cookies" not in archived


def test_parser_stops_within_one_line_of_the_cap() -> None:
    parser = WireHTTPClientParser(TxRequest(b"GET", b"/", Headers({}), None), lambda rest: None)
    parser.max_head = 4096
    parser.makeConnection(StringTransport())
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(
        b"X-Filler-%06d: v\r\n" % n for n in range(HUGE_HEAD_LINES))
    fed = 0
    with pytest.raises(ResponseHeadTooLarge):
        for start in range(0, len(head), 1024):
            parser.dataReceived(head[start:start + 1024])
            fed = start + 1024
    assert fed <= 4096 + 1024  # the chunk holding the line past the cap was the last one
    assert 4096 < parser._head_bytes <= 4096 + len(b"X-Filler-000000: v\r\n")
    assert len(parser._wire_lines) < 4096 // 19

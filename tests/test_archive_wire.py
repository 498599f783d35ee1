"""Wire fidelity: a real Scrapy crawl of raw local routes through ``archive.wire``'s
download handler and the capture middleware; the WARC must show each exchange as sent."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.servers.wire_routes import (
    BIG_BODY,
    CHUNKS,
    COOKIES_BODY,
    GZIP_BODY,
    GZIP_TEXT,
    PHOTO_BODY,
    WireServer,
)
from tests.test_archive_records import fastwarc_verify, members, warcio_check

REPO = Path(__file__).resolve().parents[1]


def run_crawl(out: Path, urls: list[str], **settings: object) -> dict:
    """One crawl in a fresh process (a Twisted reactor runs once per process)."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.servers.wire_routes", str(out), json.dumps(settings), *urls],
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@dataclass
class Exchange:
    request: bytes  # the request block
    response_type: str
    warc_headers: dict[str, str]
    block: bytes  # the response record block, raw
    payload: bytes


def exchanges(out: Path) -> dict[str, Exchange]:
    """Target path (after the host) → the exchange archived for it."""
    requests: dict[str, bytes] = {}
    responses: list[tuple[str, dict[str, str], bytes, str]] = []
    for path in sorted(out.rglob("*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle, no_record_parse=True):
                headers = dict(record.rec_headers.headers)
                raw = record.raw_stream.read()
                if record.rec_type == "request":
                    requests[headers["WARC-Concurrent-To"]] = raw
                elif record.rec_type in ("response", "revisit"):
                    responses.append((record.rec_type, headers, raw, headers["WARC-Record-ID"]))
    found = {}
    for rec_type, headers, raw, record_id in responses:
        payload = raw[raw.find(b"\r\n\r\n") + 4 :]
        target = headers["WARC-Target-URI"].split("/", 3)[3]
        found[target] = Exchange(requests.get(record_id, b""), rec_type, headers, raw, payload)
    return found


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WireServer, Path, dict]]:
    out = tmp_path_factory.mktemp("wire")
    with WireServer() as server:
        paths = [
            "/cookies",
            "/echo?q=caf%C3%A9&b=two",
            "/gzip",
            "/chunked",
            "/status/404",
            "/big",
            "/big-chunked",
            "/drop",
            "/photo.jpg",
        ]
        stats = run_crawl(out, [server.url(p) for p in paths], DOWNLOAD_MAXSIZE=100_000)
        yield server, out, stats


def test_a_payload_that_does_not_compress_is_stored_not_deflated(
        crawl: tuple[WireServer, Path, dict]) -> None:
    _, out, stats = crawl
    assert exchanges(out)["photo.jpg"].payload == PHOTO_BODY
    # the gzip page and the photo; the pages and /big's bytes compress, so they are deflated
    assert stats["warc/payloads_stored"] == 2


def test_warc_valid_for_every_reader(crawl: tuple[WireServer, Path, dict]) -> None:
    _, out, stats = crawl
    (path,) = list(out.rglob("*.warc.gz"))
    assert not list(out.rglob("*.open"))
    members(path.read_bytes())
    types = fastwarc_verify(path)
    assert types[0] == "warcinfo" and types.count("request") == types.count("response") == 10
    warcio_check(path)
    assert stats["warc/truncated/length"] == 2 and stats["warc/truncated/disconnect"] == 1


def test_status_line_and_repeated_headers_as_sent(crawl: tuple[WireServer, Path, dict]) -> None:
    server, out, _ = crawl
    exchange = exchanges(out)["cookies"]
    assert exchange.block == (
        b"HTTP/1.1 200 Fine Thanks\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n"
        b"Set-Cookie: a=1; Path=/\r\n"
        b"x-lower-case: kept\r\n"
        b"Set-Cookie: b=2; Path=/; HttpOnly\r\n"
        b"X-Odd-CASING:  two  spaces\r\n"
        b"Content-Length: 33\r\n"
        b"\r\n" + COOKIES_BODY
    )
    assert exchange.warc_headers["WARC-IP-Address"] == "127.0.0.1"
    assert exchange.warc_headers["WARC-Target-URI"] == server.url("/cookies")


def test_request_head_as_written(crawl: tuple[WireServer, Path, dict]) -> None:
    server, out, _ = crawl
    target = "echo?q=caf%C3%A9&b=two"
    request = exchanges(out)[target].request
    request = request[: request.find(b"\r\n\r\n") + 4]
    host = server.base_url.removeprefix("http://")
    lines = request.split(b"\r\n")
    assert lines[0] == b"GET /echo?q=caf%C3%A9&b=two HTTP/1.1"
    assert request.endswith(b"\r\n\r\n")
    assert f"Host: {host}".encode() in lines
    assert b"User-Agent: newsarchive-test/1.0" in lines
    # The cookies set by /cookies went out with the next request, and the archive says so.
    assert b"Cookie: a=1; b=2" in lines
    # What the server received is what the request record holds (the echo route).
    echoed = exchanges(out)[target].payload
    assert echoed.split(b"\n")[0] == lines[0]
    sent = {line.lower() for line in lines[1:] if line}
    assert sent == {line.lower() for line in echoed.split(b"\n")[1:] if line}


def test_gzip_kept_compressed(crawl: tuple[WireServer, Path, dict]) -> None:
    _, out, _ = crawl
    exchange = exchanges(out)["gzip"]
    assert b"\r\nContent-Encoding: gzip\r\n" in exchange.block
    assert exchange.payload == GZIP_BODY
    assert gzip.decompress(exchange.payload) == GZIP_TEXT


def test_chunked_body_stored_dechunked(crawl: tuple[WireServer, Path, dict]) -> None:
    _, out, _ = crawl
    exchange = exchanges(out)["chunked"]
    head = exchange.block[: exchange.block.find(b"\r\n\r\n")]
    assert head.split(b"\r\n") == [
        b"HTTP/1.1 200 OK",
        b"Content-Type: text/html",
        b"X-Archive-Orig-Transfer-Encoding: chunked",
    ]
    assert exchange.payload == b"".join(CHUNKS)


def test_error_page_with_its_own_reason(crawl: tuple[WireServer, Path, dict]) -> None:
    _, out, _ = crawl
    exchange = exchanges(out)["status/404"]
    assert exchange.block.startswith(b"HTTP/1.1 404 Custom\r\n")
    assert exchange.payload == b"status 404"


def test_size_limit_and_disconnect_archived_truncated(crawl: tuple[WireServer, Path, dict]) -> None:
    _, out, _ = crawl
    found = exchanges(out)
    announced = found["big"]  # Content-Length over the limit: cancelled before the body
    assert announced.warc_headers["WARC-Truncated"] == "length"
    assert b"\r\nContent-Length: 204800\r\n" in announced.block and announced.payload == b""
    streamed = found["big-chunked"]  # no length announced: cut once over the limit
    assert streamed.warc_headers["WARC-Truncated"] == "length"
    assert streamed.payload == BIG_BODY[:100_000]
    assert b"X-Archive-Orig-Transfer-Encoding: chunked" in streamed.block
    dropped = found["drop"]
    assert dropped.warc_headers["WARC-Truncated"] == "disconnect"
    assert dropped.payload == b"x" * 100


def test_robots_txt_archived(crawl: tuple[WireServer, Path, dict]) -> None:
    _, out, _ = crawl
    assert exchanges(out)["robots.txt"].payload == b"User-agent: *\nAllow: /\n"


def test_handler_changes_nothing_global() -> None:
    import twisted.web._newclient as newclient
    from scrapy.core.downloader.handlers import http11

    import archive.wire  # noqa: F401

    assert newclient.HTTPClientParser.lineReceived.__module__ == "twisted.web._newclient"
    assert newclient.Request._writeHeaders.__module__ == "twisted.web._newclient"
    assert http11._ResponseReader.dataReceived.__module__ == http11.__name__

"""A raw HTTP/1.1 server whose responses are written byte for byte, for wire-fidelity tests.

``http.server`` would add its own ``Server``/``Date`` headers and the standard reason
phrase; these routes write the status line and header block themselves, so a test knows
exactly what was on the wire:

- ``/cookies``      reason phrase "Fine Thanks", two ``Set-Cookie``, odd header casing
- ``/echo?...``     the request's target and headers echoed as the body
- ``/gzip``         ``Content-Encoding: gzip`` body
- ``/chunked``      ``Transfer-Encoding: chunked`` body in three chunks
- ``/big``          a 200 KB body with Content-Length (for ``DOWNLOAD_MAXSIZE``)
- ``/big-chunked``  the same, chunked (no length announced)
- ``/photo.jpg``    an 80 KB body that does not compress (as a JPEG's), ``image/jpeg``
- ``/drop``         announces 1000 bytes, sends 100, closes the connection
- ``/same``         the same body every time (revisit dedup)
- ``/robots.txt``   allows everything
- ``/status/N``     status N with a short body
- ``/huge-head``    a hostile head: 100,000 header lines (about 2 MB) before a short body

``WireServer`` runs on 127.0.0.1, port 0, in a thread; use it as a context manager.
"""

from __future__ import annotations

import gzip
import random
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit

GZIP_TEXT = b"<html><body>" + b"<p>compressed news</p>" * 200 + b"</body></html>"
GZIP_BODY = gzip.compress(GZIP_TEXT, mtime=0)
CHUNKS = [b"<html><body>", b"<p>chunked news</p>" * 50, b"</body></html>"]
BIG_BODY = bytes(range(256)) * 800  # 204,800 bytes
PHOTO_BODY = b"\xff\xd8\xff\xe0" + random.Random(7).randbytes(80_000)
SAME_BODY = b"<html><body><p>Unchanged article</p></body></html>"
HUGE_HEAD_LINES = 100_000
COOKIES_BODY = b"<html><body>cookies</body></html>"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status_line: bytes, headers: list[bytes], body: bytes) -> None:
        head = status_line + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n"
        self.wfile.write(head + body)
        self.wfile.flush()

    def _send_chunked(self, status_line: bytes, headers: list[bytes], chunks: list[bytes]) -> None:
        head = status_line + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n"
        framed = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
        self.wfile.write(head + framed)
        self.wfile.flush()

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        ok = b"HTTP/1.1 200 OK"
        length = lambda body: b"Content-Length: %d" % len(body)
        if path == "/cookies":
            self._send(
                b"HTTP/1.1 200 Fine Thanks",
                [
                    b"Content-Type: text/html; charset=utf-8",
                    b"Set-Cookie: a=1; Path=/",
                    b"x-lower-case: kept",
                    b"Set-Cookie: b=2; Path=/; HttpOnly",
                    b"X-Odd-CASING:  two  spaces",
                    length(COOKIES_BODY),
                ],
                COOKIES_BODY,
            )
        elif path == "/echo":
            body = self.requestline.encode("latin-1") + b"\n" + bytes(self.headers)
            self._send(ok, [b"Content-Type: text/plain", length(body)], body)
        elif path == "/gzip":
            self._send(
                ok,
                [b"Content-Type: text/html", b"Content-Encoding: gzip", length(GZIP_BODY)],
                GZIP_BODY,
            )
        elif path == "/chunked":
            self._send_chunked(
                ok, [b"Content-Type: text/html", b"Transfer-Encoding: chunked"], CHUNKS
            )
        elif path == "/big":
            self._send(ok, [b"Content-Type: application/octet-stream", length(BIG_BODY)], BIG_BODY)
        elif path == "/photo.jpg":
            self._send(ok, [b"Content-Type: image/jpeg", length(PHOTO_BODY)], PHOTO_BODY)
        elif path == "/big-chunked":
            step = 16 * 1024
            self._send_chunked(
                ok,
                [b"Content-Type: application/octet-stream", b"Transfer-Encoding: chunked"],
                [BIG_BODY[i : i + step] for i in range(0, len(BIG_BODY), step)],
            )
        elif path == "/drop":
            self._send(ok, [b"Content-Type: text/plain", b"Content-Length: 1000"], b"x" * 100)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif path == "/same":
            self._send(ok, [b"Content-Type: text/html", length(SAME_BODY)], SAME_BODY)
        elif path == "/robots.txt":
            body = b"User-agent: *\nAllow: /\n"
            self._send(ok, [b"Content-Type: text/plain", length(body)], body)
        elif path == "/huge-head":
            filler = [b"X-Filler-%06d: v" % n for n in range(HUGE_HEAD_LINES)]
            self._send(ok, [*filler, b"Content-Type: text/plain", b"Content-Length: 2"], b"ok")
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            body = b"status %d" % code
            self._send(
                b"HTTP/1.1 %d Custom" % code, [b"Content-Type: text/plain", length(body)], body
            )
        else:
            body = b"not found"
            self._send(b"HTTP/1.1 404 Not Found", [length(body)], body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        # A client aborting a download (size limit, test over) is expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class WireServer:
    """The routes above on 127.0.0.1:<free port>, served from a background thread.

    The socket listens from construction on, so no readiness probe is needed."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def serve() -> Iterator[WireServer]:
    """For a pytest fixture: ``yield from serve()``."""
    with WireServer() as server:
        yield server


def crawl_main(argv: list[str]) -> int:
    """``python -m tests.servers.wire_routes OUT SETTINGS_JSON URL...``: fetch the URLs in
    order (one at a time) with the wire handler and the WARC capture middleware."""
    import json

    from scrapy import Request, Spider
    from scrapy.crawler import CrawlerProcess

    out, settings_json, *urls = argv

    class WireSpider(Spider):
        name = "wire"
        site_name = "wire"

        async def start(self):  # type: ignore[no-untyped-def]
            for priority, url in enumerate(urls):
                yield Request(url, priority=-priority, dont_filter=True, callback=self.parse)

        def parse(self, response):  # type: ignore[no-untyped-def]
            return None

    import crawler.settings as project

    # the archive's settings with their defaults (crawler/settings.py), under this crawl's own
    settings = {
        **{name: getattr(project, name) for name in dir(project)
           if name.startswith(("WARC_", "NEWSARCHIVE_"))},
        "NEWSARCHIVE_OUTPUT": out,
        "NEWSARCHIVE_CRAWL_ID": "wiretest",
        "WARC_ENABLED": True,
        "WARC_MAX_SIZE": 1_000_000_000,
        "WARC_GZIP_LEVEL": 6,
        "DOWNLOADER_MIDDLEWARES": {"archive.capture.WarcCaptureMiddleware": 950},
        "DOWNLOAD_HANDLERS": {
            "http": "archive.wire.WireHTTP11DownloadHandler",
            "https": "archive.wire.WireHTTP11DownloadHandler",
        },
        "CONCURRENT_REQUESTS": 1,
        "ROBOTSTXT_OBEY": True,
        "RETRY_ENABLED": False,
        "HTTPERROR_ALLOW_ALL": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "USER_AGENT": "newsarchive-test/1.0",
    }
    settings.update(json.loads(settings_json))
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(WireSpider)
    process.crawl(crawler)
    process.start()
    assert crawler.stats is not None
    print(json.dumps(crawler.stats.get_stats(), default=str))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(crawl_main(sys.argv[1:]))

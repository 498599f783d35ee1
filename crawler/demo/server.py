"""A small threaded HTTP/1.1 server around a site object's ``handle`` method.

The server writes status lines and headers itself (``BaseHTTPRequestHandler.send_response``
would add its own ``Server``/``Date`` headers and fix the reason phrase), so a site can send any
status with any reason, headers in a chosen order including repeats, chunked bodies with
chunk boundaries it chooses, and bodies cut off mid-way.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from crawler.demo.site import DemoResponse

# Requests to this path only answer the readiness probe; they are not passed to the site
# and not recorded in ``request_log``.
READY_PATH = "/__ready__"

NO_BODY_STATUSES = frozenset({204, 304})


class Site(Protocol):
    def handle(self, method: str, target: str, headers: Any) -> DemoResponse: ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: DemoServer) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.connections.discard(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-response are expected here (timeouts, dropped
        # connections, size limits); stay quiet instead of printing tracebacks.
        return


def not_modified(response: DemoResponse, request_headers: dict[str, str]) -> DemoResponse:
    """A 200 whose validators match the request's If-None-Match (or, without one,
    If-Modified-Since) becomes a 304 with the same validators (RFC 9110, 13.1)."""
    if response.status != 200:
        return response
    sent = {name.lower(): value for name, value in response.headers}
    asked = {name.lower(): value for name, value in request_headers.items()}
    etag, modified = sent.get("etag"), sent.get("last-modified")
    if "if-none-match" in asked:
        tags = [tag.strip().removeprefix("W/") for tag in asked["if-none-match"].split(",")]
        matches = etag is not None and (etag in tags or "*" in tags)
    elif "if-modified-since" in asked and modified is not None:
        try:
            since = parsedate_to_datetime(asked["if-modified-since"])
            matches = parsedate_to_datetime(modified) <= since
        except (TypeError, ValueError):
            matches = False
    else:
        matches = False
    if not matches:
        return response
    keep = {"date", "etag", "last-modified", "cache-control", "vary", "server"}
    return DemoResponse(304, "Not Modified",
                        [(n, v) for n, v in response.headers if n.lower() in keep], b"")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "demo"
    timeout = 30  # idle keep-alive connections are closed after this many seconds
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_GET

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path == READY_PATH:
            self.wfile.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            return
        headers = dict(self.headers.items())
        self.server.owner.request_log.append((time.monotonic(), self.command, self.path, headers))
        response = not_modified(self.server.owner.site.handle(self.command, self.path, headers),
                                headers)
        try:
            self._write(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _write(self, response: DemoResponse) -> None:
        headers = list(response.headers)
        names = {name.lower() for name, _ in headers}
        chunked = any(
            name.lower() == "transfer-encoding" and "chunked" in value.lower()
            for name, value in headers
        )
        has_body = response.status not in NO_BODY_STATUSES and response.status >= 200
        if has_body and not chunked and "content-length" not in names:
            headers.append(("Content-Length", str(len(response.body))))
        if response.drop_after is not None:
            self.close_connection = True
        if self.close_connection and "connection" not in names:
            headers.append(("Connection", "close"))
        if any(name.lower() == "connection" and value.lower() == "close" for name, value in headers):
            self.close_connection = True
        head = f"HTTP/1.1 {response.status} {response.reason}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
        if response.delay and self.server.stopping.wait(response.delay):
            self.close_connection = True
            return
        self.wfile.write(head.encode("latin-1"))
        if self.command == "HEAD" or not has_body:
            return
        if chunked:
            for chunk in response.chunks or [response.body]:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if response.drop_after is None:
                self.wfile.write(b"0\r\n\r\n")
        elif response.drop_after is not None:
            self.wfile.write(response.body[: response.drop_after])
        else:
            self.wfile.write(response.body)
        self.wfile.flush()
        if response.drop_after is not None:
            self.connection.shutdown(socket.SHUT_RDWR)


class DemoServer:
    """Serve ``site`` on ``host:port`` (port 0: any free port) from a daemon thread."""

    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self.host = host
        self.port = port
        self.request_log: list[tuple[float, str, str, dict[str, str]]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> DemoServer:
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"demo-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        """Probe with a real HTTP request until the serving thread answers."""
        deadline = time.monotonic() + timeout
        while True:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=1.0)
            try:
                conn.request("HEAD", READY_PATH)
                if conn.getresponse().status == 204:
                    return
            except OSError:
                pass  # not accepting yet: probe again until the deadline
            finally:
                conn.close()
            if time.monotonic() > deadline:
                raise TimeoutError(f"demo server on port {self.port} did not answer in {timeout}s")

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stopping.set()
        self._server.shutdown()
        with self._server.connections_lock:
            open_connections = list(self._server.connections)
        for sock in open_connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its handler thread
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

"""A forward proxy for the crawl's browser that connects only to addresses the site allows.

Chromium is told to send every request through it, loopback included, so it never resolves a
host itself: the proxy resolves each host when the browser connects and opens the connection
to an accepted address.  A name that answered a public address to an earlier check and a
private one now (DNS rebinding) is refused at connection time, as the wire handler's
resolver refuses it for Scrapy's own requests.

Plain HTTP requests are forwarded one per connection (``Connection: close`` upstream);
``CONNECT`` (HTTPS, WebSockets) is a byte tunnel.  A refused or failed plain request gets no
response at all, so the browser reports a failed request rather than a page the site never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from crawler.address_guard import host_address

logger = logging.getLogger(__name__)

HEAD_LIMIT = 64 * 1024
HEAD_TIMEOUT = 30.0
CONNECT_TIMEOUT = 30.0
CHUNK = 64 * 1024
# Hop-by-hop headers of the browser-to-proxy leg, not sent on.
_HOP_HEADERS = {b"connection", b"proxy-connection", b"keep-alive", b"proxy-authorization"}

Resolver = Callable[[str, int], Awaitable[list[str]]]


class Refused(Exception):
    def __init__(self, address: str, reason: str):
        super().__init__(f"{reason} address {address}")
        self.address, self.reason = address, reason


async def resolve(host: str, port: int) -> list[str]:
    """Every address the host name stands for now."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


class GuardedProxy:
    """``decide(address)`` gives the reason to refuse it, or None; ``on_refused(target,
    address, reason)`` is told of each refusal.  ``address_of(url)`` is the address the proxy
    last connected to for the URL's host and port: the browser only sees the proxy's."""

    def __init__(self, decide: Callable[[str], str | None],
                 on_refused: Callable[[str, str, str], None], resolver: Resolver = resolve):
        self._decide = decide
        self._on_refused = on_refused
        self._resolve = resolver
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._addresses: dict[tuple[str, int], str] = {}

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=HEAD_LIMIT)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    def address_of(self, url: str) -> str | None:
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
        except ValueError:
            return None
        return self._addresses.get(((parts.hostname or "").lower(), port))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                TimeoutError, ValueError) as exc:
            logger.debug("Browser proxy connection ended: %r", exc)
        finally:
            self._connections.discard(task)
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
        request_line, _, header_block = head.partition(b"\r\n")
        method, target, version = request_line.decode("latin-1").split(" ")
        tunnel = method.upper() == "CONNECT"
        if tunnel:
            parts = urlsplit(f"//{target}")
            host, port = parts.hostname, parts.port or 443
        else:
            parts = urlsplit(target)
            if parts.scheme != "http":
                raise ValueError(f"not an absolute http URL: {target[:200]!r}")
            host, port = parts.hostname, parts.port or 80
        if not host:
            raise ValueError(f"no host in {target[:200]!r}")
        try:
            upstream_reader, upstream_writer = await self._connect(host.lower(), port)
        except Refused as exc:
            self._on_refused(target, exc.address, exc.reason)
            if tunnel:
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        except (OSError, TimeoutError) as exc:
            logger.debug("Browser proxy could not reach %s: %s", target[:200], exc)
            if tunnel:
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        try:
            if tunnel:
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            else:
                path = parts.path or "/"
                if parts.query:
                    path += "?" + parts.query
                upstream_writer.write(_forwarded_head(method, path, version, header_block))
                if _is_chunked(header_block):
                    await _pipe_both(reader, writer, upstream_reader, upstream_writer)
                    return
                # Only this request's body: a next request on the browser's connection
                # must never reach this host (it may be for another one).
                length = _content_length(header_block)
                if length:
                    upstream_writer.write(await reader.readexactly(length))
                await _copy(upstream_reader, writer)
                return
            await _pipe_both(reader, writer, upstream_reader, upstream_writer)
        finally:
            upstream_writer.close()

    async def _connect(self, host: str, port: int
                       ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        refused: Refused | None = None
        failure: Exception | None = None
        numeric = host_address(host.rstrip("."))  # any numeric form, as a resolver reads it
        addresses = [str(numeric)] if numeric is not None else await self._resolve(host, port)
        for address in addresses:
            try:
                reason = self._decide(address)
            except ValueError:
                reason = "not_an_ip_address"
            if reason is not None:
                refused = refused or Refused(address, reason)
                continue
            try:
                streams = await asyncio.wait_for(asyncio.open_connection(address, port),
                                                 CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                failure = exc
                continue
            self._addresses[(host, port)] = address
            return streams
        if failure is None and refused is not None:
            raise refused
        raise failure or OSError(f"{host} has no address")


def _forwarded_head(method: str, path: str, version: str, header_block: bytes) -> bytes:
    lines = [f"{method} {path} {version}".encode("latin-1")]
    for line in header_block.split(b"\r\n"):
        name = line.split(b":", 1)[0].strip().lower()
        if line and name not in _HOP_HEADERS:
            lines.append(line)
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _header_values(header_block: bytes, wanted: bytes) -> list[bytes]:
    values = []
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == wanted:
            values.append(value.strip().lower())
    return values


def _is_chunked(header_block: bytes) -> bool:
    return any(b"chunked" in value for value in _header_values(header_block, b"transfer-encoding"))


def _content_length(header_block: bytes) -> int:
    values = set(_header_values(header_block, b"content-length"))
    if len(values) > 1:
        raise ValueError("conflicting Content-Length headers")
    return int(values.pop()) if values else 0


async def _pipe_both(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter,
                     upstream_reader: asyncio.StreamReader,
                     upstream_writer: asyncio.StreamWriter) -> None:
    """Copy both ways until the upstream side is done (or the browser goes away)."""
    upload = asyncio.ensure_future(_copy(client_reader, upstream_writer))
    try:
        await _copy(upstream_reader, client_writer)
    finally:
        upload.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await upload


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while chunk := await reader.read(CHUNK):
        writer.write(chunk)
        await writer.drain()
    if writer.can_write_eof():
        with contextlib.suppress(OSError):
            writer.write_eof()

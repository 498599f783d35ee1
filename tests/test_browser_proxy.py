"""The browser's guarded proxy against real local servers: it connects only to addresses the
policy accepts, as resolved when the browser connects, and forwards nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from crawler.address_guard import parse_networks, refusal_reason
from crawler.browser_proxy import GuardedProxy
from crawler.demo.server import DemoServer
from tests.servers.hostile import hostile_pair

ALLOWED = parse_networks(["127.0.0.2/32"])


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[DemoServer, DemoServer]]:
    """(allowed, refused): one site on 127.0.0.2:P and on 127.0.0.1:P."""
    with hostile_pair() as servers:
        yield servers


def answering(*addresses: str):
    async def resolver(host: str, port: int) -> list[str]:
        return list(addresses)
    return resolver


async def exchange(proxy_url: str, data: bytes) -> bytes:
    host, port = proxy_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(data)
    await writer.drain()
    received = await asyncio.wait_for(reader.read(), 30)
    writer.close()
    return received


def run_through_proxy(resolver, *requests: bytes) -> tuple[list[bytes], list[tuple], GuardedProxy]:
    """Each request on a connection of its own; the answers, the refusals and the proxy."""
    refusals: list[tuple[str, str, str]] = []
    proxy = GuardedProxy(lambda address: refusal_reason(address, ALLOWED),
                         lambda *refusal: refusals.append(refusal), resolver)

    async def main() -> list[bytes]:
        url = await proxy.start()
        try:
            return [await exchange(url, request) for request in requests]
        finally:
            await proxy.close()

    return asyncio.run(main()), refusals, proxy


def get(port: int, path: str = "/news/", host: str = "rebinding.example") -> bytes:
    return (f"GET http://{host}:{port}{path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Proxy-Connection: keep-alive\r\n\r\n").encode()


def test_a_name_that_now_resolves_to_loopback_is_refused_at_connection(
        pair: tuple[DemoServer, DemoServer]) -> None:
    """Whatever a name answered before, the proxy connects by what it answers now: loopback
    is refused, nothing reaches the server, and the browser gets no response to show."""
    _, refused_server = pair
    before = len(refused_server.request_log)
    tunnel = f"CONNECT rebinding.example:{refused_server.port} HTTP/1.1\r\n\r\n".encode()
    answers, refusals, _ = run_through_proxy(answering("127.0.0.1"),
                                             get(refused_server.port), tunnel)
    assert answers[0] == b""  # no response: the browser reports a failed request
    assert answers[1].startswith(b"HTTP/1.1 403 ")
    assert [reason for _, _, reason in refusals] == ["loopback", "loopback"]
    assert refusals[0][1] == "127.0.0.1"
    assert len(refused_server.request_log) == before


def test_the_request_goes_to_the_accepted_address_and_is_relayed(
        pair: tuple[DemoServer, DemoServer]) -> None:
    allowed_server, refused_server = pair
    before = (len(allowed_server.request_log), len(refused_server.request_log))
    answers, refusals, proxy = run_through_proxy(answering("127.0.0.1", "127.0.0.2"),
                                                 get(allowed_server.port))
    head, _, body = answers[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") or head.startswith(b"HTTP/1.0 200 ")
    assert b"<html" in body.lower()
    assert refusals == []  # one address accepted: the refused one is just not used
    assert len(refused_server.request_log) == before[1]
    _, method, path, headers = allowed_server.request_log[-1]
    assert (method, path) == ("GET", "/news/")
    assert "Proxy-Connection" not in headers and headers["Connection"] == "close"
    assert headers["Host"] == f"rebinding.example:{allowed_server.port}"
    assert proxy.address_of(f"http://rebinding.example:{allowed_server.port}/x") == "127.0.0.2"


def test_a_tunnel_carries_bytes_both_ways(pair: tuple[DemoServer, DemoServer]) -> None:
    allowed_server, _ = pair
    port = allowed_server.port
    tunnel = (f"CONNECT 127.0.0.2:{port} HTTP/1.1\r\nHost: 127.0.0.2:{port}\r\n\r\n"
              f"GET /news/ HTTP/1.1\r\nHost: 127.0.0.2:{port}\r\nConnection: close\r\n\r\n")
    answers, refusals, _ = run_through_proxy(answering("unused"), tunnel.encode())
    assert answers[0].startswith(b"HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.")
    assert b"<html" in answers[0].lower() and refusals == []


def test_a_second_request_on_the_connection_never_reaches_the_first_host(
        pair: tuple[DemoServer, DemoServer]) -> None:
    allowed_server, _ = pair
    before = len(allowed_server.request_log)
    both = get(allowed_server.port) + get(allowed_server.port, "/elsewhere/", "other.example")
    answers, _, _ = run_through_proxy(answering("127.0.0.2"), both)
    assert answers[0].count(b"HTTP/1.") >= 1
    paths = [path for _, _, path, _ in allowed_server.request_log[before:]]
    assert paths == ["/news/"]


@pytest.mark.parametrize("garbage", [b"\r\n\r\n", b"GET /relative HTTP/1.1\r\n\r\n",
                                     b"CONNECT :443 HTTP/1.1\r\n\r\n",
                                     b"GET http://h.example/ HTTP/1.1\r\nContent-Length: x\r\n\r\n"])
def test_a_malformed_request_only_ends_its_connection(garbage: bytes,
                                                      pair: tuple[DemoServer, DemoServer]) -> None:
    allowed_server, _ = pair
    answers, refusals, _ = run_through_proxy(answering("127.0.0.2"), garbage,
                                             get(allowed_server.port))
    assert answers[0] == b"" and refusals == []
    assert b"<html" in answers[1].lower()  # the proxy still serves the next connection


def test_an_unresolvable_name_gets_no_response() -> None:
    async def fails(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    answers, refusals, _ = run_through_proxy(fails, get(80),
                                             b"CONNECT nowhere.example:443 HTTP/1.1\r\n\r\n")
    assert answers[0] == b"" and answers[1].startswith(b"HTTP/1.1 502 ") and refusals == []

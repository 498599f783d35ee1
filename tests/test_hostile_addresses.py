"""The address guard: a crawl that refuses private addresses never connects to one, however
the URL spells it, and archives the rest of the site."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from crawler.address_guard import (
    AddressPolicy,
    FilteringResolver,
    PrivateAddressMiddleware,
    host_address,
    host_refusal_reason,
    parse_networks,
    refusal_reason,
)
from tests.servers.hostile import (
    ARTICLE_PATHS,
    NUMERIC_FORMS,
    SECRET_MARKER,
    CrawlRun,
    hostile_pair,
    run_crawl,
    site_config,
    warc_records,
)
from tests.warc_checks import check_warc


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("::1", "loopback"),
        ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"),
        ("fd00::1", "private"), ("169.254.169.254", "link_local"), ("fe80::1", "link_local"),
        ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("224.0.0.251", "multicast"),
        ("100.64.0.1", "not_global"), ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link_local"), ("2002:a00:1::1", "private"),
        ("93.184.215.14", None), ("2606:4700::6810:84e5", None), ("::ffff:8.8.8.8", None),
    ],
)
def test_refusal_reason_names_the_range(address: str, reason: str | None) -> None:
    assert refusal_reason(address) == reason


def test_allowed_networks_are_never_refused() -> None:
    allowed = parse_networks(["127.0.0.2", "10.1.0.0/16"])
    assert refusal_reason("127.0.0.2", allowed) is None
    assert refusal_reason("10.1.200.3", allowed) is None
    assert refusal_reason("127.0.0.1", allowed) == "loopback"
    assert refusal_reason("10.2.0.1", allowed) == "private"


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"), ("127.1", "127.0.0.1"), ("0x7f000001", "127.0.0.1"),
        ("0", "0.0.0.0"), ("017700000001", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
        ("169.254.43518", "169.254.169.254"), ("[::1]", "::1"), ("127.0.0.1", "127.0.0.1"),
        ("example.com", None), ("999.1.1.1", None), ("1.2.3.4.5", None), ("localhost", None),
    ],
)
def test_numeric_host_forms_normalise_like_the_resolver(host: str, address: str | None) -> None:
    expected = ipaddress.ip_address(address) if address else None
    assert host_address(host) == expected
    if address:
        assert host_refusal_reason(host) is not None or refusal_reason(address) is None


class _StubResolver:
    """Answers every name with fixed addresses, as a resolver's receiver sees them."""

    def __init__(self, addresses: list[Any]):
        self.addresses = addresses

    def resolveHostName(self, receiver: Any, hostName: str, portNumber: int = 0,
                        addressTypes: Any = None, transportSemantics: str = "TCP") -> Any:
        receiver.resolutionBegan(None)
        for address in self.addresses:
            receiver.addressResolved(address)
        receiver.resolutionComplete()
        return None


@implementer(IResolutionReceiver)
class _Collect:
    def __init__(self) -> None:
        self.addresses: list[Any] = []
        self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        self.complete = True


def test_filtering_resolver_passes_on_only_accepted_addresses() -> None:
    stub = implementer(IHostnameResolver)(_StubResolver)(
        [IPv4Address("TCP", "169.254.169.254", 80), IPv4Address("TCP", "93.184.215.14", 80),
         IPv6Address("TCP", "::1", 80)]
    )
    resolver = FilteringResolver(stub, refusal_reason)
    collect = _Collect()
    resolver.resolveHostName(collect, "metadata.example", 80)
    assert [a.host for a in collect.addresses] == ["93.184.215.14"] and collect.complete
    assert resolver.refused == ("169.254.169.254", "link_local") and resolver.accepted == 1


def test_bad_allowed_networks_fail_closed(caplog: pytest.LogCaptureFixture) -> None:
    crawler = get_crawler(settings_dict={"NEWSARCHIVE_ALLOWED_NETWORKS": ["10.0.0.0/8", "bogus"]})
    policy = AddressPolicy(crawler)
    assert policy.allowed == []  # refuse more, never less
    assert "NEWSARCHIVE_ALLOWED_NETWORKS: 'bogus' is not an address or network" in caplog.text


@pytest.mark.parametrize(("allow", "refused"), [(False, True), (True, False)])
def test_middleware_refuses_numeric_hosts_before_download(allow: bool, refused: bool) -> None:
    crawler = get_crawler(Spider, settings_dict={"NEWSARCHIVE_ALLOWED_NETWORKS": "192.0.2.7"})
    crawler.spider = Spider("s")
    crawler.spider.allow_private_addresses = allow  # type: ignore[attr-defined]
    middleware = PrivateAddressMiddleware.from_crawler(crawler)
    for url in ["http://0x7f000001/", "http://169.254.43518/latest/meta-data/"]:
        if refused:
            with pytest.raises(IgnoreRequest, match="address .* refused"):
                middleware.process_request(Request(url))
        else:
            assert middleware.process_request(Request(url)) is None
    assert middleware.process_request(Request("http://192.0.2.7/")) is None  # allowed network
    assert middleware.process_request(Request("http://metadata.example/")) is None  # a name
    assert crawler.stats is not None
    assert crawler.stats.get_value("skipped/private_address/loopback") == (1 if refused else None)
    assert crawler.stats.get_value("skipped/private_address/link_local") == (1 if refused else None)


# --- End to end: the site on 127.0.0.2 (allowed by NEWSARCHIVE_ALLOWED_NETWORKS), the same
# site on 127.0.0.1 behind every spelling of a loopback address, which must be refused.

@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Any, Any]]:
    with hostile_pair() as servers:
        yield servers


@pytest.fixture(scope="module")
def guarded_crawl(pair: tuple[Any, Any], tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlRun, Path]:
    allowed, _ = pair
    port = allowed.port
    refused_hosts = ["localhost", *NUMERIC_FORMS]
    config = site_config(
        allowed.base_url,
        start_urls=[f"{allowed.base_url}/news/"]
        + [f"http://{host}:{port}/secret/" for host in refused_hosts]
        + [f"{allowed.base_url}/redirect/{host}" for host in refused_hosts],
        allowed_domains=["127.0.0.2", *refused_hosts],
        allow_private_addresses=False,
    )
    out = tmp_path_factory.mktemp("guard") / "out"
    run = run_crawl(config, out, "--no-extract", "-s", "NEWSARCHIVE_ALLOWED_NETWORKS=127.0.0.2/32",
                    "-s", "RETRY_TIMES=0")
    return run, out


def test_refused_addresses_are_never_connected_to(guarded_crawl: tuple[CrawlRun, Path],
                                                  pair: tuple[Any, Any]) -> None:
    run, _ = guarded_crawl
    _, refused = pair
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert refused.request_log == []  # not one request reached 127.0.0.1, robots.txt included


def test_nothing_from_a_refused_address_is_archived(guarded_crawl: tuple[CrawlRun, Path],
                                                    pair: tuple[Any, Any]) -> None:
    run, out = guarded_crawl
    allowed, _ = pair
    records = warc_records(out)
    for path in out.glob("warc/**/*.warc.gz"):
        check_warc(path)
    uris = {uri for kind, uri, _ in records if kind in ("request", "response")}
    assert uris and all(uri.startswith(allowed.base_url + "/") for uri in uris), uris
    assert not any(SECRET_MARKER.encode() in content for _, _, content in records)
    assert not any(SECRET_MARKER.encode() in path.read_bytes()
                   for path in out.rglob("*") if path.is_file() and path.suffix in (".cdxj", ".json"))
    # the rest of the site is archived: the listing, its articles, the redirects themselves
    responses = {uri for kind, uri, _ in records if kind == "response"}
    assert {allowed.base_url + p for p in ["/news/", "/robots.txt", *ARTICLE_PATHS]} <= responses
    assert allowed.base_url + "/redirect/localhost" in responses


def test_refusals_are_counted_with_a_reason(guarded_crawl: tuple[CrawlRun, Path],
                                            pair: tuple[Any, Any]) -> None:
    run, _ = guarded_crawl
    port = pair[0].port
    # localhost is refused where it resolves: its robots.txt (asked once), the start URL and
    # the redirect to it; the three numeric loopback forms before any request is made, at
    # the start and behind a redirect.
    assert run.stat("skipped/private_address/loopback") == 3 + 2 * 3
    assert run.stat("skipped/private_address/unspecified") == 2
    assert f"Refused http://localhost:{port}/robots.txt: loopback address 127.0.0.1" in run.stderr
    assert f"Refused http://localhost:{port}/secret/?via=redirect: loopback" in run.stderr
    assert f"Refused http://2130706433:{port}/secret/: loopback address" in run.stderr


def test_allowing_private_addresses_still_works(pair: tuple[Any, Any], tmp_path: Path) -> None:
    """Tests and the demo crawl loopback servers with allow_private_addresses: true."""
    allowed, refused = pair
    before = len(refused.request_log)
    config = site_config(f"http://localhost:{refused.port}", allow_private_addresses=True)
    run = run_crawl(config, tmp_path / "out", "--no-extract")
    assert run.returncode == 0, run.stderr[-3000:]
    responses = {uri for kind, uri, _ in warc_records(tmp_path / "out") if kind == "response"}
    assert {f"http://localhost:{refused.port}{p}" for p in ARTICLE_PATHS} <= responses
    assert len(refused.request_log) > before

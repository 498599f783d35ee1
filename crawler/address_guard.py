"""Which network addresses a crawl may reach, checked where the connection is made.

Unless the site sets ``allow_private_addresses`` (or ``NEWSARCHIVE_ALLOWED_NETWORKS`` allows it),
no connection goes to a non-global address, however the URL spells it (DNS name, ``localhost``,
numeric forms). ``AddressGuardDownloadHandler`` drops refused addresses after resolution, before
any byte is sent; ``PrivateAddressMiddleware`` is the only check for requests through a proxy.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from twisted.internet.interfaces import (
    IHostnameResolver,
    IHostResolution,
    IReactorPluggableNameResolver,
    IResolutionReceiver,
)
from twisted.python.failure import Failure
from zope.interface import implementer

from archive.upstream import _BindAddressAgent, _StandardEndpointFactory
from archive.wire import WireHTTP11DownloadHandler, _WireScrapyAgent

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from twisted.internet.defer import Deferred
    from twisted.internet.interfaces import IAddress

logger = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

STATS_PREFIX = "skipped/private_address/"
HINT = "set allow_private_addresses: true in the site config to allow it"

# What inet_aton (and so getaddrinfo) reads as an IPv4 address: 1 to 4 parts, each decimal,
# octal (leading 0) or hex (0x); "127.1", "2130706433", "0x7f000001", "0" all qualify.
_NUMERIC_IPV4_RE = re.compile(r"(?:0x[0-9a-f]*|\d+)(?:\.(?:0x[0-9a-f]*|\d+)){0,3}\.?", re.I)


def refusal_reason(address: str | Address, allowed: Sequence[Network] = ()) -> str | None:
    """Why a crawl that refuses private addresses must not connect to ``address``, or None.

    The reasons name the range: ``loopback``, ``unspecified``, ``link_local``, ``private``,
    ``multicast``, ``reserved``, ``not_global`` (shared, documentation, benchmarking and the
    like).  An IPv4-mapped or 6to4/Teredo-embedded IPv4 address is judged as that address.
    ``allowed`` networks are never refused.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if any(ip in network for network in allowed):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return refusal_reason(embedded, allowed) or ("not_global" if not ip.is_global else None)
    for reason, flag in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link_local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("not_global", not ip.is_global),
    ):
        if flag:
            return reason
    return None


def host_address(host: str) -> Address | None:
    """The address a host name written as a number stands for (any numeric form), or None."""
    host = host.strip("[]").lower()
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _NUMERIC_IPV4_RE.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError:
            return None  # a part out of range: no resolver reads it as an address either
    return None


def host_refusal_reason(host: str, allowed: Sequence[Network] = ()) -> str | None:
    """``refusal_reason`` for a URL's host when the host is an address; None for names."""
    address = host_address(host.rstrip("."))
    return refusal_reason(address, allowed) if address is not None else None


def resolved_refusal_reason(host: str, allowed: Sequence[Network] = ()) -> str | None:
    """``refusal_reason`` for a host: an address as it is, a name by every address it
    resolves to now (None when it does not resolve)."""
    if host_address(host.rstrip(".")) is not None:
        return host_refusal_reason(host, allowed)
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    for info in infos:
        reason = refusal_reason(str(info[4][0]).split("%", 1)[0], allowed)
        if reason is not None:
            return reason
    return None


def resolves_to_refused(host: str) -> bool:
    """Whether a host (a name, resolved now, or an address) leads to a non-global address."""
    return resolved_refusal_reason(host) is not None


def parse_networks(values: Iterable[str]) -> list[Network]:
    """``NEWSARCHIVE_ALLOWED_NETWORKS`` entries ("10.0.0.0/8", "192.0.2.7") as networks."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"NEWSARCHIVE_ALLOWED_NETWORKS: {value!r} is not an address or network"
            ) from None
    return networks


class AddressPolicy:
    """One crawl's rule: refuse non-global addresses unless its site allows them."""

    def __init__(self, crawler: Crawler):
        self._crawler = crawler
        try:
            self.allowed = parse_networks(crawler.settings.getlist("NEWSARCHIVE_ALLOWED_NETWORKS"))
        except ValueError as exc:  # fail closed: allow nothing rather than stop mid-start-up
            logger.error("%s; no network is allowed", exc)
            self.allowed = []

    @property
    def refuses_private(self) -> bool:
        return not getattr(self._crawler.spider, "allow_private_addresses", False)

    def refuse(self, request: Request, address: str, reason: str) -> IgnoreRequest:
        stats: StatsCollector | None = self._crawler.stats
        if stats is not None:
            stats.inc_value(STATS_PREFIX + reason)
        logger.warning("Refused %s: %s address %s (%s)", request.url, reason.replace("_", "-"),
                       address, HINT)
        return IgnoreRequest(f"{request.url}: {reason} address {address} refused")


@implementer(IHostnameResolver)
class FilteringResolver:
    """Passes on only the addresses ``decide`` accepts; remembers the first one refused."""

    def __init__(self, resolver: IHostnameResolver, decide: Callable[[str], str | None]):
        self._resolver = resolver
        self._decide = decide
        self.refused: tuple[str, str] | None = None  # (address, reason)
        self.accepted = 0

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        resolver = self

        @implementer(IResolutionReceiver)
        class Receiver:
            def resolutionBegan(self, resolution: IHostResolution) -> None:
                resolutionReceiver.resolutionBegan(resolution)

            def addressResolved(self, address: IAddress) -> None:
                host = getattr(address, "host", "")
                try:
                    reason = resolver._decide(host)
                except ValueError:  # not an IP address at all (a UNIX path?): never connect
                    reason = "not_an_ip_address"
                if reason is None:
                    resolver.accepted += 1
                    resolutionReceiver.addressResolved(address)
                elif resolver.refused is None:
                    resolver.refused = (host, reason)

            def resolutionComplete(self) -> None:
                resolutionReceiver.resolutionComplete()

        return self._resolver.resolveHostName(
            Receiver(), hostName, portNumber, addressTypes, transportSemantics
        )


@implementer(IReactorPluggableNameResolver)
class _ReactorResolvingThrough:
    """The reactor, except that endpoints made with it resolve through ``nameResolver``."""

    def __init__(self, reactor: Any, resolver: IHostnameResolver):
        self._reactor = reactor
        self.nameResolver = resolver

    def installNameResolver(self, resolver: IHostnameResolver) -> IHostnameResolver:
        raise NotImplementedError("install resolvers on the real reactor")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reactor, name)


class _GuardedAgent(_BindAddressAgent):
    """Scrapy's direct-connection agent whose endpoints connect only to accepted addresses."""

    def __init__(self, *, reactor: Any, policy: AddressPolicy, request: Request, **kwargs: Any):
        super().__init__(reactor=reactor, **kwargs)
        self._resolver = FilteringResolver(
            reactor.nameResolver, lambda host: refusal_reason(host, policy.allowed)
        )
        factory = self._endpointFactory
        self._endpointFactory = _StandardEndpointFactory(
            _ReactorResolvingThrough(reactor, self._resolver),
            factory._policyForHTTPS, factory._connectTimeout, factory._bindAddress,
        )
        self._policy = policy
        self._scrapy_request = request

    def request(self, method: bytes, uri: bytes, headers: Any = None,
                bodyProducer: Any = None) -> Deferred[Any]:
        d = super().request(method, uri, headers, bodyProducer)
        d.addErrback(self._refused)
        return d

    def _refused(self, failure: Failure) -> Failure:
        if self._resolver.refused is None or self._resolver.accepted:
            return failure  # an accepted address failed in its own way
        address, reason = self._resolver.refused
        raise self._policy.refuse(self._scrapy_request, address, reason)


class _GuardedScrapyAgent(_WireScrapyAgent):
    def __init__(self, *, policy: AddressPolicy, **kwargs: Any):
        super().__init__(**kwargs)
        self._policy = policy

    def _get_agent(self, request: Request, timeout: float) -> Any:
        agent = super()._get_agent(request, timeout)
        if type(agent) is not _BindAddressAgent or not self._policy.refuses_private:
            return agent  # through a proxy: PrivateAddressMiddleware checked the host
        from twisted.internet import reactor

        return _GuardedAgent(
            reactor=reactor, policy=self._policy, request=request,
            contextFactory=self._contextFactory, connectTimeout=timeout,
            bindAddress=agent._endpointFactory._bindAddress, pool=self._pool,
        )


class AddressGuardDownloadHandler(WireHTTP11DownloadHandler):
    """The wire-recording HTTP/1.1 handler, connecting only to addresses the site allows.

    Enable it with::

        DOWNLOAD_HANDLERS = {
            "http": "crawler.address_guard.AddressGuardDownloadHandler",
            "https": "crawler.address_guard.AddressGuardDownloadHandler",
        }
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.agent_class = functools.partial(_GuardedScrapyAgent, policy=AddressPolicy(crawler))


class PrivateAddressMiddleware:
    """Refuses, before download, requests whose URL host is a refused address.

    A site's ``allow_private_addresses`` (spider attribute of the same name) lifts the
    check; tests and intranets need it, public crawls never do.  Host names, ``localhost``
    included, are left to the download handler, which checks what they resolve to.
    """

    def __init__(self, crawler: Crawler):
        self.policy = AddressPolicy(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not self.policy.refuses_private:
            return
        host = urlsplit(request.url).hostname or ""
        reason = host_refusal_reason(host, self.policy.allowed)
        if reason is not None:
            raise self.policy.refuse(request, host, reason)

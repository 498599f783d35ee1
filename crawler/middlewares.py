"""Downloader middlewares of the crawler (not archive capture: see archive.capture)."""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

logger = logging.getLogger(__name__)


def is_private_host(host: str) -> bool:
    """True for loopback, private, link-local and unspecified addresses and localhost."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
    )


class PrivateAddressMiddleware:
    """Refuses requests to loopback/private hosts unless the site config allows them.

    A site's ``allow_private_addresses`` (spider attribute of the same name) lifts the
    check; tests and intranets need it, public crawls never do.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        return cls(crawler)

    def _allowed(self) -> bool:
        return bool(getattr(self.crawler.spider, "allow_private_addresses", False))

    def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).hostname or ""
        if is_private_host(host) and not self._allowed():
            assert self.stats is not None
            self.stats.inc_value("skipped/private_address")
            raise IgnoreRequest(
                f"{request.url}: private or loopback address refused "
                "(set allow_private_addresses: true in the site config to allow it)"
            )

    def process_response(self, request: Request, response: Response) -> Response:
        ip = response.ip_address
        if ip is not None and is_private_host(str(ip)) and not self._allowed():
            assert self.stats is not None
            self.stats.inc_value("skipped/private_address")
            raise IgnoreRequest(f"{request.url}: resolved to private address {ip}, refused")
        return response

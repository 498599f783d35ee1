"""The news test site plus ``/hang/``: a page whose response never starts (until the server
stops), for the watchdog tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from crawler.demo.server import DemoServer
from crawler.demo.site import DemoResponse, html_response
from tests.servers.newssite import NewsTestSite

HANG_PATH = "/hang/"
FOREVER = 24 * 3600.0  # the server's stop ends the wait


class HangingSite:
    def __init__(self) -> None:
        self.inner = NewsTestSite()

    def handle(self, method: str, target: str, headers: Any) -> DemoResponse:
        if target.split("?", 1)[0] == HANG_PATH:
            found = html_response("<html><body>too late</body></html>")
            found.delay = FOREVER
            return found
        return self.inner.handle(method, target, headers)


@contextmanager
def hanging_site() -> Iterator[DemoServer]:
    server = DemoServer(HangingSite()).start()
    try:
        yield server
    finally:
        server.stop()


def hanging_site_config(base_url: str, name: str = "hang") -> dict[str, Any]:
    """A site whose only start URL hangs (robots.txt answers)."""
    return {"name": name, "start_urls": [f"{base_url}{HANG_PATH}"],
            "allow_private_addresses": True, "download_delay": 0, "autothrottle": False}

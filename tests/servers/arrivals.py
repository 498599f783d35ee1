"""``HoldingSite``: a site wrapper for ``DemoServer`` that can hold the response to one path
until the test lets it go; ``arrival_times``: when each request reached the server (its
``request_log``).

Used by the shared-politeness tests (``tests/test_frontier_politeness.py``), which check the
spacing of requests as the server saw them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from crawler.demo.site import DemoResponse


@dataclass
class Hold:
    """The response to ``path`` waits for ``release``; ``arrived`` is set when it is asked for."""

    path: str
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


def arrival_times(server: Any) -> list[float]:
    """``time.monotonic()`` of every request the ``DemoServer`` was sent, in order."""
    return sorted(at for at, _, _, _ in list(server.request_log))


class HoldingSite:
    """Serves ``site``, holding the responses to the paths a test asks it to hold."""

    def __init__(self, site: Any) -> None:
        self.site = site
        self.holds: dict[str, Hold] = {}

    def hold(self, path: str) -> Hold:
        self.holds[path] = Hold(path)
        return self.holds[path]

    def handle(self, method: str, target: str, headers: Any) -> DemoResponse:
        held = self.holds.get(urlsplit(target).path)
        if held is not None:
            held.arrived.set()
            held.release.wait(120)
        return self.site.handle(method, target, headers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.site, name)

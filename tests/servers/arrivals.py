"""``ArrivalLog``: a site wrapper for ``DemoServer`` that records when each request arrived
and can hold the response to one path until the test lets it go.

Used by the shared-politeness tests (``tests/test_frontier_politeness.py``), which check the
spacing of requests as the server saw them.
"""

from __future__ import annotations

import threading
import time
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


class ArrivalLog:
    """Serves ``site`` and logs ``(time.monotonic(), path)`` as each request arrives."""

    def __init__(self, site: Any) -> None:
        self.site = site
        self.arrivals: list[tuple[float, str]] = []
        self.holds: dict[str, Hold] = {}
        self._lock = threading.Lock()

    def hold(self, path: str) -> Hold:
        self.holds[path] = Hold(path)
        return self.holds[path]

    def handle(self, method: str, target: str, headers: Any) -> DemoResponse:
        with self._lock:
            self.arrivals.append((time.monotonic(), target))
        held = self.holds.get(urlsplit(target).path)
        if held is not None:
            held.arrived.set()
            held.release.wait(120)
        return self.site.handle(method, target, headers)

    def times(self) -> list[float]:
        with self._lock:
            return sorted(at for at, _ in self.arrivals)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.site, name)

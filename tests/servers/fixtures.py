"""Session-scoped pytest fixtures: the news test site served on 127.0.0.1, port 0."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.demo.server import DemoServer
from tests.servers.newssite import NewsTestSite


@pytest.fixture(scope="session")
def news_site() -> Iterator[DemoServer]:
    """The demo site plus hard cases (seed article included); ``.site`` is the site object."""
    server = DemoServer(NewsTestSite()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def hostile_news_site() -> Iterator[DemoServer]:
    """As ``news_site``, with the hostile routes linked and the windows-1252 article."""
    server = DemoServer(NewsTestSite(hostile=True)).start()
    try:
        yield server
    finally:
        server.stop()

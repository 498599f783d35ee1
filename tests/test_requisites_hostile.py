"""Hostile page requisites: each bounded by a cap, counted with a reason, and the page that
needs them still archived and extracted."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.demo.server import DemoServer
from tests.servers.hostile import (
    LISTING_IMAGE,
    OTHER_HOST_IMAGE,
    REQUISITE_ARTICLE,
    REQUISITE_IMAGES,
    HostileSite,
    run_crawl,
    site_config,
    warc_records,
)
from tests.warc_checks import check_warc

pytestmark = pytest.mark.e2e

PER_PAGE = 40
MAX_BYTES = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def hostile_site() -> Iterator[DemoServer]:
    with DemoServer(HostileSite()) as server:
        yield server


def test_hostile_requisites_are_bounded_and_counted_and_the_page_is_kept(
    hostile_site: DemoServer, tmp_path: Path
) -> None:
    base = hostile_site.base_url
    out = tmp_path / "out"
    config = site_config(base, start_urls=[f"{base}/req/news/"], allow_private_addresses=True,
                         concurrency=16, requisites_on_listings=True)
    run = run_crawl(config, out, "-s", f"NEWSARCHIVE_REQUISITES_PER_PAGE={PER_PAGE}",
                    "-s", f"NEWSARCHIVE_REQUISITE_MAX_BYTES={MAX_BYTES}", timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    for path in out.glob("warc/**/*.warc.gz"):
        check_warc(path)
    records = warc_records(out)
    responses = [uri for kind, uri, _ in records if kind == "response"]

    # the page itself: archived and extracted
    assert base + REQUISITE_ARTICLE in responses
    articles = [json.loads(line) for p in out.glob("articles/**/*.jsonl.gz")
                for line in gzip.open(p, "rt", encoding="utf-8")]
    assert [a["url"] for a in articles] == [base + REQUISITE_ARTICLE]

    # 5,000 images: the count cap (stylesheet, huge, loop, other host and 36 gallery images)
    assert base + LISTING_IMAGE in responses  # requisites_on_listings: true
    # from any host by default (the site's allowed_domains are 127.0.0.1 only)
    assert OTHER_HOST_IMAGE.format(port=hostile_site.port) in responses
    gallery = [u for u in responses if "/req/img/" in u and u not in (base + LISTING_IMAGE, OTHER_HOST_IMAGE.format(port=hostile_site.port))]
    assert len(gallery) == PER_PAGE - 4
    assert run.stat("requisites/skipped/over_page_limit") == REQUISITE_IMAGES + 4 - PER_PAGE

    # a stylesheet importing itself: fetched once, the loop counted
    assert responses.count(f"{base}/req/self.css") == 1
    assert run.stat("requisites/skipped/import_loop") == 1

    # a font served as text/html: archived as served, counted
    assert responses.count(f"{base}/req/font.woff2") == 1
    assert run.stat("requisites/wrong_type/font") == 1

    # a 200 MB image: cut at the cap, archived as truncated, counted
    huge = [content for kind, uri, content in records
            if kind == "response" and uri == f"{base}/req/huge.png"]
    assert len(huge) == 1 and len(huge[0]) <= MAX_BYTES + 1024 * 1024
    assert run.stat("requisites/failed/too_large") == 1

    # a redirect loop: bounded by REDIRECT_MAX_TIMES, counted
    loop = [u for u in responses if "/req/loop/" in u]
    assert 1 <= len(loop) <= 11
    assert run.stat("requisites/failed/redirect_loop") == 1

"""Acceptance on the demo news site: every requisite of its articles archived exactly once per
crawl, the lead image pointed at (image.warc), a second crawl stores none of the unchanged
requisites again (revisits), and `verify` and `wacz --validate` pass."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.demo.server import DemoServer
from crawler.demo.site import DemoSite
from crawler.requisites import STYLESHEET, css_requisites, html_requisites
from tests.servers.hostile import run_crawl

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    with DemoServer(DemoSite()) as server:
        yield server


def read_records(paths: list[Path]) -> list[dict[str, Any]]:
    records = []
    for path in paths:
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type in ("response", "revisit"):
                    records.append({"type": record.rec_type,
                                    "uri": record.rec_headers.get_header("WARC-Target-URI"),
                                    "status": record.http_headers.get_statuscode(),
                                    "body": record.content_stream().read()})
    return records


def expected_requisites(records: list[dict[str, Any]], articles: list[str]) -> set[str]:
    """The requisites of the archived article pages and, recursively, of their stylesheets,
    found in the archived bytes."""
    by_uri = {r["uri"]: r for r in records}
    wanted: set[str] = set()
    todo = [(u, "page") for u in articles]
    while todo:
        url, kind = todo.pop()
        body = by_uri[url]["body"]
        found = (html_requisites(body, url) if kind == "page" else css_requisites(body, url))
        for requisite in found.requisites:
            if requisite.url not in wanted:
                wanted.add(requisite.url)
                if requisite.kind == STYLESHEET:
                    todo.append((requisite.url, STYLESHEET))
    return wanted


def articles_of(out: Path, crawl: str | None = None) -> list[dict[str, Any]]:
    return [json.loads(line) for p in sorted(out.glob("articles/**/*.jsonl.gz"))
            if crawl is None or crawl in p.name
            for line in gzip.open(p, "rt", encoding="utf-8")]


def test_requisites_once_per_crawl_then_revisits_and_the_archive_verifies(
    demo: DemoServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    config = DemoSite().site_config(demo.base_url)
    first = run_crawl(config, out)
    assert first.returncode == 0, first.stderr[-3000:]
    first_warcs = sorted(out.glob("warc/**/*.warc.gz"))
    records = read_records(first_warcs)
    records_articles = articles_of(out)
    pages = [a["url"] for a in records_articles]
    requisites = expected_requisites(records, pages)
    # stylesheets, their @import, the font, the logo, lead images and their srcset's largest
    assert any(u.endswith("/assets/css/base.css") for u in requisites)
    assert any(u.endswith(".woff2") for u in requisites)
    assert any(u.endswith("/logo.png") for u in requisites)
    assert any(u.endswith("-1200.png") for u in requisites)
    fetched = Counter(r["uri"] for r in records)
    for url in requisites:
        assert fetched[url] == 1, url
    assert all(r["status"] == "200" for r in records if r["uri"] in requisites)
    assert first.stat("requisites/responses") == len(requisites)
    assert first.stat("requisites/reused") > 0  # shared stylesheet and logo

    # the manifest counts requisites apart from pages
    manifest = json.loads(next(out.glob("crawls/*.json")).read_text())
    assert manifest["counts"]["requisites"]["responses"] == len(requisites)

    # the lead image points at its archived response
    with_image = [a for a in records_articles if a.get("image") and a["image"].get("url")]
    assert with_image and all("warc" in a["image"] for a in with_image)
    for article in with_image:
        pointer = article["image"]["warc"]
        assert pointer["key"] and (out / pointer["key"]).exists()
        with open(out / pointer["key"], "rb") as handle:
            handle.seek(pointer["offset"])
            record = next(iter(ArchiveIterator(handle)))
        assert record.rec_headers.get_header("WARC-Target-URI") == article["image"]["url"]
        assert record.http_headers.get_header("Content-Type") == "image/png"

    second = run_crawl(config, out, "--full")  # known articles fetched again, and their requisites
    assert second.returncode == 0, second.stderr[-3000:]
    second_records = read_records([p for p in sorted(out.glob("warc/**/*.warc.gz"))
                                   if p not in first_warcs])
    again = [r for r in second_records if r["uri"] in requisites]
    assert len(again) == len(requisites)
    assert {r["type"] for r in again} == {"revisit"}

    verify = subprocess.run([sys.executable, "-m", "crawler", "verify", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert verify.returncode == 0, verify.stdout[-2000:] + verify.stderr[-2000:]
    wacz = subprocess.run([sys.executable, "-m", "crawler", "wacz", str(out), "-o",
                           str(tmp_path / "demo.wacz"), "--validate"],
                          capture_output=True, text=True, timeout=900)
    assert wacz.returncode == 0, wacz.stdout[-2000:] + wacz.stderr[-2000:]
    with zipfile.ZipFile(tmp_path / "demo.wacz") as package:
        index = gzip.decompress(package.read("indexes/index.cdx.gz")).decode()
    indexed = {json.loads(line.split(" ", 2)[2])["url"] for line in index.splitlines() if line}
    assert requisites <= indexed

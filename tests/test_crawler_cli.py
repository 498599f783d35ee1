"""The two entry points a user types: `newsarchive demo` and `scrapy crawl sections`."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.demo.site import DemoSite

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[1]


def read_records(out: Path) -> list[dict[str, Any]]:
    records = []
    for path in out.glob("articles/**/*.jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            records += [json.loads(line) for line in handle]
    return records


def test_demo_serves_and_crawls_bundled_site(tmp_path: Path) -> None:
    out = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, "-m", "crawler", "demo", "--out", str(out)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = read_records(out)
    assert len(records) == len(DemoSite().articles) >= 20
    assert "Demo news site at http://127.0.0.1:" in proc.stderr
    assert "articles" in proc.stderr  # the progress line
    summary = proc.stdout
    assert f"{len(records)} articles" in summary
    for kind in ("warc", "jsonl", "manifest"):
        assert kind in summary
    manifest = json.loads(next(out.glob("crawls/*.json")).read_text())
    assert manifest["counts"]["articles"] == len(records)
    assert manifest["software"]["scrapy"]


def test_scrapy_crawl_sections_works_from_repo_root(tmp_path: Path, news_site: Any) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(yaml.safe_dump(news_site.site.site_config(news_site.base_url)))
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "sections", "-a", f"site={config}",
         "-s", f"NEWSARCHIVE_OUTPUT={out}", "-s", "LOG_LEVEL=WARNING"],
        capture_output=True, text=True, timeout=600, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    urls = {r["url"] for r in read_records(out)}
    assert urls == {t["url"] for t in news_site.site.article_truth(news_site.base_url)}
    assert list(out.glob("crawls/*.json")) and list(out.glob("warc/**/*.warc.gz"))

"""`--max-articles N` stops at exactly N article records (issue 15)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.e2e


def crawl(config: dict[str, Any], out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    site = out.parent / f"{out.name}-site.yaml"
    site.write_text(yaml.safe_dump(config), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "crawler", "crawl", str(site), "--out", str(out), *args],
                          capture_output=True, text=True, timeout=300, check=False)


def records(out: Path) -> list[dict[str, Any]]:
    found = []
    for path in out.glob("articles/**/*.jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            found += [json.loads(line) for line in handle if line.strip()]
    return found


@pytest.mark.parametrize("limit", [1, 3, 10])
def test_max_articles_writes_exactly_n_records(tmp_path: Path, news_site: Any, limit: int) -> None:
    config = news_site.site.site_config(news_site.base_url)
    out = tmp_path / "out"
    proc = crawl(config, out, "--max-articles", str(limit))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(records(out)) == limit
    manifest = json.loads(next(out.glob("crawls/*.json")).read_text("utf-8"))
    assert manifest["counts"]["articles"] == limit
    assert manifest["counts"]["finish_reason"] == "closespider_itemcount"
    assert f"{limit} articles" in proc.stdout


@pytest.mark.parametrize("value", ["-1", "0", "many"])
def test_max_articles_below_one_is_refused(tmp_path: Path, value: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "crawler", "crawl", "site.yaml",
                           "--max-articles", value, "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
    assert proc.returncode == 2
    assert "--max-articles" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_max_articles_with_no_extract_is_refused(tmp_path: Path, news_site: Any) -> None:
    proc = crawl(news_site.site.site_config(news_site.base_url), tmp_path / "out",
                 "--max-articles", "2", "--no-extract")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--no-extract" in proc.stderr

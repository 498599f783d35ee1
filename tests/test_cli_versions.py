"""One pair of versions — the package's and the extractor's — in `--version`, every manifest,
every warcinfo record and every article record (issue 15)."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from warcio.archiveiterator import ArchiveIterator

from pipelines.versions import EXTRACTOR_NAME, EXTRACTOR_VERSION, PACKAGE_VERSION

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[1]


def test_pyproject_takes_the_version_from_the_one_module() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "pipelines.versions.PACKAGE_VERSION"}


def test_crawl_outputs_carry_both_versions(tmp_path: Path, news_site: Any) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(news_site.site.site_config(news_site.base_url)), "utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "crawler", "crawl", str(site), "--out", str(out),
                           "--max-articles", "1", "-s", "WARC_MAX_SIZE=20000"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    extractor = f"{EXTRACTOR_NAME}/{EXTRACTOR_VERSION}"

    manifest = json.loads(next(out.glob("crawls/*.json")).read_text("utf-8"))
    assert manifest["software"]["newsarchive"] == PACKAGE_VERSION
    assert manifest["software"]["extractor"] == extractor

    warcs = sorted(out.glob("warc/**/*.warc.gz"))
    assert len(warcs) >= 2  # rotated: every file starts with its own warcinfo
    for path in warcs:
        with path.open("rb") as handle:
            first = next(iter(ArchiveIterator(handle)))
            assert first.rec_type == "warcinfo"
            fields = dict(re.findall(r"^([\w-]+): (.*?)\r?$", first.content_stream().read().decode(),
                                     re.MULTILINE))
        assert fields["software"].startswith(f"newsarchive/{PACKAGE_VERSION} ")
        assert fields["extractor"] == extractor

    with gzip.open(next(out.glob("articles/**/*.jsonl.gz")), "rt", encoding="utf-8") as handle:
        record = json.loads(handle.readline())
    assert record["extractor"] == {"name": EXTRACTOR_NAME, "version": EXTRACTOR_VERSION}

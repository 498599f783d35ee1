"""WACZ packages: py-wacz's validator accepts them; pages, index and hashes are right."""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from archive.wacz import validate_wacz, write_wacz
from tests.test_archive_reextract import Crawl, crawl  # noqa: F401  (session fixture)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def wacz(crawl: Crawl, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    path = tmp_path_factory.mktemp("wacz") / "crawl.wacz"
    write_wacz(crawl.out, path, title="news test site")
    return path


@pytest.mark.wacz
def test_wacz_validate_passes(wacz: Path) -> None:
    ok, output = validate_wacz(wacz, say=print)
    assert ok, output


def test_layout_and_hashes(wacz: Path, crawl: Crawl) -> None:  # noqa: F811
    with zipfile.ZipFile(wacz) as zf:
        names = zf.namelist()
        assert sorted(n for n in names if n.startswith("archive/")) == sorted(
            f"archive/{w.name}" for w in crawl.warcs)
        for info in zf.infolist():
            if info.filename.startswith("archive/") or info.filename.endswith(".cdx.gz"):
                assert info.compress_type == zipfile.ZIP_STORED, info.filename
        package = json.loads(zf.read("datapackage.json"))
        assert package["wacz_version"] == "1.1.1"
        listed = {r["path"]: r for r in package["resources"]}
        assert set(listed) == set(names) - {"datapackage.json", "datapackage-digest.json"}
        for path, resource in listed.items():
            data = zf.read(path)
            assert resource["bytes"] == len(data)
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        digest = json.loads(zf.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(zf.read("datapackage.json")).hexdigest()
        index = gzip.decompress(zf.read("indexes/index.cdx.gz")).decode().splitlines()
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()]

    assert index == sorted(index)
    indexed = {(json.loads(line.split(" ", 2)[2])["url"], json.loads(line.split(" ", 2)[2])["filename"])
               for line in index}
    assert pages[0]["format"] == "json-pages-1.0"
    articles = {r["url"]: r for r in crawl.records}
    assert len(pages) - 1 == len(articles)
    for page in pages[1:]:
        record = articles[page["url"]]
        assert page["title"] == record["title"]
        assert page["ts"] == record["fetched_at"]
        assert (page["url"], record["warc"]["filename"]) in indexed

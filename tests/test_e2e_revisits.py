"""End to end: two crawls of an unchanged site into one archive; the second writes revisit
records (identical-payload-digest) instead of copies, and everything still resolves."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from warcio.archiveiterator import ArchiveIterator

from archive.cdxj import index_lines
from archive.layout import index_key_for
from tests.servers.s3_fixtures import Bucket
from tests.warc_checks import check_warc, read_pointer

pytestmark = pytest.mark.e2e

REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def newsarchive(*args: str, cwd: Path, env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True, check=False,
                          text=True, timeout=300, cwd=cwd, env=env)


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr[-6000:]}"


def jsonl(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(data).splitlines() if line.strip()]


def records_by_type(path: Path) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle):
            headers = dict(record.rec_headers.headers)
            found.setdefault(record.rec_type, []).append(headers)
    return found


def comparable(record: dict[str, Any]) -> str:
    """A record as JSON with sorted keys (a set member)."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


@pytest.fixture(scope="module")
def two_local_crawls(news_site: Any, tmp_path_factory: pytest.TempPathFactory
                     ) -> tuple[Path, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("revisits")
    out = root / "out"
    site = root / "site.yaml"
    site.write_text(yaml.safe_dump(news_site.site.site_config(news_site.base_url)))
    manifests = []
    for _ in range(2):
        before = {p.name for p in out.glob("crawls/*.json")}
        # complete crawls (incremental crawling would not fetch known articles again)
        proc = newsarchive("crawl", str(site), "--out", str(out),
                           "-s", "NEWSARCHIVE_INCREMENTAL=false", cwd=root)
        assert proc.returncode == 0, output(proc)
        (new,) = [p for p in out.glob("crawls/*.json") if p.name not in before]
        manifests.append(json.loads(new.read_text()))
    return out, manifests


def files_of(out: Path, manifest: dict[str, Any], kind: str) -> list[Path]:
    return [out / f["key"] for f in manifest["files"] if f["kind"] == kind]


def test_second_crawl_writes_revisits_not_copies(two_local_crawls: tuple[Path, list[Any]]
                                                 ) -> None:
    out, (first, second) = two_local_crawls
    assert first["counts"]["warc_revisits"] == 0
    assert second["counts"]["warc_revisits"] >= 30
    originals = {}
    for warc in files_of(out, first, "warc"):
        for headers in records_by_type(warc)["response"]:
            originals[headers["WARC-Record-ID"]] = headers
    revisits = []
    responses = []
    for warc in files_of(out, second, "warc"):
        check_warc(warc)
        # revisit lines made while writing are cdxj-indexer's lines for the file
        index = out / index_key_for(str(warc.relative_to(out)))
        assert index.read_text("utf-8").splitlines(keepends=True) == index_lines([warc])
        found = records_by_type(warc)
        revisits += found.get("revisit", [])
        responses += found.get("response", [])
    assert len(revisits) == second["counts"]["warc_revisits"]
    for revisit in revisits:
        assert revisit["WARC-Profile"] == REVISIT_PROFILE
        original = originals[revisit["WARC-Refers-To"]]
        assert revisit["WARC-Refers-To-Target-URI"] == original["WARC-Target-URI"]
        assert revisit["WARC-Refers-To-Date"] == original["WARC-Date"]
        assert revisit["WARC-Payload-Digest"] == original["WARC-Payload-Digest"]
        assert revisit["WARC-Target-URI"] == original["WARC-Target-URI"]
    # Every article page is unchanged: none is stored twice.
    article_urls = {r["url"] for r in jsonl((files_of(out, first, "jsonl")[0]).read_bytes())}
    copied = [h["WARC-Target-URI"] for h in responses if h["WARC-Target-URI"] in article_urls]
    assert copied == []


def test_revisit_pointers_resolve_to_the_payload(two_local_crawls: tuple[Path, list[Any]]
                                                 ) -> None:
    out, (first, second) = two_local_crawls
    first_records = {r["url"]: r for r in jsonl(files_of(out, first, "jsonl")[0].read_bytes())}
    second_records = jsonl(files_of(out, second, "jsonl")[0].read_bytes())
    assert {r["url"] for r in second_records} == set(first_records)
    first_warcs = {p.name: p for p in files_of(out, first, "warc")}
    for record in second_records:
        pointer = record["warc"]
        assert record["crawl_id"] == second["crawl_id"]
        assert pointer == first_records[record["url"]]["warc"]  # the original holds it
        warc_record, content, _ = read_pointer(first_warcs[pointer["filename"]],
                                               pointer["offset"], pointer["length"])
        assert warc_record.rec_type == "response"
        assert warc_record.rec_headers.get_header("WARC-Record-ID") == pointer["record_id"]
        assert content


def test_verify_passes_over_both_crawls(two_local_crawls: tuple[Path, list[Any]]) -> None:
    out, _ = two_local_crawls
    check = newsarchive("verify", str(out), cwd=out.parent)
    assert check.returncode == 0, output(check)
    assert check.stdout.startswith(f"OK {out}: 2 crawl manifest(s)")


def test_reextract_of_both_crawls_is_the_union_of_their_jsonl(
        two_local_crawls: tuple[Path, list[Any]]) -> None:
    out, manifests = two_local_crawls
    crawled = [r for m in manifests for r in jsonl(files_of(out, m, "jsonl")[0].read_bytes())]
    target = out.parent / "reextracted.jsonl"
    proc = newsarchive("reextract", str(out / "warc"), "-o", str(target), "--processes", "1",
                       cwd=out.parent)
    assert proc.returncode == 0, output(proc)
    rebuilt = [json.loads(line) for line in target.read_text().splitlines() if line.strip()]
    assert len(rebuilt) == len(crawled)
    # fetched_at is the WARC-Date, to the second in the WARC, to the microsecond in the crawl.
    for record in crawled + rebuilt:
        record["fetched_at"] = record["fetched_at"][:19]
    assert sorted(map(comparable, rebuilt)) == sorted(map(comparable, crawled))


# --- the same to object storage ---------------------------------------------------------------


@pytest.mark.s3
def test_two_crawls_to_s3_revisit_and_verify(news_site: Any, moto_bucket: Bucket,
                                             tmp_path: Path) -> None:
    uri = f"{moto_bucket.uri}/revisits"
    spool_root = tmp_path / "cache" / "spool"
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(news_site.site.site_config(news_site.base_url)))
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_bucket.endpoint_url}
    for _ in range(2):
        proc = newsarchive("crawl", str(site), "--storage", uri, "-s", "NEWSARCHIVE_INCREMENTAL=false",
                           "-s", f"STORAGE_SPOOL_DIR={spool_root}", cwd=tmp_path, env=env)
        assert proc.returncode == 0, output(proc)
    # The revisit index outlives the spools: beside them, under state/.
    (state,) = (tmp_path / "cache" / "state").iterdir()
    assert (state / "dedup.sqlite").is_file()
    assert not list(spool_root.iterdir())

    keys = [k[len("revisits/"):] for k in moto_bucket.keys()]  # noqa: SIM118 - a bucket listing
    manifests = sorted((json.loads(moto_bucket.get(f"revisits/{k}")) for k in keys
                        if k.startswith("crawls/")), key=lambda m: m["crawl_id"])
    assert len(manifests) == 2
    first, second = manifests
    assert first["counts"]["warc_revisits"] == 0
    assert second["counts"]["warc_revisits"] >= 30
    first_records = {r["url"]: r for r in jsonl(moto_bucket.get(
        "revisits/" + next(f["key"] for f in first["files"] if f["kind"] == "jsonl")))}
    second_records = jsonl(moto_bucket.get(
        "revisits/" + next(f["key"] for f in second["files"] if f["kind"] == "jsonl")))
    for record in second_records:
        assert record["warc"] == first_records[record["url"]]["warc"]
    check = newsarchive("verify", uri, cwd=tmp_path, env=env)
    assert check.returncode == 0, output(check)
    assert check.stdout.startswith(f"OK {uri}: 2 crawl manifest(s)")

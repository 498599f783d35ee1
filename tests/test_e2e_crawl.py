"""End to end: crawl the local news-site server with the real CLI and check every output."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from archive.cdxj import index_lines
from tests.warc_checks import check_warc, decoded_payload, read_pointer

pytestmark = pytest.mark.e2e


@dataclass
class Crawl:
    out: Path
    proc: subprocess.CompletedProcess[str]
    manifest: dict[str, Any]
    records: list[dict[str, Any]]
    warcs: list[Path]
    # The server's request log while this crawl ran (the server is shared by the session).
    requests: list[Any] = field(default_factory=list)


def run_cli_crawl(site_config: dict[str, Any], out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    config_path = out.parent / f"{out.name}-site.yaml"
    config_path.write_text(yaml.safe_dump(site_config), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", str(config_path), "--out", str(out), *extra],
        check=False, capture_output=True, text=True, timeout=600,
    )


def load_crawl(out: Path, proc: subprocess.CompletedProcess[str]) -> Crawl:
    manifests = sorted(out.glob("crawls/*.json"))
    assert len(manifests) == 1, proc.stdout + proc.stderr
    records = []
    for path in sorted(out.glob("articles/**/*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            records += [json.loads(line) for line in handle if line.strip()]
    return Crawl(out, proc, json.loads(manifests[0].read_text()), records, sorted(out.glob("warc/**/*.warc.gz")))


@pytest.fixture(scope="session")
def crawl(news_site: Any, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    out = tmp_path_factory.mktemp("e2e") / "out"
    first = len(news_site.request_log)
    proc = run_cli_crawl(news_site.site.site_config(news_site.base_url), out)
    crawl = load_crawl(out, proc)
    crawl.requests = list(news_site.request_log[first:])
    return crawl


@pytest.fixture(scope="session")
def truth(news_site: Any) -> dict[str, dict[str, Any]]:
    return {t["url"]: t for t in news_site.site.article_truth(news_site.base_url)}


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def same_instant(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a == b
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


def test_crawl_exits_0_with_complete_manifest(crawl: Crawl) -> None:
    assert crawl.proc.returncode == 0, crawl.proc.stdout + crawl.proc.stderr
    assert "Traceback" not in crawl.proc.stderr
    assert crawl.manifest["status"] == "complete"
    kinds = {f["kind"] for f in crawl.manifest["files"]}
    assert {"warc", "cdxj", "jsonl"} <= kinds
    keys = {f["key"] for f in crawl.manifest["files"]}
    for warc in crawl.warcs:  # a CDXJ index beside every WARC
        key = str(warc.relative_to(crawl.out))
        assert key in keys
        index_key = "indexes/" + key[len("warc/"):].replace(".warc.gz", ".cdxj")
        assert index_key in keys
        # made while writing, line for line what cdxj-indexer makes reading the file back
        assert (crawl.out / index_key).read_text("utf-8").splitlines(keepends=True) == \
            index_lines([warc])
    for entry in crawl.manifest["files"]:
        path = crawl.out / entry["key"]
        assert path.stat().st_size == entry["size"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
    assert not list(crawl.out.rglob("*.open"))


def test_exactly_the_expected_articles(crawl: Crawl, truth: dict[str, dict[str, Any]]) -> None:
    urls = [r["url"] for r in crawl.records]
    assert len(urls) == len(set(urls)), "duplicate records"
    assert set(urls) == set(truth)


SCHEMA_FILE = Path(__file__).resolve().parents[1] / "pipelines" / "schema" / "article-v1.2.schema.json"


def test_every_record_validates_against_the_published_schema(crawl: Crawl) -> None:
    """Checked with the published schema file through jsonschema itself, not the project's
    own validator: whatever fields the schema declares."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    assert crawl.records
    for record in crawl.records:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator.iter_errors(record)]
        assert errors == [], record["url"]
        assert record["crawl_id"] == crawl.manifest["crawl_id"]


def test_fields_match_the_page_truth(crawl: Crawl, truth: dict[str, dict[str, Any]]) -> None:
    failures = []
    for record in crawl.records:
        expected = truth[record["url"]]
        text_paragraphs = paragraphs(record["text"])
        checks = {
            "title": record["title"] == expected["title"],
            "authors": record["authors"] == expected["authors"],
            "published": same_instant(record["published"], expected["published"]),
            "section": record["section"] == expected["section"],
            "credit": (record["image"] or {}).get("credit") == (expected["image"] or {}).get("credit"),
            "first paragraph": bool(text_paragraphs) and text_paragraphs[0] == expected["first_paragraph"],
            "last paragraph": bool(text_paragraphs) and text_paragraphs[-1] == expected["last_paragraph"],
            "no boilerplate": not [b for b in expected["boilerplate"] if b in record["text"]],
        }
        failures += [f"{record['url']}: {name}" for name, ok in checks.items() if not ok]
    assert failures == []


def test_seed_article(crawl: Crawl) -> None:
    seed = [r for r in crawl.records if r["title"].startswith("Trump’s Backchannel to Putin")]
    assert len(seed) == 1
    record = seed[0]
    assert record["authors"] == ["EUToday Correspondents"]
    assert record["section"] == "ANALYSIS"
    assert record["published"].startswith("2025-02-18")
    assert record["image"]["credit"] == "Russian Foreign Ministry Press Service"
    assert record["text"].startswith("High-level negotiations")
    assert record["text"].endswith("undermining American credibility among its allies.")
    for boilerplate in ("Read also", "You may also like", "Leave a Comment", "Editors' Picks", "Latest Posts", "Image source:"):
        assert boilerplate not in record["text"]


def test_robots_fetched_first_and_obeyed(crawl: Crawl, news_site: Any) -> None:
    targets = [entry[2] for entry in crawl.requests]
    assert targets[0] == "/robots.txt"
    for path in news_site.site.disallowed_paths():
        assert not any(t.startswith(path) for t in targets), path


def test_non_articles_fetched_but_not_emitted(crawl: Crawl, news_site: Any) -> None:
    emitted = {urlsplit(r["url"]).path for r in crawl.records}
    fetched = {urlsplit(entry[2]).path for entry in crawl.requests}
    for path in news_site.site.non_article_paths():
        assert path not in emitted
    assert crawl.manifest["counts"]["non_articles"] >= 1
    assert fetched & set(news_site.site.non_article_paths())


def test_warcs_valid_and_archive_every_exchange(crawl: Crawl) -> None:
    assert crawl.warcs
    targets: list[str] = []
    statuses: set[int] = set()
    for path in crawl.warcs:
        types = check_warc(path)
        assert types.count("request") == types.count("response")
        from warcio.archiveiterator import ArchiveIterator

        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    targets.append(urlsplit(record.rec_headers.get_header("WARC-Target-URI")).path)
                    statuses.add(int(record.http_headers.get_statuscode()))
    assert "/robots.txt" in targets
    assert any(t.endswith(("feed/", ".xml", "atom.xml")) for t in targets)
    assert {200, 301, 404} <= statuses


def test_every_pointer_yields_the_served_html(crawl: Crawl, news_site: Any) -> None:
    by_name = {p.name: p for p in crawl.warcs}
    for record in crawl.records:
        pointer = record["warc"]
        warc_record, content, _ = read_pointer(by_name[pointer["filename"]], pointer["offset"], pointer["length"])
        assert warc_record.rec_type == "response"
        assert warc_record.rec_headers.get_header("WARC-Target-URI") == record["url"]
        assert warc_record.rec_headers.get_header("WARC-Record-ID") == pointer["record_id"]
        assert warc_record.rec_headers.get_header("WARC-Payload-Digest") == pointer["payload_digest"]
        target = record["url"][len(news_site.base_url):]
        served = news_site.site.handle("GET", target, {"Host": urlsplit(news_site.base_url).netloc})
        assert served.status == 200
        served_body = served.body
        if {k.lower(): v for k, v in served.headers}.get("content-encoding") == "gzip":
            served_body = gzip.decompress(served_body)
        assert decoded_payload(warc_record, content) == served_body


def test_archive_only_crawl_writes_warcs_and_no_records(news_site: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli_crawl(news_site.site.site_config(news_site.base_url), out, "--no-extract", "-v")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ERROR" not in proc.stderr
    assert not list(out.glob("articles/**/*.jsonl.gz"))
    warcs = list(out.glob("warc/**/*.warc.gz"))
    assert warcs
    for path in warcs:
        check_warc(path)


def test_jobdir_keeps_the_frontier_in_disk_queues(news_site: Any, truth: dict[str, dict[str, Any]],
                                                   tmp_path: Path) -> None:
    """Large crawls set JOBDIR: every request must survive pickling into Scrapy's disk queues
    (callbacks by name, picklable meta), and the crawl's result is the same."""
    out, jobdir = tmp_path / "out", tmp_path / "job"
    proc = run_cli_crawl(news_site.site.site_config(news_site.base_url), out,
                         "-s", f"JOBDIR={jobdir}", "-s", "LOG_LEVEL=INFO")
    crawl = load_crawl(out, proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {r["url"] for r in crawl.records} == set(truth)
    stats = proc.stderr[proc.stderr.index("Dumping Scrapy stats"):]
    assert "'scheduler/enqueued/disk'" in stats, stats
    assert "'scheduler/enqueued/memory'" not in stats and "unserializable" not in stats, stats
    assert (jobdir / "requests.seen").stat().st_size > 0

"""Re-extraction from WARCs equals the crawl's own JSONL (same fields, same pointers)."""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from archive.records import RecordFactory, gzip_member
from archive.reextract import run_reextract
from crawler.cli import reextract_cmd
from pipelines.responses import ExtractSettings, FetchedResponse, decide
from tests.servers.newssite import CHUNKED_PATH, GZIP_PATH
from crawler.run import crawl_settings

pytestmark = pytest.mark.e2e

EXTRACT_SETTINGS = ExtractSettings.from_settings(crawl_settings())


@dataclass
class Crawl:
    out: Path
    warcs: list[Path]
    records: list[dict[str, Any]]


def by_url(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda r: (r["url"], r["fetched_at"]))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    opener: Callable[..., Any] = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="session")
def crawl(news_site: Any, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    base = tmp_path_factory.mktemp("reextract")
    config = base / "site.yaml"
    config.write_text(yaml.safe_dump(news_site.site.site_config(news_site.base_url)), "utf-8")
    out = base / "out"
    proc = subprocess.run(
        # a complete crawl: its records are schema 1.1, as reextract's (no revision history)
        [sys.executable, "-m", "crawler", "crawl", str(config), "--out", str(out),
         "-s", "NEWSARCHIVE_INCREMENTAL=false"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = [r for p in sorted(out.glob("articles/**/*.jsonl.gz")) for r in read_jsonl(p)]
    warcs = sorted(out.glob("warc/**/*.warc.gz"))
    assert records and warcs
    return Crawl(out, warcs, records)


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="newsarchive")
    reextract_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["reextract", *argv])
    return int(args.func(args))


def test_cli_output_equals_the_crawl_jsonl(crawl: Crawl, tmp_path: Path) -> None:
    output = tmp_path / "re.jsonl.gz"
    assert run_cli(str(crawl.out / "warc"), "-o", str(output), "--processes", "2") == 0
    records = read_jsonl(output)
    assert by_url(records) == by_url(crawl.records)
    paths = {r["url"].split("/", 3)[3] for r in records}
    assert GZIP_PATH.lstrip("/") in paths  # Content-Encoding: gzip on the wire
    assert CHUNKED_PATH.lstrip("/") in paths  # dechunked by the capture
    # the crawl's key order, so the lines themselves are the same
    lines = gzip.decompress(output.read_bytes()).decode().splitlines()
    crawl_lines = [
        line for p in sorted(crawl.out.glob("articles/**/*.jsonl.gz"))
        for line in gzip.decompress(p.read_bytes()).decode().splitlines()
    ]
    assert sorted(lines) == sorted(crawl_lines)


def test_fastwarc_and_warcio_readers_agree_in_one_process(crawl: Crawl) -> None:
    fast = run_reextract(crawl.warcs, settings=EXTRACT_SETTINGS, processes=1, reader="fastwarc")
    slow = run_reextract(crawl.warcs, settings=EXTRACT_SETTINGS, processes=1, reader="warcio")
    assert fast.records == slow.records
    assert by_url(fast.records) == by_url(crawl.records)
    assert fast.counts == slow.counts


def copy_with_warcio(source: Path, target: Path) -> None:
    with open(source, "rb") as inp, open(target, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for record in ArchiveIterator(inp):
            writer.write_record(record)


def test_reads_a_warcio_written_copy(crawl: Crawl, tmp_path: Path) -> None:
    copies = []
    for warc in crawl.warcs:
        copies.append(tmp_path / warc.name)
        copy_with_warcio(warc, copies[-1])
    result = run_reextract(copies, settings=EXTRACT_SETTINGS, processes=2)
    assert len(result.records) == len(crawl.records)
    for got, expected in zip(by_url(result.records), by_url(crawl.records)):
        got_pointer, expected_pointer = got.pop("warc"), dict(expected)["warc"]
        got_image, expected_image = dict(got.pop("image") or {}), dict(expected["image"] or {})
        assert (got_image.pop("warc", {}).get("record_id")
                == expected_image.pop("warc", {}).get("record_id"))
        assert got_image == expected_image
        assert got == {k: v for k, v in expected.items() if k not in ("warc", "image")}
        assert got_pointer["record_id"] == expected_pointer["record_id"]
        assert got_pointer["payload_digest"] == expected_pointer["payload_digest"]
        # the new pointer reaches the record in the copy
        data = (tmp_path / got_pointer["filename"]).read_bytes()
        chunk = data[got_pointer["offset"] : got_pointer["offset"] + got_pointer["length"]]
        record = next(iter(ArchiveIterator(BytesIO(chunk))))
        assert record.rec_headers.get_header("WARC-Record-ID") == got_pointer["record_id"]


def revisits_of(warc: Path, target: Path, crawl_id: str) -> dict[str, str | None]:
    """A second WARC with an identical-payload-digest revisit for every response of ``warc``."""
    factory = RecordFactory()
    dates = {}
    with open(warc, "rb") as inp, open(target, "wb") as out:
        out.write(gzip_member(factory.warcinfo(target.name, {"isPartOf": crawl_id}).to_bytes()))
        for record in ArchiveIterator(inp):
            if record.rec_type != "response":
                continue
            head = record.http_headers.to_bytes()
            revisit = factory.revisit(
                record.rec_headers.get_header("WARC-Target-URI"),
                head,
                record.rec_headers.get_header("WARC-Payload-Digest"),
                record.rec_headers.get_header("WARC-Target-URI"),
                record.rec_headers.get_header("WARC-Date"),
                refers_to=record.rec_headers.get_header("WARC-Record-ID"),
            )
            dates[record.rec_headers.get_header("WARC-Record-ID")] = revisit.header("WARC-Date")
            out.write(gzip_member(revisit.to_bytes()))
    return dates


def test_revisits_resolve_to_their_original(crawl: Crawl, tmp_path: Path) -> None:
    later = tmp_path / "later-00000.warc.gz"
    dates = revisits_of(crawl.warcs[0], later, "later")
    result = run_reextract([*crawl.warcs, later], settings=EXTRACT_SETTINGS, processes=1)
    first = [r for r in crawl.records if r["warc"]["filename"] == crawl.warcs[0].name]
    again = [r for r in result.records if r["crawl_id"] == "later"]
    assert result.counts["revisits/resolved"] == len(dates)
    assert len(again) == len(first)
    for got, original in zip(by_url(again), by_url(first)):
        # the payload lives in the original: the pointer reaches it, as the crawl writes it
        assert got["warc"] == original["warc"]
        assert got["fetched_at"] == dates[original["warc"]["record_id"]]
        assert {k: v for k, v in got.items() if k not in ("fetched_at", "crawl_id")} == {
            k: v for k, v in original.items() if k not in ("fetched_at", "crawl_id")
        }

    alone = run_reextract([later], settings=EXTRACT_SETTINGS, processes=1)
    assert alone.records == []
    assert alone.counts["revisits/unresolved"] == len(dates)


# --- one response: decoding and the crawl's skips ----------------------------------------


@pytest.fixture(scope="session")
def article(crawl: Crawl) -> tuple[FetchedResponse, dict[str, Any]]:
    """An uncompressed archived article and the crawl's record of it."""
    expected = next(r for r in crawl.records if GZIP_PATH not in r["url"])
    # decide() builds the record; the lead image's pointer is attached after it
    expected = {**expected, "image": {k: v for k, v in (expected["image"] or {}).items()
                                      if k != "warc"} or expected["image"]}
    with open(crawl.warcs[0], "rb") as f:
        f.seek(expected["warc"]["offset"])
        record = next(iter(ArchiveIterator(f)))
        payload = record.content_stream().read()
        headers = [(k, v) for k, v in record.http_headers.headers if k.lower() != "content-length"]
    resp = FetchedResponse(
        url=expected["url"], date=expected["fetched_at"], status=200, headers=headers,
        payload=payload, pointer=expected["warc"], crawl_id=expected["crawl_id"],
    )
    return resp, expected


def _brotli(data: bytes) -> bytes:
    import brotli

    return brotli.compress(data)


def _zstd(data: bytes) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd  # type: ignore[no-redef]
    return zstd.compress(data)


def _deflate(data: bytes) -> bytes:
    return zlib.compress(data)


ENCODINGS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda d: gzip.compress(d, mtime=0),
    "x-gzip": lambda d: gzip.compress(d, mtime=0),
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
    "gzip, br": lambda d: _brotli(gzip.compress(d, mtime=0)),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_content_encodings_decode_like_scrapy(article: Any, encoding: str) -> None:
    resp, expected = article
    encoded = FetchedResponse(
        **{**resp.__dict__, "payload": ENCODINGS[encoding](resp.payload),
           "headers": [*resp.headers, ("Content-Encoding", encoding)]}
    )
    record, key, _ = decide(encoded, ExtractSettings.from_settings(crawl_settings()))
    assert key == "articles/extracted"
    assert record == expected


def test_the_crawls_skips(article: Any) -> None:
    resp, _ = article
    settings = ExtractSettings.from_settings(crawl_settings())

    def variant(**changes: Any) -> str:
        return decide(FetchedResponse(**{**resp.__dict__, **changes}), settings)[1]

    assert variant(status=404) == "skipped/status/404"
    refresh = resp.payload.replace(
        b"<head>", b'<head><meta http-equiv="refresh" content="0; url=/elsewhere/">', 1
    )
    assert variant(payload=refresh) == "skipped/meta_refresh"
    assert variant(payload=b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8) == "skipped/binary"
    assert variant(headers=[("Content-Type", "application/rss+xml")],
                   payload=b"<?xml version='1.0'?><rss></rss>") == "skipped/not_html"
    small = ExtractSettings(**{**settings.__dict__, "max_bytes": 100})
    assert decide(resp, small)[1] == "skipped/too_large"
    bomb = FetchedResponse(**{**resp.__dict__, "payload": gzip.compress(b"\0" * 4096),
                               "headers": [*resp.headers, ("Content-Encoding", "gzip")]})
    tiny = ExtractSettings(**{**settings.__dict__, "download_maxsize": 1024})
    assert decide(bomb, tiny)[1] == "skipped/too_large_decompressed"


def test_cli_usage_errors(tmp_path: Path) -> None:
    assert run_cli(str(tmp_path / "missing"), "-o", str(tmp_path / "x.jsonl")) == 2
    assert run_cli(str(tmp_path), "-o", str(tmp_path / "x.jsonl")) == 2  # no WARCs in it

"""Revisit dedup: the on-disk index, the middleware across crawls, and two real crawls."""

from __future__ import annotations

import asyncio

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from scrapy import Request
from scrapy.http import Response

from archive.dedup import DedupIndex, Original
from archive.layout import DEDUP_STATE_KEY
from archive.records import sha1_digest
from tests.servers.wire_routes import SAME_BODY, WireServer
from tests.test_archive_capture import make_middleware, records
from tests.test_archive_records import fastwarc_verify, warcio_check
from tests.test_archive_wire import exchanges, run_crawl

PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def original(n: int, filename: str = "a-00000.warc.gz", url: str = "http://x/") -> Original:
    return Original(
        url, "sha1:AAAA", f"<urn:uuid:{n}>", f"2026-01-0{n}T00:00:00.000000Z", filename, 10 * n, 5
    )


def test_index_entries_usable_once_their_file_is_closed(tmp_path: Path) -> None:
    path = tmp_path / DEDUP_STATE_KEY
    with DedupIndex(path) as writer:
        writer.add(original(1))
        # the writer's own open file: usable (the original precedes its revisits)
        assert writer.lookup("http://x/", "sha1:AAAA") == original(1)
        with DedupIndex(path) as other:
            # another crawl must not refer into a file that may still be cut by recovery
            assert other.lookup("http://x/", "sha1:AAAA") is None
            writer.file_closed("a-00000.warc.gz")
            assert other.lookup("http://x/", "sha1:AAAA") == original(1)
            assert other.lookup("http://x/", "sha1:BBBB") is None
            assert other.lookup("http://y/", "sha1:AAAA") is None


def test_entries_are_saved_in_batches_and_read_before_they_are(tmp_path: Path) -> None:
    path = tmp_path / DEDUP_STATE_KEY
    with DedupIndex(path) as writer:
        writer.add(original(2))
        writer.add(original(1))
        # not saved yet, yet found, earliest first, as saved entries are
        assert writer.originals_of("http://x/") == [original(1), original(2)]
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT count(*) FROM payloads").fetchone() == (0,)
        db.close()
        for n in range(3, 3 + DedupIndex.SAVE_EVERY - 2):
            writer.add(original(n % 9 + 1, url=f"http://x/{n}"))
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT count(*) FROM payloads").fetchone() == (DedupIndex.SAVE_EVERY,)
        db.close()


def test_recovery_restores_the_entries_a_killed_crawl_had_not_saved(tmp_path: Path) -> None:
    path = tmp_path / DEDUP_STATE_KEY
    with DedupIndex(path) as index:
        index.add(original(1, url="http://x/"))
        index.save()
        survivors = [original(1, url="http://x/"), original(2, url="http://y/")]
        assert index.confirm_recovered("a-00000.warc.gz", ["<urn:uuid:1>", "<urn:uuid:2>"],
                                       survivors) == 2
    with DedupIndex(path) as other:
        assert other.lookup("http://y/", "sha1:AAAA") == original(2, url="http://y/")


def test_confirm_recovered_keeps_only_surviving_records(tmp_path: Path) -> None:
    path = tmp_path / DEDUP_STATE_KEY
    with DedupIndex(path) as killed:
        killed.add(original(1, url="http://x/"))
        killed.add(original(2, url="http://y/"))
    with DedupIndex(path) as index:
        assert index.confirm_recovered("a-00000.warc.gz", ["<urn:uuid:1>"]) == 1
        assert index.lookup("http://x/", "sha1:AAAA") == original(1, url="http://x/")
        assert index.lookup("http://y/", "sha1:AAAA") is None


def exchange(mw, url: str, body: bytes, status: int = 200) -> Request:  # type: ignore[no-untyped-def]
    request = Request(url)
    mw.process_request(request)
    asyncio.run(mw.process_response(request, Response(url, status=status, body=body, headers={"X": "1"})))
    return request


def test_middleware_revisit_across_crawls(tmp_path: Path) -> None:
    first = make_middleware(tmp_path, "c1")
    kept = exchange(first, "http://x/same", b"same body")
    exchange(first, "http://x/robots.txt", b"User-agent: *")
    exchange(first, "http://x/gone", b"not here", status=404)
    first.spider_closed(first.crawler.spider)

    second = make_middleware(tmp_path, "c2")
    again = exchange(second, "http://x/same", b"same body")
    exchange(second, "http://x/robots.txt", b"User-agent: *")
    exchange(second, "http://x/gone", b"not here", status=404)
    exchange(second, "http://x/same", b"changed body")
    exchange(second, "http://other/same", b"same body")  # same payload, other URL: stored
    second.spider_closed(second.crawler.spider)

    # The pointer of a revisit is the record that holds the payload.
    assert again.meta["warc"] == kept.meta["warc"]
    assert second.crawler.stats.get_value("warc/revisits_written") == 3

    by_file = {p.name: p for p in tmp_path.rglob("*.warc.gz")}
    assert sorted(by_file) == ["c1-00000.warc.gz", "c2-00000.warc.gz"]
    found = records(tmp_path)
    originals = {
        h["WARC-Target-URI"]: h
        for t, h, _ in found
        if t == "response" and h["WARC-Record-ID"].find("c1") > 0
    }
    revisits = [(h, block) for t, h, block in found if t == "revisit"]
    assert sorted(h["WARC-Target-URI"] for h, _ in revisits) == [
        "http://x/gone",
        "http://x/robots.txt",
        "http://x/same",
    ]
    for headers, block in revisits:
        source = originals[headers["WARC-Target-URI"]]
        assert headers["WARC-Profile"] == PROFILE
        assert headers["WARC-Refers-To-Target-URI"] == source["WARC-Target-URI"]
        assert headers["WARC-Refers-To-Date"] == source["WARC-Date"]
        assert headers["WARC-Refers-To"] == source["WARC-Record-ID"]
        assert headers["WARC-Payload-Digest"] == source["WARC-Payload-Digest"]
        assert block.endswith(b"\r\n\r\n") and block.startswith(b"HTTP/1.1 ")
    # Every request record still links to its response or revisit.
    ids = {h["WARC-Record-ID"] for t, h, _ in found}
    assert all(h["WARC-Concurrent-To"] in ids for t, h, _ in found if t == "request")
    for path in by_file.values():
        fastwarc_verify(path)
        warcio_check(path)


def test_dedup_off(tmp_path: Path) -> None:
    for crawl_id in ("c1", "c2"):
        mw = make_middleware(tmp_path, crawl_id, WARC_DEDUP=False)
        exchange(mw, "http://x/same", b"same body")
        mw.spider_closed(mw.crawler.spider)
    assert [t for t, _, _ in records(tmp_path)].count("response") == 2
    assert not (tmp_path / DEDUP_STATE_KEY).exists()


def test_truncated_payload_neither_indexed_nor_deduplicated(tmp_path: Path) -> None:
    for crawl_id in ("c1", "c2"):
        mw = make_middleware(tmp_path, crawl_id)
        request = Request("http://x/cut")
        mw.process_request(request)
        asyncio.run(mw.process_response(request, Response(request.url, body=b"ab", flags=["download_stopped"])))
        mw.spider_closed(mw.crawler.spider)
    assert [t for t, _, _ in records(tmp_path)].count("response") == 2


def test_two_real_crawls_second_is_revisits(tmp_path: Path) -> None:
    with WireServer() as server:
        urls = [server.url(p) for p in ("/same", "/gzip", "/chunked", "/status/500")]
        run_crawl(tmp_path, urls)
        stats = run_crawl(tmp_path, urls)
    assert stats["warc/revisits_written"] == 5  # robots.txt and the four pages
    files = sorted(tmp_path.rglob("*.warc.gz"))
    assert len(files) == 2
    found = exchanges(tmp_path)  # the later crawl wins per URL
    assert {k: v.response_type for k, v in found.items()} == {
        "robots.txt": "revisit",
        "same": "revisit",
        "gzip": "revisit",
        "chunked": "revisit",
        "status/500": "revisit",
    }
    same = found["same"]
    assert same.warc_headers["WARC-Payload-Digest"] == sha1_digest(SAME_BODY)
    assert same.payload == b""
    assert b"X-Archive-Orig-Transfer-Encoding: chunked\r\n" in found["chunked"].block
    for path in files:
        fastwarc_verify(path)
        warcio_check(path)
    assert_pywb_index_resolves_revisits(files)


def assert_pywb_index_resolves_revisits(files: list[Path]) -> None:
    """pywb resolves a revisit through its CDX line: same URL key and digest as the
    original, mime ``warc/revisit``.  cdxj-indexer is pywb's own indexer."""
    result = subprocess.run(
        [sys.executable, "-c", "from cdxj_indexer.main import main; main()", *map(str, files)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line.split(" ", 2)[2]) for line in result.stdout.splitlines()]
    same = [entry for entry in entries if entry["url"].endswith("/same")]
    assert sorted(entry["mime"] for entry in same) == ["text/html", "warc/revisit"]
    assert len({entry["digest"] for entry in same}) == 1

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.cdxj import write_index
from archive.layout import index_key_for
from archive.records import RecordFactory, http_block

URLS = [
    "http://news.example/zeta/story",
    "http://news.example/alpha/story?id=2",
    "http://news.example/",
]


def test_index_key_for_mirrors_the_warc_key() -> None:
    assert (
        index_key_for("warc/demo/2026/11/27/20261127T012601Z-6371ef-00003.warc.gz")
        == "indexes/demo/2026/11/27/20261127T012601Z-6371ef-00003.cdxj"
    )
    with pytest.raises(ValueError):
        index_key_for("articles/demo/2026/11/27/x.jsonl.gz")
    with pytest.raises(ValueError):
        index_key_for("warc/demo/x.txt")


def _our_warc(path: Path) -> None:
    """Response + request pairs as our capture writes them (one gzip member per record)."""
    from archive.records import gzip_member

    factory = RecordFactory()
    with open(path, "wb") as f:
        f.write(gzip_member(factory.warcinfo(path.name, {"isPartOf": "c1"}).to_bytes()))
        for url in URLS:
            body = f"<html><body>{url}</body></html>".encode()
            block, offset = http_block(
                b"HTTP/1.1 200 OK",
                [b"Content-Type: text/html; charset=utf-8", f"Content-Length: {len(body)}".encode()],
                body,
            )
            response = factory.response(url, block, offset)
            request = factory.request(
                url,
                b"GET / HTTP/1.1\r\nHost: news.example\r\n\r\n",
                concurrent_to=response.record_id,
                date=response.header("WARC-Date") or "",
            )
            f.write(gzip_member(response.to_bytes()))
            f.write(gzip_member(request.to_bytes()))


def _warcio_warc(path: Path) -> None:
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for url in URLS:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/plain")], protocol="HTTP/1.0")
            payload = url.encode()
            # with a length, warcio digests in place instead of buffering to a temp file
            record = writer.create_warc_record(
                url, "response", payload=BytesIO(payload), length=len(payload), http_headers=headers
            )
            writer.write_record(record)


@pytest.mark.parametrize("make", [_our_warc, _warcio_warc])
def test_write_index_is_sorted_and_points_at_the_responses(tmp_path: Path, make) -> None:
    warc = tmp_path / "warc" / "c1-00000.warc.gz"
    warc.parent.mkdir()
    make(warc)
    index = tmp_path / "indexes" / "c1-00000.cdxj"
    write_index(warc, index)

    lines = index.read_text("utf-8").splitlines()
    assert lines == sorted(lines)
    assert len(lines) == len(URLS)
    seen = set()
    data = warc.read_bytes()
    for line in lines:
        surt, timestamp, fields = line.split(" ", 2)
        entry = json.loads(fields)
        assert len(timestamp) == 14 and timestamp.isdigit()
        assert entry["filename"] == warc.name
        assert entry["status"] == "200"
        chunk = data[int(entry["offset"]) : int(entry["offset"]) + int(entry["length"])]
        record = next(iter(ArchiveIterator(BytesIO(chunk))))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]
        assert record.rec_headers.get_header("WARC-Payload-Digest") == entry["digest"]
        assert surt.startswith("example,news)/")
        seen.add(entry["url"])
    assert seen == set(URLS)
    assert not list(index.parent.glob("*.part"))


def test_live_index_lines_equal_cdxj_indexer_lines(tmp_path: Path) -> None:
    from archive.cdxj import LiveIndex, index_lines
    from archive.warc_writer import RotatingWarcWriter
    from tests.test_archive_records import Sink

    live = LiveIndex()
    factory = RecordFactory()
    writer = RotatingWarcWriter(Sink(tmp_path), "s", "c1", {"isPartOf": "c1"}, factory=factory,
                                on_written=live.add)
    heads = [
        (b"HTTP/1.1 200 OK", [b"Content-Type: text/html; charset=UTF-8"]),
        (b"HTTP/1.1 200 Fine Thanks", [b"content-type:TEXT/HTML"]),  # odd casing and spacing
        (b"HTTP/1.1 404 Not Found", []),  # no Content-Type at all
        (b"HTTP/1.1 301 Moved Permanently", [b"Location: /x", b"Content-Type: text/html"]),
        (b"HTTP/1.0 200 OK", [b"Content-Type: text/html; charset=\xe9"]),  # not UTF-8
        (b"HTTP/1.1 200 OK", [b"Content-Type: application/rss+xml"]),
    ]
    urls = ["http://news.example/a?b=1&a=2", "http://news.example/caf%C3%A9-menu?q=a%20b",
            "http://NEWS.example:80/Upper/", "http://news.example/r", "http://news.example/",
            "http://news.example/feed/"]
    for url, (status, headers) in zip(urls, heads):
        block, offset = http_block(status, headers, b"<html>body</html>")
        response = factory.response(url, block, offset)
        request = factory.request(url, b"GET / HTTP/1.1\r\n\r\n",
                                  concurrent_to=response.record_id,
                                  date=response.header("WARC-Date") or "")
        writer.write(request, response)
    revisit = factory.revisit(urls[0], b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n",
                              "sha1:" + "A" * 32, urls[0], "2026-01-01T00:00:00Z")
    writer.write(revisit)
    filename = writer.current_filename
    writer.close()
    lines = live.take(filename)
    assert len(lines) == 7
    assert lines == index_lines([tmp_path / writer.closed_keys[0]])

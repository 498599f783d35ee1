"""Replay through pywb (its own venv, made once per machine in the cache dir)."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.replay import (
    ReplayServer,
    ensure_pywb_venv,
    fetch_s3_archive,
    pywb_venv_dir,
    start_replay,
)
from tests.servers.newssite import GZIP_PATH
from tests.servers.s3_fixtures import (  # noqa: F401  (fixtures)
    Bucket,
    fake_aws_env,
    moto_bucket,
    moto_server,
)
from tests.test_archive_reextract import Crawl, crawl  # noqa: F401  (session fixture)

pytestmark = pytest.mark.replay


@pytest.fixture(scope="module")
def replay(crawl: Crawl) -> Iterator[ReplayServer]:  # noqa: F811
    started = time.monotonic()
    ensure_pywb_venv(say=lambda message: print(message))
    print(f"pywb venv {pywb_venv_dir()} ready after {time.monotonic() - started:.1f}s")
    with start_replay(crawl.out, port=0, say=print) as server:
        yield server


def get(server: ReplayServer, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def archived(done: Crawl, pointer: dict[str, Any]) -> tuple[dict[str, str], bytes, bytes]:
    """HTTP headers, raw payload (as on the wire) and decoded payload of a record."""
    path = next(p for p in done.warcs if p.name == pointer["filename"])
    with open(path, "rb") as f:
        f.seek(pointer["offset"])
        record = next(iter(ArchiveIterator(f)))
        headers = {k.lower(): v for k, v in record.http_headers.headers}
        raw = record.raw_stream.read()
    with open(path, "rb") as f:
        f.seek(pointer["offset"])
        decoded = next(iter(ArchiveIterator(f))).content_stream().read()
    return headers, raw, decoded


def timestamp(record: dict[str, Any]) -> str:
    return "".join(ch for ch in record["fetched_at"] if ch.isdigit())[:14]


def test_every_article_replays_in_id_mode_with_the_archived_payload(
    crawl: Crawl, replay: ReplayServer  # noqa: F811
) -> None:
    assert any(GZIP_PATH in r["url"] for r in crawl.records)
    for record in crawl.records:
        wire_headers, raw, decoded = archived(crawl, record["warc"])
        path = f"/demo/{timestamp(record)}id_/{record['url']}"
        for accept in ("gzip, deflate, br", "identity"):
            status, headers, body = get(replay, path, **{"Accept-Encoding": accept})
            assert status == 200, (path, body[:300])
            assert headers.get("memento-datetime"), path
            encoding = wire_headers.get("content-encoding")
            if encoding and accept != "identity":
                # id_ mode: the archived bytes, Content-Encoding and all
                assert headers.get("content-encoding") == encoding, (path, headers)
                assert body == raw, path
            else:
                # pywb decodes for a client that does not accept the encoding
                assert "content-encoding" not in headers, (path, headers)
                assert body == decoded, path
            if not encoding:
                assert body == raw, path


def test_cdx_api_lists_every_article(crawl: Crawl, replay: ReplayServer) -> None:  # noqa: F811
    for record in crawl.records:
        status, _, body = get(replay, f"/demo/cdx?output=json&url={quote(record['url'], safe='')}")
        assert status == 200
        rows = [json.loads(line) for line in body.decode().splitlines()]
        assert any(
            row["url"] == record["url"]
            and row["timestamp"] == timestamp(record)
            and row["digest"] == record["warc"]["payload_digest"]
            and int(row["offset"]) == record["warc"]["offset"]
            and row["filename"] == record["warc"]["filename"]
            for row in rows
        ), (record["url"], rows)


def test_replay_root_has_a_collection_per_site(crawl: Crawl, replay: ReplayServer) -> None:  # noqa: F811
    assert list(replay.collections) == ["demo"]
    archive_dir = replay.root / "collections" / "demo" / "archive"
    assert sorted(p.name for p in archive_dir.iterdir()) == [p.name for p in crawl.warcs]
    assert list((replay.root / "collections" / "demo" / "indexes").glob("*.cdxj"))


def test_the_venv_is_reused(tmp_path: Path) -> None:
    started = time.monotonic()
    assert ensure_pywb_venv(say=lambda m: pytest.fail(f"venv rebuilt: {m}")) == pywb_venv_dir()
    assert time.monotonic() - started < 1


def test_s3_archive_is_copied_to_a_local_cache(crawl: Crawl, moto_bucket: Bucket,  # noqa: F811
                                               tmp_path: Path) -> None:
    for path in sorted(crawl.out.rglob("*")):
        if path.is_file() and path.relative_to(crawl.out).parts[0] in ("warc", "indexes", "crawls"):
            moto_bucket.put(path.relative_to(crawl.out).as_posix(), path.read_bytes())
    target = tmp_path / "cache"
    fetch_s3_archive(moto_bucket.uri, target, endpoint_url=moto_bucket.endpoint_url)
    for warc in crawl.warcs:
        copy = target / warc.relative_to(crawl.out)
        assert copy.read_bytes() == warc.read_bytes()
    stamps = {p: p.stat().st_mtime_ns for p in target.rglob("*.warc.gz")}
    fetch_s3_archive(moto_bucket.uri, target, endpoint_url=moto_bucket.endpoint_url)
    assert stamps == {p: p.stat().st_mtime_ns for p in target.rglob("*.warc.gz")}
    assert not list(target.rglob("*.part"))

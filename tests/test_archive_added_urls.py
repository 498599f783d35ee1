"""An index opened empty answers misses without SQLite, and still sees every write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import archive.added_urls
from archive.added_urls import AddedUrls
from archive.dedup import DedupIndex, Original
from archive.seen_store import SqliteSeenStore


def original(url: str, n: int = 1) -> Original:
    return Original(url, "sha1:AAAA", f"<urn:uuid:{n}>", f"2026-01-0{n}T00:00:00.000000Z",
                    "a-00000.warc.gz", 10 * n, 5)


def count_queries(db: sqlite3.Connection) -> list[str]:
    queries: list[str] = []
    db.set_trace_callback(queries.append)
    return queries


def test_a_miss_on_an_index_opened_empty_makes_no_query(tmp_path: Path) -> None:
    with DedupIndex(tmp_path / "dedup.sqlite") as index:
        queries = count_queries(index._db)
        assert index.lookup("http://news.example/a", "sha1:AAAA") is None
        assert queries == []
        index.add(original("http://news.example/a"))
        assert index.lookup("http://news.example/a", "sha1:AAAA") == original("http://news.example/a")
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    queries = count_queries(store._db)
    assert store.get("http://news.example/a") is None and queries == []
    store.update("http://news.example/a", {"etag": '"v1"'})
    assert store.get("http://news.example/a").etag == '"v1"'
    store.close()


def test_an_index_opened_with_entries_queries_as_before(tmp_path: Path) -> None:
    with DedupIndex(tmp_path / "dedup.sqlite") as index:
        index.add(original("http://news.example/a"))
        index.file_closed("a-00000.warc.gz")
    with DedupIndex(tmp_path / "dedup.sqlite") as index:
        queries = count_queries(index._db)
        assert index.lookup("http://news.example/b", "sha1:AAAA") is None
        assert queries
        assert index.lookup("http://news.example/a", "sha1:AAAA") is not None


def test_a_write_by_another_connection_is_seen_once_the_filter_rechecks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process's crawl: its entries reach this one at the next check (≤ 1 s)."""
    path = tmp_path / "seen.sqlite"
    store = SqliteSeenStore(path)
    assert store.get("http://news.example/a") is None
    other = sqlite3.connect(path)
    other.execute("INSERT INTO articles (url, etag) VALUES ('http://news.example/a', '\"v2\"')")
    other.commit()
    other.close()
    monkeypatch.setattr(archive.added_urls, "RECHECK_SECONDS", 0.0)
    assert store.get("http://news.example/a").etag == '"v2"'
    store.close()


def test_indexes_open_on_one_file_in_one_process_share_what_they_added(tmp_path: Path) -> None:
    path = tmp_path / "dedup.sqlite"
    with DedupIndex(path) as writer, DedupIndex(path) as other:
        writer.add(original("http://news.example/a"))
        writer.file_closed("a-00000.warc.gz")
        assert other.lookup("http://news.example/a", "sha1:AAAA") == original("http://news.example/a")


def test_a_store_rebuilt_from_the_archive_is_queried_again(tmp_path: Path) -> None:
    from archive.seen_store import SeenEntry

    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    store.load([SeenEntry(**{**{name: None for name in SeenEntry.__dataclass_fields__},
                             "url": "http://news.example/a", "etag": '"v3"'})])
    assert store.get("http://news.example/a").etag == '"v3"'
    store.close()


def test_every_added_url_is_found_and_few_others_are(tmp_path: Path) -> None:
    db = sqlite3.connect(":memory:")
    added = AddedUrls(db, tmp_path / "filter-test")
    urls = [f"http://news.example/2026/{n}/story" for n in range(50_000)]
    for url in urls:
        added.add(url)
    assert all(url in added for url in urls)
    others = [f"http://news.example/2025/{n}/other" for n in range(50_000)]
    assert sum(url in added for url in others) < 0.01 * len(others)

"""The parts of incremental crawling in isolation: recrawl policy, seen-store, the middleware's
decisions on hand-built requests, the revisions pipeline, the server-not-modified record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from archive.records import RecordFactory
from archive.seen_store import (
    RECHECK_META_KEY, CorruptSeenStore, SeenEntry, SeenStoreError, SqliteSeenStore,
    attach_seen_store,
    text_digest,
)
from crawler.config import recrawl_policy, site_config_from_dict
from crawler.errors import ConfigError
from crawler.incremental import IncrementalMiddleware
from crawler.middlewares import DEFER_DECODING_META
from pipelines.revisions import RevisionPipeline, article_id

NOW = 1_800_000_000.0
URL = "https://news.example/2026/01/02/story/"
POINTER = {"key": None, "filename": "a.warc.gz", "offset": 0, "length": 10,
           "record_id": "<urn:uuid:00000000-0000-0000-0000-000000000001>", "payload_digest": "sha1:X"}


def test_recrawl_policy_durations_and_limit() -> None:
    policy = recrawl_policy({"younger_than": "48h", "every": "30m", "max_urls": 10})
    assert (policy.younger_than, policy.every, policy.max_urls) == (172800, 1800, 10)
    assert recrawl_policy({"every": 0}).every == 0
    assert recrawl_policy(None).younger_than is None


@pytest.mark.parametrize(("recrawl", "key"), [
    ({"younger_than": "48 hours"}, "recrawl.younger_than"),
    ({"every": True}, "recrawl.every"),
    ({"every": "99999d"}, "recrawl.every"),
    ({"max_urls": 0}, "recrawl.max_urls"),
    ({"max_urls": "10"}, "recrawl.max_urls"),
    ({"keep": 3}, "recrawl.keep"),
    ("6h", "recrawl"),
])
def test_bad_recrawl_policy_names_the_key(recrawl: Any, key: str) -> None:
    with pytest.raises(ConfigError) as error:
        site_config_from_dict({"name": "s", "start_urls": ["https://a.example/"],
                               "recrawl": recrawl}, "s.yaml")
    assert error.value.key == key


def test_sqlite_store_merges_fields_and_prunes_least_recently_checked(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "s.sqlite")
    store.update(URL, {"etag": '"a"', "checked_at": NOW})
    assert not store.get(URL).known  # fetched, no record yet
    store.update(URL, {"revision": 1, "text_digest": "sha1:T", "warc": POINTER})
    entry = store.get(URL)
    assert (entry.etag, entry.revision, entry.warc, entry.known) == ('"a"', 1, POINTER, True)
    for i in range(5):
        store.update(f"{URL}{i}", {"checked_at": NOW - 100 + i})
    assert store.prune(3) == 3
    assert store.get(URL) is not None and store.get(f"{URL}4") is not None
    assert store.get(f"{URL}0") is None
    store.close()


def test_garbage_file_is_a_corrupt_store(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(CorruptSeenStore):
        SqliteSeenStore(path)


def middleware(tmp_path: Path, entry: SeenEntry | None, **settings: Any
               ) -> tuple[IncrementalMiddleware, Any]:
    crawler = get_crawler(settings_dict={"NEWSARCHIVE_INCREMENTAL": True,
                                         "NEWSARCHIVE_RECRAWL_YOUNGER_THAN": "24h",
                                         "NEWSARCHIVE_RECRAWL_EVERY": "6h", **settings})
    crawler._apply_settings()
    crawler.stats.open_spider()
    mw = IncrementalMiddleware.from_crawler(crawler)
    mw.clock = lambda: NOW
    mw.store = SqliteSeenStore(tmp_path / "s.sqlite")
    if entry is not None:
        values = vars(entry).copy()
        values.pop("url")
        mw.store.update(entry.url, values)
    return mw, crawler.stats


def article_request() -> Request:
    return Request(URL, meta={DEFER_DECODING_META: True})


def known(**values: Any) -> SeenEntry:
    defaults = dict(url=URL, etag='"e1"', last_modified="Fri, 01 Jan 2027 00:00:00 GMT",
                    checked_at=NOW - 7 * 3600, published=NOW - 3600, revision=1,
                    text_digest="sha1:T", warc=POINTER, payload_digest="sha1:P")
    return SeenEntry(**{**defaults, **values})


def test_old_known_article_is_not_fetched(tmp_path: Path) -> None:
    mw, stats = middleware(tmp_path, known(published=NOW - 3 * 86400))
    with pytest.raises(IgnoreRequest):
        mw.process_request(article_request())
    assert stats.get_value("incremental/skipped_known") == 1


def test_recent_article_checked_lately_is_not_fetched(tmp_path: Path) -> None:
    mw, stats = middleware(tmp_path, known(checked_at=NOW - 3600))
    with pytest.raises(IgnoreRequest):
        mw.process_request(article_request())


def test_due_article_is_rechecked_conditionally_and_304_ends_it(tmp_path: Path) -> None:
    mw, stats = middleware(tmp_path, known())
    request = article_request()
    assert mw.process_request(request) is None
    assert request.headers["If-None-Match"] == b'"e1"'
    assert request.headers["If-Modified-Since"] == b"Fri, 01 Jan 2027 00:00:00 GMT"
    assert request.meta[RECHECK_META_KEY]["warc"] == POINTER
    with pytest.raises(IgnoreRequest):
        mw.process_response(request, Response(URL, status=304, request=request))
    assert stats.get_value("incremental/not_modified") == 1
    assert mw.store.get(URL).checked_at == NOW


def test_listings_new_urls_and_full_crawls_pass(tmp_path: Path) -> None:
    mw, _ = middleware(tmp_path, known(published=NOW - 3 * 86400))
    listing = Request(URL)  # not an article candidate
    assert mw.process_request(listing) is None
    assert mw.process_request(Request(URL + "new", meta={DEFER_DECODING_META: True})) is None
    mw.full = True
    request = article_request()
    assert mw.process_request(request) is None
    assert b"If-None-Match" not in request.headers


def revision_pipeline(tmp_path: Path) -> tuple[RevisionPipeline, SqliteSeenStore, Any]:
    crawler = get_crawler(settings_dict={"NEWSARCHIVE_INCREMENTAL": True, "NEWSARCHIVE_EXTRACT": True})
    crawler._apply_settings()
    crawler.stats.open_spider()
    store = SqliteSeenStore(tmp_path / "s.sqlite")
    attach_seen_store(crawler, store)
    return RevisionPipeline.from_crawler(crawler), store, crawler.stats


def record(text: str, fetched_at: str) -> dict[str, Any]:
    return {"url": URL, "title": "Story", "text": text, "fetched_at": fetched_at,
            "published": "2026-01-02T10:00:00+00:00", "warc": {**POINTER, "offset": len(text)},
            "schema_minor": 1}


def test_revisions_new_unchanged_changed(tmp_path: Path) -> None:
    pipeline, store, stats = revision_pipeline(tmp_path)
    first = pipeline.process_item(record("One.", "2026-01-02T10:00:00.000000Z"))
    assert (first["revision"], first["previous"], first["schema_minor"]) == (1, None, 2)
    assert first["id"] == article_id(URL)
    pipeline.item_scraped(first)
    with pytest.raises(DropItem):
        pipeline.process_item(record("One.", "2026-01-03T10:00:00.000000Z"))
    second = pipeline.process_item(record("Two.", "2026-01-04T10:00:00.000000Z"))
    assert second["revision"] == 2
    assert second["first_seen"] == "2026-01-02T10:00:00.000000Z"
    assert second["previous"] == {"warc": first["warc"], "text_digest": text_digest("One.")}
    assert (stats.get_value("revisions/new"), stats.get_value("revisions/unchanged")) == (1, 1)
    # a record not written (dropped later) is not taken for archived
    third = pipeline.process_item(record("Three.", "2026-01-05T10:00:00.000000Z"))
    assert third["revision"] == 2


def test_not_modified_revisit_record() -> None:
    factory = RecordFactory(make_id=lambda: "<urn:uuid:1>")
    head = b"HTTP/1.1 304 Not Modified\r\nETag: \"e1\"\r\n\r\n"
    revisit = factory.not_modified_revisit(URL, head, refers_to_uri=URL, refers_to="<urn:uuid:0>",
                                           refers_to_date="2026-01-02T10:00:00.000000Z")
    headers = dict(revisit.headers)
    assert headers["WARC-Type"] == "revisit"
    assert headers["WARC-Profile"] == "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
    assert headers["WARC-Refers-To"] == "<urn:uuid:0>"
    assert "WARC-Payload-Digest" not in headers
    assert revisit.block == head


class BrokenStore:
    """A store whose backend has gone away (a full disk, a Redis that stopped)."""

    def get(self, url: str) -> None:
        raise SeenStoreError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    update = get


def test_a_failing_store_means_fetching_everything_not_a_traceback(tmp_path: Path) -> None:
    mw, stats = middleware(tmp_path, known(published=NOW - 3 * 86400))
    mw.store = BrokenStore()  # type: ignore[assignment]
    assert mw.process_request(article_request()) is None  # fetched after all
    assert mw.store is None
    assert stats.get_value("incremental/store_failed") == 1
    pipeline, _, pipeline_stats = revision_pipeline(tmp_path / "p")
    attach_seen_store(pipeline.crawler, BrokenStore())  # type: ignore[arg-type]
    item = record("One.", "2026-01-02T10:00:00.000000Z")
    assert pipeline.process_item(item) == item  # written whole, as without revisions
    assert pipeline_stats.get_value("incremental/store_failed") == 1


def test_seen_store_updates_are_read_before_they_are_saved_and_saved_in_batches(
        tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "seen.sqlite"
    store = SqliteSeenStore(path)
    store.update("http://x/a", {"etag": '"1"', "checked_at": "2026-12-01T00:00:00Z"})
    store.update("http://x/a", {"revision": 2, "warc": {"filename": "f.warc.gz", "offset": 3}})
    entry = store.get("http://x/a")
    assert entry is not None
    assert (entry.etag, entry.revision, entry.warc) == ('"1"', 2, {"filename": "f.warc.gz",
                                                                    "offset": 3})
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone() == (0,)  # not yet
    db.close()
    for n in range(SqliteSeenStore.SAVE_EVERY - 1):
        store.update(f"http://x/{n}", {"checked_at": "2026-12-01T00:00:00Z"})
    with sqlite3.connect(path) as db:  # the 64th URL saved them all, in one transaction
        assert db.execute("SELECT count(*) FROM articles").fetchone() == (
            SqliteSeenStore.SAVE_EVERY,)
    db.close()
    store.update("http://x/a", {"etag": '"2"'})
    store.close()
    reopened = SqliteSeenStore(path)
    entry = reopened.get("http://x/a")
    assert entry is not None and (entry.etag, entry.revision) == ('"2"', 2)
    reopened.close()

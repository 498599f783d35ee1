"""CompactDupeFilter: no false negatives, JOBDIR persistence, RFPDupeFilter file compatibility."""

from __future__ import annotations

import hashlib
import logging
import random
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.test import get_crawler

from crawler.dupefilter import (
    SEEN_FILE,
    CompactDupeFilter,
    FingerprintTable,
    fingerprint_key,
    read_seen_file,
)

SETTINGS = {"DUPEFILTER_CLASS": "crawler.dupefilter.CompactDupeFilter"}


def urls(n: int, prefix: str = "a") -> list[str]:
    return [f"http://news.example/{prefix}/2025/03/{i:07d}-story/" for i in range(n)]


def test_table_has_no_false_negatives_across_growth() -> None:
    rng = random.Random(7)
    keys = [rng.getrandbits(64) or 1 for _ in range(50_000)]
    table = FingerprintTable(capacity=16)  # forces a dozen doublings
    for key in keys:
        table.add(key)
    assert len(table) == len(set(keys))
    assert all(key in table for key in keys)
    assert not any(table.add(key) for key in keys)
    assert len(table) == len(set(keys))
    assert len(table) <= table.slots * table.max_load


def test_table_absent_keys_and_zero() -> None:
    table = FingerprintTable()
    table.update([3, 5, 2**64 - 1])
    assert 4 not in table
    assert 2**64 - 1 in table
    # key 0 marks an empty slot: a fingerprint starting with 8 zero bytes is stored as 1
    assert fingerprint_key(b"\x00" * 20) == 1


def test_table_bytes_per_key_is_small() -> None:
    table = FingerprintTable()
    table.update(int.from_bytes(hashlib.sha1(str(i).encode()).digest()[:8], "big") for i in range(100_000))
    assert table.nbytes / len(table) <= 8 / 0.35 + 1


def test_request_seen_matches_rfp_decisions() -> None:
    compact, rfp = CompactDupeFilter(), RFPDupeFilter()
    requests = [Request(u) for u in urls(500)] + [Request(u + "#frag") for u in urls(500)]
    requests += [Request("http://news.example/?b=2&a=1"), Request("http://news.example/?a=1&b=2")]
    requests += [Request(u, method="POST", body=b"x") for u in urls(3)]
    assert [compact.request_seen(r) for r in requests] == [rfp.request_seen(r) for r in requests]
    assert len(compact) == 500 + 1 + 3


def test_from_crawler_uses_the_crawler_fingerprinter(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={**SETTINGS, "JOBDIR": str(tmp_path)})
    dupefilter = CompactDupeFilter.from_crawler(crawler)
    assert dupefilter.fingerprinter is crawler.request_fingerprinter
    assert dupefilter.request_seen(Request("http://news.example/x")) is False
    dupefilter.close("finished")
    assert (tmp_path / SEEN_FILE).exists()


def test_persistence_across_close_and_open(tmp_path: Path) -> None:
    first = CompactDupeFilter(str(tmp_path))
    first.open()
    assert not any(first.request_seen(Request(u)) for u in urls(3000))
    first.close("shutdown")

    second = CompactDupeFilter(str(tmp_path))
    assert all(second.request_seen(Request(u)) for u in urls(3000))
    assert not any(second.request_seen(Request(u)) for u in urls(100, prefix="b"))
    second.close("finished")

    third = CompactDupeFilter(str(tmp_path))
    assert len(third) == 3100
    third.close("finished")


def test_seen_file_is_interchangeable_with_rfpdupefilter(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    compact = CompactDupeFilter(str(ours))
    rfp = RFPDupeFilter(str(theirs))
    for u in urls(200):
        compact.request_seen(Request(u))
        rfp.request_seen(Request(u))
    compact.close("finished")
    rfp.close("finished")
    assert (ours / SEEN_FILE).read_bytes() == (theirs / SEEN_FILE).read_bytes()

    resumed_rfp = RFPDupeFilter(str(ours))
    assert all(resumed_rfp.request_seen(Request(u)) for u in urls(200))
    resumed_rfp.close("finished")
    resumed_compact = CompactDupeFilter(str(theirs))
    assert all(resumed_compact.request_seen(Request(u)) for u in urls(200))
    resumed_compact.close("finished")


def test_truncated_last_record_is_ignored(tmp_path: Path) -> None:
    dupefilter = CompactDupeFilter(str(tmp_path))
    for u in urls(10):
        dupefilter.request_seen(Request(u))
    dupefilter.close("killed")
    seen = tmp_path / SEEN_FILE
    seen.write_bytes(seen.read_bytes()[:-5])
    assert len(list(read_seen_file(seen.read_bytes()))) == 9

    resumed = CompactDupeFilter(str(tmp_path))
    assert len(resumed) == 9
    assert resumed.request_seen(Request(urls(10)[-1])) is False  # refetched, never lost
    resumed.close("finished")


def test_log_counts_filtered_requests(caplog: pytest.LogCaptureFixture) -> None:
    crawler = get_crawler(Spider, settings_dict=SETTINGS)
    spider = Spider.from_crawler(crawler, name="dupes")
    crawler.spider = spider
    crawler.stats.open_spider()
    dupefilter = CompactDupeFilter.from_crawler(crawler)
    request = Request("http://news.example/story")
    dupefilter.request_seen(request)
    with caplog.at_level(logging.DEBUG, logger="crawler.dupefilter"):
        for _ in range(3):
            assert dupefilter.request_seen(request)
            dupefilter.log(request, spider)
    assert crawler.stats.get_value("dupefilter/filtered") == 3
    assert sum("Filtered duplicate request" in r.getMessage() for r in caplog.records) == 1


def test_debug_logs_every_duplicate_with_referer(caplog: pytest.LogCaptureFixture) -> None:
    crawler = get_crawler(Spider, settings_dict={**SETTINGS, "DUPEFILTER_DEBUG": True})
    spider = Spider.from_crawler(crawler, name="dupes")
    crawler.stats.open_spider()
    dupefilter = CompactDupeFilter.from_crawler(crawler)
    request = Request("http://news.example/story", headers={"Referer": "http://news.example/"})
    with caplog.at_level(logging.DEBUG, logger="crawler.dupefilter"):
        dupefilter.log(request, spider)
        dupefilter.log(request, spider)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "referer: http://news.example/" in messages[0]

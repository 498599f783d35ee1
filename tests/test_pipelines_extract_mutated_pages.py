"""Extraction on damaged real pages never fails: every mutation of a real page (cut short,
a span deleted, garbage inserted, bytes flipped, markup unbalanced) gives either a record that
validates against the published schema or a clean non-article, never an extraction error.

The pages are extraction-dev's (read from ../shared at test time, never copied here).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.responses import ExtractSettings, FetchedResponse, decide
from pipelines.validate import SCHEMA_FILE
from tests.quality.dev_sets import SHARED, require_shared
from crawler.run import crawl_settings

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "pipelines" / SCHEMA_FILE
POINTER = {"key": "warc/dev/2026/01/01/dev-00000.warc.gz", "filename": "dev-00000.warc.gz",
           "offset": 0, "length": 1, "record_id": "<urn:uuid:00000000-0000-4000-8000-000000000000>",
           "payload_digest": "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"}


@lru_cache(maxsize=1)
def pages() -> list[bytes]:
    folder = SHARED / "extraction-dev" / "pages"
    return [path.read_bytes() for path in sorted(folder.glob("*.html"))[:40]]


@lru_cache(maxsize=1)
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def mutate(page: bytes, kind: str, at: float, size: int, junk: bytes) -> bytes:
    where = int(len(page) * at)
    if kind == "truncate":
        return page[:where]
    if kind == "delete":
        return page[:where] + page[where + size * 50:]
    if kind == "insert":
        return page[:where] + junk + page[where:]
    if kind == "flip":
        data = bytearray(page)
        for i in range(size):
            j = (where + i * 997) % max(len(data), 1)
            if data:
                data[j] ^= 0xFF
        return bytes(data)
    # unbalance: a run of opening tags that never close, or closings that never opened
    tags = (b"<div><table><tr><td><p><b>" if size % 2 else b"</div></article></body></html>")
    return page[:where] + tags * (size % 7 + 1) + page[where:]


@pytest.fixture(scope="module", autouse=True)
def dev_pages() -> None:
    require_shared("extraction-dev")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(min_value=0, max_value=39),
       kind=st.sampled_from(["truncate", "delete", "insert", "flip", "unbalance"]),
       at=st.floats(min_value=0.0, max_value=1.0),
       size=st.integers(min_value=1, max_value=400),
       junk=st.binary(min_size=1, max_size=300))
def test_a_mutated_real_page_is_a_valid_record_or_a_clean_non_article(
        index: int, kind: str, at: float, size: int, junk: bytes) -> None:
    page = mutate(pages()[index % len(pages())], kind, at, size, junk)
    response = FetchedResponse(
        url=f"https://news.example/2026/01/01/page-{index}/", date="2026-01-01T00:00:00Z",
        status=200, headers=[("Content-Type", "text/html")], payload=page, pointer=POINTER,
        crawl_id="20260101T000000Z-000000", site="dev")
    outcome = decide(response, ExtractSettings.from_settings(crawl_settings()))
    assert outcome.key not in ("articles/extract_failed", "articles/dropped/invalid_record"), \
        outcome.detail
    if outcome.record is None:
        assert outcome.key.startswith(("pages/non_articles/", "skipped/")), outcome.key
    else:
        errors = [error.message for error in validator().iter_errors(outcome.record)]
        assert errors == []

"""News fields the public dev sets do not label (section, tags, image caption and credit,
modified), on the 29 labelled real pages only: each field at or above its floor, a margin below
the measured figure that is less than one page (1/29 = 0.034), so losing a page fails; and no
more invented values than measured.

The set and the scoring are ``bench/news_fields.py``'s (labels in
``tests/data/news_fields_truth.jsonl``).  The demo site's articles are tested apart, in
``tests/test_evidence_demo_news_fields.py``; 10 held-out real pages, labelled before any
extraction ran on them, in ``tests/test_evidence_news_fields_heldout.py``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.quality.dev_sets import require_shared

pytestmark = pytest.mark.quality

ROOT = Path(__file__).resolve().parents[1]
# measured with the pinned libraries (python bench/news_fields.py): 25, 25, 28, 29, 24 of 29
# (image caption and credit were 26 and 27 before this round's image rules).
# Tags were 27: `confirmed-tags` (4 news-dev tune publishers better, none worse) loses one page
# here and the removal of `visible-tags` (below the three-site bar: rel=tag links, 1 tune
# publisher before `topic-links` covered it) another; the 10 held-out pages gained (tags
# 0.60 -> 0.90, tests/test_evidence_news_fields_heldout.py).
FLOORS = {"section": 0.852, "tags": 0.852, "image_caption": 0.956, "image_credit": 0.99,
          "modified": 0.817}
# values invented where the label is null/[], as measured
MAX_FALSE_POSITIVES = {"section": 1, "tags": 0, "image_caption": 0, "image_credit": 0,
                       "modified": 0}


def bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_news_fields",
                                                  ROOT / "bench" / "news_fields.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def table() -> dict[str, dict[str, float]]:
    shared = require_shared("extraction-dev", "metadata-dev")
    bench = bench_module()
    pages = bench.shared_pages(shared)
    assert len(pages) == 29
    assert all(labels["source"] != "demo" for labels, _, _ in pages)
    result, _ = bench.score(pages, bench.extract_record)
    return result


@pytest.mark.parametrize("field", sorted(FLOORS))
def test_field_accuracy(table: dict[str, dict[str, float]], field: str) -> None:
    row = table[field]
    assert row["accuracy"] >= FLOORS[field], f"{field}: {row}"
    assert row["false_positives"] <= MAX_FALSE_POSITIVES[field], f"{field}: {row}"


def test_labels_hold_no_page_text() -> None:
    """Only labels are stored: short values, no article bodies."""
    for line in (ROOT / "tests" / "data" / "news_fields_truth.jsonl").read_text(
            encoding="utf-8").splitlines():
        row = json.loads(line)
        assert set(row) == {"source", "id", "family", "section", "tags", "image_caption",
                            "image_credit", "modified"}
        assert all(len(v) < 400 for v in row.values() if isinstance(v, str))

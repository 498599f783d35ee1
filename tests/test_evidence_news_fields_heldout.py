"""News fields on 10 held-out real pages (one per site, sites not among the 29 tuning pages),
labelled from the pages before any extraction was run on them: the figures to expect on
unseen sites, each kept at its floor (a margin below the measurement, less than one page).

Rules are not written against these pages: a page looked at while writing a rule becomes a
tuning page, and its place here goes to a newly labelled one.
"""

from __future__ import annotations

import json

import pytest

from tests.quality.dev_sets import require_shared
from tests.test_quality_news_fields import ROOT, bench_module

pytestmark = pytest.mark.quality

HELD_OUT = ROOT / "tests" / "data" / "news_fields_heldout.jsonl"
# measured with the pinned libraries (python bench/news_fields.py --held-out): 7, 9, 8, 6, 8
# of 10 (tags 6 before `topic-links` and `confirmed-tags`). Before the news-dev image and tag rules: 7, 7, 8, 5, 8 with no invented value; those
# rules gained a credit here and lost a page of tags (meta keywords where the page prints
# other topics), and the alt-text caption, a last resort by design, gives a caption on a page
# that prints none. Both rules gain on news-dev's unseen check half as a whole (tags F1
# 0.38 -> 0.50, caption 0.51 -> 0.62), a larger sample than these 10 pages.
FLOORS = {"section": 0.69, "tags": 0.89, "image_caption": 0.79, "image_credit": 0.59,
          "modified": 0.79}
INVENTED = {"image_caption": 1}


@pytest.fixture(scope="module")
def table() -> dict[str, dict[str, float]]:
    shared = require_shared("metadata-dev")
    bench = bench_module()
    pages = bench.shared_pages(shared, HELD_OUT)
    assert len(pages) == 10
    result, _ = bench.score(pages, bench.extract_record)
    return result


@pytest.mark.parametrize("field", sorted(FLOORS))
def test_held_out_field_accuracy(table: dict[str, dict[str, float]], field: str) -> None:
    row = table[field]
    assert row["accuracy"] >= FLOORS[field], f"{field}: {row}"
    assert row["false_positives"] <= INVENTED.get(field, 0), f"{field}: {row}"


def test_held_out_sites_are_not_tuning_sites() -> None:
    def rows(name: str) -> list[dict]:
        return [json.loads(line) for line in (ROOT / "tests" / "data" / name).read_text(
            encoding="utf-8").splitlines() if line.strip()]

    held_out, tuning = rows("news_fields_heldout.jsonl"), rows("news_fields_truth.jsonl")
    assert len({r["family"] for r in held_out}) == len(held_out) == 10
    assert not {r["family"] for r in held_out} & {r["family"] for r in tuning}
    for row in held_out:  # labels only, as in the tuning file
        assert set(row) == {"source", "id", "family", "section", "tags", "image_caption",
                            "image_credit", "modified"}
        assert all(len(v) < 400 for v in row.values() if isinstance(v, str))

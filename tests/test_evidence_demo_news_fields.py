"""The demo site's articles: the extractor reads back every news field the demo generator
writes (its own truth, three markup families).  A check of the demo, kept apart from the
real-page figures of tests/test_quality_news_fields.py."""

from __future__ import annotations

from tests.test_quality_news_fields import bench_module


def test_demo_articles_news_fields_all_read_back() -> None:
    bench = bench_module()
    pages = bench.demo_pages()
    assert len(pages) >= 30
    assert len({labels["family"] for labels, _, _ in pages}) == 3
    table, wrong = bench.score(pages, bench.extract_record)
    assert not wrong, "\n".join(wrong)
    assert all(row["accuracy"] == 1.0 for row in table.values())

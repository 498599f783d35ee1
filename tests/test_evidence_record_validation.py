"""Record validation in the crawl: the extraction pipeline drops a record the schema rejects
and counts it, through the same ``decide()`` the crawl workers run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

import pipelines.responses
from archive.crawl_id import new_crawl_id
from pipelines.articles import ArticleExtractionPipeline
from tests.servers.newssite import NewsTestSite

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "pipelines" / "schema" / "article-v1.2.schema.json"
ORIGIN = "http://news.test"
# a value for each WARC pointer field the schema may declare
POINTER_VALUES: dict[str, Any] = {
    "filename": "news-20260101000000-00000.warc.gz",
    "key": "warc/news/2026/01/01/news-20260101000000-00000.warc.gz",
    "offset": 0,
    "length": 1000,
    "record_id": "<urn:uuid:00000000-0000-4000-8000-000000000000>",
    "payload_digest": "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ",
}


def article_item() -> dict[str, Any]:
    """One demo-site article as the spider hands it to the pipeline."""
    site = NewsTestSite()
    truth = site.article_truth(ORIGIN)[0]
    from crawler.demo.site import DemoSite

    response = DemoSite.route(site, truth["url"][len(ORIGIN):], "", ORIGIN)
    assert response is not None
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    pointer_fields = schema["properties"]["warc"]["properties"]
    return {"url": truth["url"], "fetched_at": "2026-01-01T00:00:00Z", "status": 200,
            "headers": [("Content-Type", "text/html; charset=utf-8")], "body": response.body,
            "warc": {k: v for k, v in POINTER_VALUES.items() if k in pointer_fields}}


def run_pipeline(item: dict[str, Any]) -> tuple[dict[str, Any] | DropItem, dict[str, Any]]:
    import crawler.settings as defaults

    settings = {name: getattr(defaults, name) for name in dir(defaults) if name.isupper()}
    crawler = get_crawler(settings_dict={**settings, "EXTRACT_WORKERS": 0})
    crawler._apply_settings()
    crawler.spider = SimpleNamespace(crawl_id=new_crawl_id(), site_name="news")  # what the pipeline reads of it
    pipeline = ArticleExtractionPipeline.from_crawler(crawler)
    pipeline.open_spider()
    try:
        result: dict[str, Any] | DropItem = asyncio.run(pipeline.process_item(item))
    except DropItem as drop:
        result = drop
    finally:
        pipeline.close_spider()
    assert crawler.stats is not None
    return result, crawler.stats.get_stats()


def test_valid_record_passes_and_is_counted() -> None:
    record, stats = run_pipeline(article_item())
    assert isinstance(record, dict), record
    assert stats.get("articles/extracted") == 1
    assert "articles/dropped/invalid_record" not in stats


def test_invalid_record_is_dropped_and_counted(monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    real_build_record = pipelines.responses.build_record

    def build_bad_record(*args: Any, **kwargs: Any) -> dict[str, Any]:
        record = real_build_record(*args, **kwargs)
        record["word_count"] = "many"  # the schema says integer
        return record

    monkeypatch.setattr(pipelines.responses, "build_record", build_bad_record)
    result, stats = run_pipeline(article_item())
    assert isinstance(result, DropItem)
    assert "invalid record" in str(result) and "word_count" in str(result)
    assert stats.get("articles/dropped/invalid_record") == 1
    assert "articles/extracted" not in stats
    assert any("invalid record for" in r.getMessage() for r in caplog.records)

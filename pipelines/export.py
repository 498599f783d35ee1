"""JSONL export through Scrapy's feed exports: one gzip-compressed file per site crawl."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from archive.crawl_output import crawl_output
from archive.layout import articles_key

# The order of keys in every JSONL line (JSON Schema: pipelines/schema/article-v1.2.schema.json).
RECORD_FIELDS = [
    "schema_version",
    "schema_minor",
    "id",
    "url",
    "canonical_url",
    "title",
    "authors",
    "byline",
    "published",
    "modified",
    "section",
    "tags",
    "language",
    "site_name",
    "description",
    "text",
    "image",
    "word_count",
    "fetched_at",
    "http_status",
    "crawl_id",
    "site",
    "warc",
    "extractor",
]
# Schema 1.2 adds these (pipelines.revisions): in a crawl's JSONL when incremental crawling is
# on (an absent field is not written), never in `reextract`'s.
REVISION_FIELDS = ["revision", "first_seen", "previous"]


def feed_settings(crawler: Crawler, site: str, crawl_id: str) -> dict[str, dict[str, Any]]:
    """The ``FEEDS`` value writing this crawl's records to their output key."""
    path = crawl_output(crawler).local_path(articles_key(site, crawl_id))
    return {
        path.resolve().as_uri(): {
            "format": "jsonlines",
            "encoding": "utf-8",
            "fields": RECORD_FIELDS + REVISION_FIELDS,
            "store_empty": True,
            "overwrite": False,
            # Every line reaches the OS compressed and decompressible: a killed crawl keeps its
            # lines (archive.jsonl_gzip, read back by crash recovery).
            "postprocessing": ["archive.jsonl_gzip.LineFlushedGzipPlugin"],
            # Level 6 cost 5.7% of the crawl process (bench/crawl.py --profile).
            "gzip_compresslevel": 1,
            "item_export_kwargs": {"ensure_ascii": False},
        }
    }

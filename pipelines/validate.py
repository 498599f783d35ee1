"""JSON Schema validation of article records (schema v1) before export."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1


@lru_cache(maxsize=1)
def record_validator() -> Draft202012Validator:
    text = resources.files("pipelines").joinpath("schema/article-v1.schema.json").read_text("utf-8")
    return Draft202012Validator(json.loads(text))


def record_errors(record: dict[str, Any]) -> list[str]:
    """Schema violations of one record, as readable '<path>: <message>' strings."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<record>'}: {error.message}"
        for error in record_validator().iter_errors(record)
    ]


class SchemaValidationPipeline:
    """Drops (and logs, and counts) any record that does not validate: a bug, not a page."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SchemaValidationPipeline:
        if not crawler.settings.getbool("NEWSARCHIVE_EXTRACT"):
            raise NotConfigured("extraction is off: no records to validate")
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        errors = record_errors(item)
        if errors:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("articles/dropped/invalid_record")
            logger.error("Invalid record for %s: %s", item.get("url"), "; ".join(errors[:5]))
            raise DropItem(f"invalid record: {errors[0]}")
        return item

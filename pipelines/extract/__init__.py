"""Article extraction: plain functions over saved HTML, no Scrapy imports.

Public API (stable; the crawl pipeline, ``reextract`` and ``newsarchive extract`` use it):

    extract_page(html, url, headers=None) -> Extraction
    extract(html, url, headers=None) -> dict          # Extraction.record
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

EXTRACTOR_NAME = "newsarchive"


@dataclass
class Extraction:
    """What one page yields.

    ``record`` holds the JSONL schema v1 fields that come from the page itself
    (url, canonical_url, title, authors, byline, published, modified, section, tags,
    language, site_name, description, text, image, word_count, extractor).  The crawl adds
    schema_version, fetched_at, crawl_id and warc.
    ``is_article`` is the page-level verdict; ``reason`` says why a page is not one
    (a short slug such as ``no-article-signals`` or ``too-little-text``).
    """

    record: dict
    is_article: bool
    reason: str | None = None


def extract_page(
    html: str | bytes, url: str, headers: Mapping[str, str] | None = None
) -> Extraction:
    raise NotImplementedError  # being written


def extract(html: str | bytes, url: str, headers: Mapping[str, str] | None = None) -> dict:
    return extract_page(html, url, headers).record

"""Article extraction: plain functions over saved HTML, no Scrapy imports.

Public API (stable; the crawl pipeline, ``reextract`` and ``newsarchive extract`` use it):

    extract_page(html, url, headers=None, *, articles_only=False) -> Extraction
    extract(html, url, headers=None) -> dict          # Extraction.record

Which module does what:

- ``decode``: bytes → text; ``parse``: text → the tree every rule reads; ``structured``:
  JSON-LD, microdata, OpenGraph (extruct)
- ``titles``; ``sections``; ``language``; ``images`` (lead image and credit) with
  ``credit_text`` (credits printed as text)
- ``bylines``: authors and the byline (``markup`` declared, ``printed`` on the page,
  ``names`` parsing, ``page_text`` the visible text, ``newsroom`` a site credited as its
  own author); ``given_names``; ``site_owner``
- ``dates`` (declared dates and arbitration), ``printed_dates`` (dates the page prints)
- ``body``: trafilatura and paragraph clean-up, with ``blocks`` (text blocks completing
  trafilatura's paragraphs), ``body_vote`` (jusText and the declared
  articleBody voting where text was lost) and ``boilerplate`` (wording rules)
- ``page_type`` (article or not), ``record`` (assembly), ``text_utils`` (shared helpers), ``urls``
  (page URLs resolved, or None when unparsable)
- ``rules``: named rules an ablation can switch off (``NEWSARCHIVE_EXTRACT_ABLATE``)
- ``preload``: one-time tables built before the extraction workers fork
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .record import EXTRACTOR_NAME, EXTRACTOR_VERSION, build

__all__ = ["EXTRACTOR_NAME", "EXTRACTOR_VERSION", "Extraction", "extract", "extract_page"]


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
    html: str | bytes, url: str, headers: Mapping[str, str] | None = None, *,
    articles_only: bool = False,
) -> Extraction:
    """Extract the record for one page.  Never raises on malformed HTML.

    ``articles_only``: stop as soon as the page is known not to be an article (the crawl and
    ``reextract`` keep articles only); the record is then not complete."""
    record, is_article, reason = build(html, url, headers, articles_only=articles_only)
    return Extraction(record=record, is_article=is_article, reason=reason)


def extract(html: str | bytes, url: str, headers: Mapping[str, str] | None = None) -> dict:
    return extract_page(html, url, headers).record

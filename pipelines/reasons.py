"""Why fetched pages were not taken as articles: a short stable code and a phrase for each.

The codes are the crawl's stats keys made short: ``pages/non_articles/too-little-text`` is
``too-little-text``, ``skipped/not_html`` is ``not-html``, ``skipped/status/404`` is
``status-404``.  The manifest lists them with their counts and phrases
(``counts.not_articles_by_reason``) and the crawl summary prints the most frequent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.extract.record import WordFloors

_PREFIXES = ("pages/non_articles/", "skipped/")
_WHOLE_KEYS = {
    "articles/extract_failed": "extract-failed",
    "articles/dropped/invalid_record": "invalid-record",
    "robotstxt/forbidden": "robots-forbidden",
}

PHRASES = {
    "home-page": "the site's home page",
    "tag-page": "tag pages (an index URL such as /tag/…)",
    "author-page": "author pages (an index URL such as /author/…)",
    "section-page": "section pages (an index URL such as /category/…)",
    "search-page": "search result pages",
    "about-page": "about, imprint or policy pages",
    "contact-page": "contact pages",
    "listing-page": "listings (many linked headlines, a /page/N URL or CollectionPage markup)",
    "no-title": "no title (no headline, og:title or <title>)",
    "empty-page": "empty pages",
    "not-an-article": "not articles",
    "too-large": "too large to extract (over EXTRACT_MAX_BYTES)",
    "too-large-decompressed": "larger than DOWNLOAD_MAXSIZE once decompressed",
    "undecodable": "a compressed body that could not be decoded",
    "meta-refresh": "a meta refresh redirect, not a page",
    "not-html": "not HTML",
    "binary": "binary content served as text",
    "truncated": "connection lost mid-body (archived, not extracted)",
    "section-not-text": "section pages that are not HTML",
    "private-address": "refused: a loopback or private address (allow_private_addresses: false)",
    "robots-forbidden": "refused by robots.txt",
    "extract-failed": "extraction failed (a bug: the log has the traceback)",
    "invalid-record": "the record failed the JSON Schema (a bug: the log says why)",
}


def reason_code(stats_key: str) -> str | None:
    """The reason code a stats key counts, None for keys that count something else."""
    if stats_key in _WHOLE_KEYS:
        return _WHOLE_KEYS[stats_key]
    for prefix in _PREFIXES:
        if stats_key.startswith(prefix):
            return stats_key[len(prefix):].replace("/", "-").replace("_", "-")
    return None


def phrase(code: str, floors: WordFloors | None = None) -> str:
    """What the code means, in words, with the word floors in force."""
    floors = floors or WordFloors()
    if code == "too-little-text":
        return f"too little text (under {floors.without_markup} words, no article markup)"
    if code == "too-little-text-with-markup":
        return f"too little text (under {floors.with_markup} words, with article markup)"
    if code.startswith("status-") and code[7:].isdigit():
        return f"HTTP status {code[7:]}"
    return PHRASES.get(code, code)


def not_article_reasons(stats: Mapping[str, Any],
                        floors: WordFloors | None = None) -> list[dict[str, Any]]:
    """``[{"reason", "pages", "why"}]`` from a crawl's stats, most frequent first."""
    pages: dict[str, int] = {}
    for key, value in stats.items():
        code = reason_code(key)
        if code is not None and isinstance(value, int) and value > 0:
            pages[code] = pages.get(code, 0) + value
    ranked = sorted(pages.items(), key=lambda item: (-item[1], item[0]))
    return [{"reason": code, "pages": count, "why": phrase(code, floors)}
            for code, count in ranked]

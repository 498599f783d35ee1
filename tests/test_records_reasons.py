"""Why pages were not taken as articles: codes, phrases, word floors, manifest and summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from crawler.cli.summary import summarize
from crawler.run import CrawlResult
from pipelines.extract.page_type import MIN_WORDS_WITH_SIGNAL, MIN_WORDS_WITHOUT_SIGNAL
from pipelines.extract.record import WordFloors
from pipelines.reasons import not_article_reasons, phrase, reason_code
from pipelines.responses import ExtractSettings, FetchedResponse, decide
from tests.test_e2e_crawl import load_crawl, run_cli_crawl
from crawler.run import crawl_settings

POINTER = {"filename": "20250315T100000Z-abcdef-00000.warc.gz", "offset": 0, "length": 10,
           "record_id": "<urn:uuid:00000000-0000-4000-8000-000000000001>",
           "payload_digest": "sha1:" + "A" * 32}
URL = "https://news.example/2025/03/15/harbour-reopens/"


def page(words: int, markup: bool) -> bytes:
    head = "<meta property='og:type' content='article'>" if markup else ""
    numbers = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    body = "".join(
        f"<p>Pier {numbers[i % 10]} of block {numbers[i // 10]} reopened on Monday after "
        f"a week of repairs, and the harbour master said ferries would call there again.</p>"
        for i in range(words // 20 + 1))
    return (f"<html><head><title>Harbour reopens</title>{head}</head><body><article>"
            f"<h1>Harbour reopens</h1>{body}</article></body></html>").encode()


def fetched(body: bytes) -> FetchedResponse:
    return FetchedResponse(url=URL, date="2025-03-15T10:00:00Z", status=200,
                           headers=[("Content-Type", "text/html; charset=utf-8")],
                           payload=body, pointer=POINTER, crawl_id="20250315T100000Z-abcdef",
                           site="news")


def test_defaults_are_settings_and_match_the_extractor() -> None:
    settings = Settings()
    settings.setmodule("crawler.settings")
    assert settings.getint("NEWSARCHIVE_ARTICLE_MIN_WORDS") == MIN_WORDS_WITHOUT_SIGNAL == 200
    assert settings.getint("NEWSARCHIVE_ARTICLE_MIN_WORDS_WITH_MARKUP") == MIN_WORDS_WITH_SIGNAL
    assert ExtractSettings.from_settings(crawl_settings()).word_floors == WordFloors()


@pytest.mark.parametrize("markup", [False, True])
def test_word_floors_come_from_the_settings(markup: bool) -> None:
    body = page(120, markup)
    defaults = decide(fetched(body), ExtractSettings.from_settings(crawl_settings()))
    if markup:
        assert defaults.key == "articles/extracted"
        strict = ExtractSettings.from_settings(crawl_settings({"NEWSARCHIVE_ARTICLE_MIN_WORDS_WITH_MARKUP": 500}))
        outcome = decide(fetched(body), strict)
        assert outcome.key == "pages/non_articles/too-little-text-with-markup"
    else:
        assert defaults.key == "pages/non_articles/too-little-text"
        lenient = ExtractSettings.from_settings(crawl_settings({"NEWSARCHIVE_ARTICLE_MIN_WORDS": 50}))
        outcome = decide(fetched(body), lenient)
        assert outcome.key == "articles/extracted"
        assert outcome.record is not None and outcome.record["word_count"] >= 50


@pytest.mark.parametrize(
    ("key", "code"),
    [("pages/non_articles/too-little-text", "too-little-text"),
     ("pages/non_articles/tag-page", "tag-page"),
     ("skipped/status/404", "status-404"),
     ("skipped/not_html", "not-html"),
     ("skipped/too_large_decompressed", "too-large-decompressed"),
     ("skipped/private_address", "private-address"),
     ("articles/extract_failed", "extract-failed"),
     ("articles/dropped/invalid_record", "invalid-record"),
     ("robotstxt/forbidden", "robots-forbidden"),
     ("articles/extracted", None), ("pages/candidates", None), ("item_scraped_count", None)],
)
def test_reason_codes(key: str, code: str | None) -> None:
    assert reason_code(key) == code


def test_every_reason_the_crawl_counts_has_a_phrase() -> None:
    codes = ["home-page", "tag-page", "author-page", "section-page", "search-page", "about-page",
             "contact-page", "listing-page", "no-title", "empty-page", "too-little-text",
             "too-little-text-with-markup", "status-404", "too-large", "too-large-decompressed",
             "undecodable", "meta-refresh", "not-html", "binary", "truncated",
             "section-not-text", "private-address", "robots-forbidden", "extract-failed",
             "invalid-record"]
    for code in codes:
        assert phrase(code) != code
    assert phrase("too-little-text", WordFloors(300, 60)) == \
        "too little text (under 300 words, no article markup)"
    assert phrase("too-little-text-with-markup", WordFloors(300, 60)) == \
        "too little text (under 60 words, with article markup)"


def test_reasons_most_frequent_first() -> None:
    stats = {"pages/non_articles/too-little-text": 3, "pages/non_articles/tag-page": 1,
             "skipped/status/404": 3, "articles/extracted": 9, "pages/candidates": 20,
             "skipped/binary": 0}
    assert not_article_reasons(stats) == [
        {"reason": "status-404", "pages": 3, "why": "HTTP status 404"},
        {"reason": "too-little-text", "pages": 3,
         "why": "too little text (under 200 words, no article markup)"},
        {"reason": "tag-page", "pages": 1, "why": "tag pages (an index URL such as /tag/…)"},
    ]


def test_summary_lists_the_top_reasons() -> None:
    reasons = [{"reason": f"r{i}", "pages": 10 - i, "why": f"reason {i}"} for i in range(7)]
    manifest = {"counts": {"responses": 40, "articles": 0, "not_articles_by_reason": reasons},
                "files": []}
    text = summarize([CrawlResult("demo", "c1", manifest)], "out")
    assert "no articles: pages were fetched but none was taken as an article" in text
    assert "    10 pages: reason 0" in text and "    6 pages: reason 4" in text
    assert "reason 5" not in text
    assert "9 more for 2 other reasons" in text
    manifest["counts"]["articles"] = 3
    assert "  not taken as articles:" in summarize([CrawlResult("demo", "c1", manifest)], "out")


@pytest.mark.e2e
def test_a_crawl_without_articles_says_why(news_site: Any, tmp_path: Path) -> None:
    """Pages fetched, none an article (floors set out of reach): the summary and the
    manifest name the reason and count the pages."""
    base = news_site.base_url.rstrip("/")
    config = {"name": "demo", "start_urls": [f"{base}/category/politics/"],
              "max_section_pages": 1, "allow_private_addresses": True, "download_delay": 0,
              "concurrency": 4, "autothrottle": False}
    proc = run_cli_crawl(config, tmp_path / "out",
                         "-s", "NEWSARCHIVE_ARTICLE_MIN_WORDS=100000",
                         "-s", "NEWSARCHIVE_ARTICLE_MIN_WORDS_WITH_MARKUP=100000")
    crawl = load_crawl(tmp_path / "out", proc)
    assert crawl.records == []
    counts = crawl.manifest["counts"]
    assert counts["articles"] == 0 and counts["non_articles"] > 0
    reasons = {r["reason"]: r for r in counts["not_articles_by_reason"]}
    short = reasons["too-little-text-with-markup"]
    assert short["why"] == "too little text (under 100000 words, with article markup)"
    assert short["pages"] >= 5  # every politics article the section lists
    assert "no articles: pages were fetched but none was taken as an article" in proc.stdout
    assert f"{short['pages']} pages: {short['why']}" in proc.stdout

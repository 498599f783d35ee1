"""Tags: the page's own topic list (synthetic pages, original text); each rule also off."""

from __future__ import annotations

import pytest

from pipelines.extract import extract
from pipelines.extract.rules import ABLATE_ENV
from tests.synthetic_pages import news_page

URL = "https://news.example/2025/04/harbour-ferry/"
TEXT = "".join(
    f"<p>The harbour board met again on day {i} to discuss the ferry timetable, the crews and "
    f"the second boat the operators want for the summer season on the islands.</p>"
    for i in range(1, 7))
ARTICLE = f"<article><h1>Ferry timetable approved</h1>{TEXT}</article>"


def tags(head: str, monkeypatch: pytest.MonkeyPatch, off: str | None = None) -> list[str]:
    if off:
        monkeypatch.setenv(ABLATE_ENV, off)
    else:
        monkeypatch.delenv(ABLATE_ENV, raising=False)
    return extract(news_page("Ferry timetable approved", ARTICLE, head), URL)["tags"]


def test_meta_keywords_when_nothing_else_is_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    head = "<meta name='keywords' content='Ferries, Harbour board, Islands'>"
    assert tags(head, monkeypatch) == ["Ferries", "Harbour board", "Islands"]
    assert tags(head, monkeypatch, off="meta-keywords") == []


def test_article_tags_come_before_meta_keywords(monkeypatch: pytest.MonkeyPatch) -> None:
    head = ("<meta name='keywords' content='news, ferries, harbour, islands, weather'>"
            "<meta property='article:tag' content='Ferries'>"
            "<meta property='article:tag' content='Harbour board'>")
    assert tags(head, monkeypatch) == ["Ferries", "Harbour board"]


def test_schema_keywords_come_before_meta_keywords(monkeypatch: pytest.MonkeyPatch) -> None:
    head = ("<meta name='keywords' content='news, ferries, harbour'>"
            '<script type="application/ld+json">{"@context": "https://schema.org", '
            '"@type": "NewsArticle", "headline": "Ferry timetable approved", '
            '"keywords": ["Ferries", "Islands"]}</script>')
    assert tags(head, monkeypatch) == ["Ferries", "Islands"]

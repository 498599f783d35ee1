"""Tags: the page's own topic list (synthetic pages, original text); each rule also off."""

from __future__ import annotations

import lxml.html
import pytest

from pipelines.extract import extract
from pipelines.extract.sections import _topic_list
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


def page_tags(article: str, monkeypatch: pytest.MonkeyPatch, around: str = "", head: str = "",
              off: str | None = None) -> list[str]:
    if off:
        monkeypatch.setenv(ABLATE_ENV, off)
    else:
        monkeypatch.delenv(ABLATE_ENV, raising=False)
    return extract(news_page("Ferry timetable approved", article, head, around=around), URL)["tags"]


SITE_MENU = ("<header><nav><ul><li><a href='/tag/elections/'>Elections</a></li>"
             "<li><a href='/tag/weather/'>Weather</a></li></ul></nav></header>")
SITE_FOOTER = ("<footer><ul><li><a href='/tag/sport/'>Sport</a></li>"
               "<li><a href='/tag/culture/'>Culture</a></li></ul></footer>")
INLINE = ("<p>The plan now goes to the <a href='/thema/island-council/'>island council</a>, "
          "which meets on the first Monday of the month in the old customs house.</p>")


def test_topic_links_listed_in_the_article(monkeypatch: pytest.MonkeyPatch) -> None:
    article = (f"<article><h1>Ferry timetable approved</h1>{TEXT}{INLINE}"
               "<div class='article-footer'><span>Topics:</span><ul>"
               "<li><a href='https://news.example/thema/ferries/'>Ferries</a></li>"
               "<li><a href='/thema/harbour-board'>Harbour board</a></li>"
               "<li><a href='/thema/islands/'>Islands</a></li></ul></div></article>")
    page = SITE_MENU + article
    assert page_tags(page, monkeypatch, around=SITE_FOOTER) == [
        "Ferries", "Harbour board", "Islands"]
    assert page_tags(page, monkeypatch, around=SITE_FOOTER, off="topic-links") == []


def test_topic_links_right_after_the_article_not_the_site_footer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    around = ("<div class='story-topics'><a href='/topics/ferries'>Ferries</a> "
              "<a href='/topics/islands'>Islands</a></div>" + SITE_FOOTER)
    assert page_tags(SITE_MENU + ARTICLE, monkeypatch, around=around) == ["Ferries", "Islands"]


def test_no_topic_list_no_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    """Menus, the site footer and a link inside a sentence are not the article's topics."""
    article = f"<article><h1>Ferry timetable approved</h1>{TEXT}{INLINE}</article>"
    assert page_tags(SITE_MENU + article, monkeypatch, around=SITE_FOOTER) == []


def test_an_unparsable_link_is_not_a_topic() -> None:
    tree = lxml.html.fromstring(
        f"<html><body><article>{TEXT}<ul><li><a href='http://[harbour/tag/ferries/'>Ferries</a>"
        "</li><li><a href='/tag/islands/'>Islands</a></li></ul></article></body></html>")
    assert _topic_list(tree) == ["Islands"]


def test_a_declared_list_comes_before_topic_links(monkeypatch: pytest.MonkeyPatch) -> None:
    article = (f"<article><h1>Ferry timetable approved</h1>{TEXT}"
               "<ul><li><a href='/tag/ferries/'>Ferries</a></li>"
               "<li><a href='/tag/islands/'>Islands</a></li></ul></article>")
    head = "<meta property='article:tag' content='Harbour board'>"
    assert page_tags(article, monkeypatch, head=head) == ["Harbour board"]


LD_KEYWORDS = ('<script type="application/ld+json">{"@context": "https://schema.org", '
               '"@type": "NewsArticle", "headline": "Ferry timetable approved", '
               '"keywords": %s}</script>')


def test_confirmed_tags_drop_what_no_other_list_has(monkeypatch: pytest.MonkeyPatch) -> None:
    head = (LD_KEYWORDS % '["Ferries", "Islands", "paywall exclude", "_commerce"]'
            + "<meta name='news_keywords' content='ferries, islands'>")
    assert tags(head, monkeypatch) == ["Ferries", "Islands"]
    assert tags(head, monkeypatch, off="confirmed-tags") == [
        "Ferries", "Islands", "paywall exclude", "_commerce"]


def test_confirmed_by_the_visible_topic_links(monkeypatch: pytest.MonkeyPatch) -> None:
    article = (f"<article><h1>Ferry timetable approved</h1>{TEXT}"
               "<ul><li><a href='/tag/ferries/'>Ferries</a></li>"
               "<li><a href='/tag/islands/'>Islands</a></li></ul></article>")
    head = LD_KEYWORDS % '["Ferries", "Islands", "web"]'
    assert page_tags(article, monkeypatch, head=head) == ["Ferries", "Islands"]


def test_one_confirmed_item_keeps_the_whole_list(monkeypatch: pytest.MonkeyPatch) -> None:
    head = (LD_KEYWORDS % '["Ferries", "Islands", "Harbour board"]'
            + "<meta name='news_keywords' content='Ferries'>")
    assert tags(head, monkeypatch) == ["Ferries", "Islands", "Harbour board"]

"""Unit tests for pipelines.extract on synthetic pages (no third-party page text)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines.extract import Extraction, extract, extract_page

DATA = Path(__file__).parent / "data"
SEED_URL = "https://eurodaily.example/harbour-talks-valmora/"
FIRST = "Negotiators from Arland and Borvia sat down on Monday"
LAST = "which would leave both governments weaker among their partners."


def page(body: str, head: str = "", lang: str = "en") -> str:
    return f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def paragraphs(n: int, words: str = "The council met again on Tuesday to discuss the budget") -> str:
    return "".join(f"<p>{words} and item number {i} was settled after a long debate.</p>"
                   for i in range(n))


@pytest.fixture(scope="module")
def seed_html() -> bytes:
    return (DATA / "seed_shaped.html").read_bytes()


def strip_structured(html: str) -> str:
    html = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.DOTALL)
    return re.sub(r'<meta (?:property|name)="(?:article|og|author)[^>]*>', "", html)


@pytest.mark.parametrize("structured", [True, False], ids=["with-structured", "visible-only"])
def test_seed_shaped_page(seed_html: bytes, structured: bool) -> None:
    html: str | bytes = seed_html if structured else strip_structured(seed_html.decode())
    result = extract_page(html, SEED_URL, {"Content-Type": "text/html; charset=UTF-8"})
    assert isinstance(result, Extraction)
    assert result.is_article and result.reason is None
    r = result.record
    assert r["title"] == "Harbour Talks in Valmora Leave the Northern League Waiting"
    assert r["authors"] == ["EuroDaily Correspondents"]
    assert r["byline"] == "by EuroDaily Correspondents"
    assert r["section"] == "ANALYSIS"
    assert r["published"] == "2025-02-18T10:22:41+00:00"
    assert r["language"] == "en-US"
    assert r["image"]["credit"] == "Arland Foreign Ministry Press Office"
    assert "harbour-talks" in r["image"]["url"]
    text = r["text"]
    assert text.startswith(FIRST) and text.endswith(LAST)
    for junk in ("Image source", "Read also", "Islands Dispute", "You may also like",
                 "Leave a Comment", "Editors' Picks", "Latest Posts", "Euro Daily brings",
                 "Our correspondents report", "cookies", "Harbour Talks in Valmora Leave",
                 "by EuroDaily"):
        assert junk not in text
    assert "The League Left Outside the Room" in text  # subheads stay
    assert "Borvia wants tariffs on timber lifted before any other step." in text  # list items
    assert "\n\n" in text and r["word_count"] == len(re.findall(r"\w+", text))
    assert r["extractor"]["name"] == "newsarchive"
    if structured:
        assert r["modified"] == "2025-02-18T11:05:12+00:00"
        assert r["canonical_url"] == SEED_URL
        assert r["site_name"] == "Euro Daily"
        assert r["tags"] == ["Arland", "Borvia"]


def test_extract_returns_record(seed_html: bytes) -> None:
    record = extract(seed_html, SEED_URL)
    assert record == extract_page(seed_html, SEED_URL).record
    json.dumps(record)  # serialisable as is


# ---------------------------------------------------------------- bylines
@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
        ("by Jane Doe, John Smith", ["Jane Doe", "John Smith"]),
        ("Von Anna Müller und Peter Schmidt", ["Anna Müller", "Peter Schmidt"]),
        ("Par Claire Dubois et Marc Lefèvre", ["Claire Dubois", "Marc Lefèvre"]),
        ("Por Lucía Gómez y Andrés Ruiz", ["Lucía Gómez", "Andrés Ruiz"]),
        ("Di Giulia Rossi e Marco Bianchi", ["Giulia Rossi", "Marco Bianchi"]),
        ("Door Sanne de Vries en Pieter Bakker", ["Sanne de Vries", "Pieter Bakker"]),
        ("By Jane Doe | February 18, 2025", ["Jane Doe"]),
        ("By Jane Doe, Political Correspondent", ["Jane Doe"]),
        ("View all posts by Jane Doe", ["Jane Doe"]),
        ("by EuroDaily Correspondents", ["EuroDaily Correspondents"]),
        ("By admin", []),
        ("wordpressadmin", []),
        ("Staff", []),
        ("By Staff Writer", ["Staff Writer"]),  # a desk credit as printed
        ("https://example.com/author/jane", []),
        ("18.02.2025", []),
    ],
)
def test_split_byline(byline: str, expected: list[str]) -> None:
    from pipelines.extract.bylines import split_byline

    assert split_byline(byline, {"eurodaily"}) == expected


def _article_with(head: str = "", byline_html: str = "", url: str = "https://news.example/2024/05/story",
                  printed: str = "") -> dict:
    """``printed``: text of the page's footer (names the markup declares must be printed
    somewhere to count)."""
    footer = f"<footer><p>{printed}</p></footer>" if printed else ""
    body = f"<article><h1>Council Settles Budget</h1>{byline_html}{paragraphs(8)}</article>{footer}"
    head = "<title>Council Settles Budget | News Example</title><meta property='og:site_name' content='News Example'>" + head
    return extract(page(body, head), url)


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ({"@type": "Person", "name": "Jane Doe"}, ["Jane Doe"]),
        ([{"@type": "Person", "name": "Jane Doe"}, {"@type": "Person", "name": "John Smith"}],
         ["Jane Doe", "John Smith"]),
        ("Jane Doe", ["Jane Doe"]),
        (["Jane Doe", "John Smith"], ["Jane Doe", "John Smith"]),
        ({"@type": "Person", "name": {"@value": "Jane Doe"}}, ["Jane Doe"]),
        ({"@type": "Organization", "name": "Metro Desk"}, ["Metro Desk"]),
        ({"@type": "Organization", "name": "News Example"}, []),  # the site itself
        ({"@type": "Person", "givenName": "Jane", "familyName": "Doe"}, ["Jane Doe"]),
    ],
)
def test_jsonld_authors(author: object, expected: list[str]) -> None:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Council Settles Budget",
          "author": author}
    script = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    record = _article_with(script, printed="Reporting: " + ", ".join(expected))
    assert record["authors"] == expected
    if expected:  # declared, never printed: the account that saved the page
        assert _article_with(script)["authors"] == []


def test_jsonld_author_reference_in_graph() -> None:
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "NewsArticle", "headline": "Council Settles Budget", "author": [{"@id": "#p1"}]},
        {"@type": "Person", "@id": "#p1", "name": "Jane Doe"}]}
    record = _article_with(f"<script type='application/ld+json'>{json.dumps(ld)}</script>",
                           printed="Contact Jane Doe")
    assert record["authors"] == ["Jane Doe"]


def test_seo_plugin_article_author_needs_the_page_to_print_it() -> None:
    # Yoast-style graph: generic Article, author = the CMS account that saved the post
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "Article", "headline": "Council Settles Budget", "author": {"@id": "#p1"}},
        {"@type": "Person", "@id": "#p1", "name": "Web Agency Account"}]}
    script = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    assert _article_with(script)["authors"] == []
    assert _article_with(script + "<meta name='author' content='Web Agency Account'>")["authors"] == []
    printed = _article_with(script, "<p class='meta'>Web Agency Account</p>")
    assert printed["authors"] == ["Web Agency Account"]


@pytest.mark.parametrize(
    ("byline_html", "expected"),
    [
        ("<a rel='author' href='/author/jd'>Jane Doe</a>", ["Jane Doe"]),
        (("<span itemprop='author' itemscope itemtype='https://schema.org/Person'>"
         "<span itemprop='name'>Jane Doe</span></span>"), ["Jane Doe"]),
        ("<div class='byline'>By Jane Doe and John Smith</div>", ["Jane Doe", "John Smith"]),
        ("<p class='byline'>Von Anna Müller</p>", ["Anna Müller"]),
    ],
)
def test_visible_authors(byline_html: str, expected: list[str]) -> None:
    assert _article_with(byline_html=byline_html)["authors"] == expected


def test_meta_author_and_junk_meta_author() -> None:
    assert _article_with("<meta name='author' content='Jane Doe'>",
                         printed="Contact Jane Doe")["authors"] == ["Jane Doe"]
    assert _article_with("<meta name='author' content='Jane Doe'>")["authors"] == []
    assert _article_with("<meta name='author' content='admin'>", printed="admin")["authors"] == []
    assert _article_with("<meta name='author' content='News Example'>",
                         printed="News Example")["authors"] == []


# ---------------------------------------------------------------- credits
@pytest.mark.parametrize(
    ("caption", "expected_caption", "expected_credit"),
    [
        ("Delegates arrive. Photo: Jane Doe/Reuters", "Delegates arrive.", "Jane Doe/Reuters"),
        ("Delegates arrive (Photo: Reuters)", "Delegates arrive", "Reuters"),
        ("Delegates arrive. Photograph: Jane Doe", "Delegates arrive.", "Jane Doe"),
        ("Die Delegation kommt an. Bild: Anna Müller", "Die Delegation kommt an.", "Anna Müller"),
        ("Die Delegation kommt an. Foto: dpa", "Die Delegation kommt an.", "dpa"),
        ("La délégation arrive. Crédit : Claire Dubois", "La délégation arrive.", "Claire Dubois"),
        ("La délégation arrive. Photographie : AFP", "La délégation arrive.", "AFP"),
        ("Delegates arrive. © Jane Doe", "Delegates arrive.", "Jane Doe"),
        ("Image source: Foreign Ministry Press Office", "", "Foreign Ministry Press Office"),
        ("Delegates arrive in the rain.", "Delegates arrive in the rain.", None),
    ],
)
def test_split_credit(caption: str, expected_caption: str, expected_credit: str | None) -> None:
    from pipelines.extract.images import split_credit

    assert split_credit(caption) == (expected_caption, expected_credit)


def test_figcaption_credit_span() -> None:
    body = ("<article><h1>Council Settles Budget</h1><figure><img src='/img/council-800x600.jpg' width='800'>"
            "<figcaption>Councillors vote on Tuesday. <span class='credit'>Photo: Jane Doe</span>"
            "</figcaption></figure>" + paragraphs(8) + "</article>")
    head = "<meta property='og:image' content='https://news.example/img/council.jpg'>"
    record = extract(page(body, head), "https://news.example/2024/05/story")
    assert record["image"] == {"url": "https://news.example/img/council.jpg",
                               "caption": "Councillors vote on Tuesday.", "credit": "Jane Doe"}
    assert "Photo: Jane Doe" not in record["text"]


def test_imageobject_credit() -> None:
    ld = {"@type": "NewsArticle", "headline": "Council Settles Budget",
          "image": {"@type": "ImageObject", "url": "https://news.example/img/c.jpg",
                    "caption": "Councillors vote", "creditText": "Jane Doe"}}
    record = _article_with(f"<script type='application/ld+json'>{json.dumps(ld)}</script>")
    assert record["image"] == {"url": "https://news.example/img/c.jpg", "caption": "Councillors vote",
                               "credit": "Jane Doe"}


# ---------------------------------------------------------------- dates
@pytest.mark.parametrize(
    ("head", "body_extra", "expected"),
    [
        ("<meta property='article:published_time' content='2024-05-03T08:15:00+02:00'>", "",
         "2024-05-03T08:15:00+02:00"),
        (("<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"headline\":\"x\","
         "\"datePublished\":\"2024-05-03T06:15:00Z\"}</script>"), "", "2024-05-03T06:15:00+00:00"),
        ("", "<time datetime='2024-05-03T08:15:00-04:00'>May 3</time>", "2024-05-03T08:15:00-04:00"),
        ("<meta itemprop='datePublished' content='2024-05-03'>", "", "2024-05-03"),
    ],
)
def test_published(head: str, body_extra: str, expected: str) -> None:
    body = f"<article><h1>Council Settles Budget</h1>{body_extra}{paragraphs(8)}</article>"
    assert extract(page(body, head), "https://news.example/story")["published"] == expected


def test_normalise_date() -> None:
    from pipelines.extract.dates import normalise_date

    assert normalise_date("2024-05-03T08:15:00.123+02:00") == "2024-05-03T08:15:00+02:00"
    assert normalise_date("Fri, 03 May 2024 08:15:00 GMT") == "2024-05-03T08:15:00+00:00"
    assert normalise_date("May 3, 2024") == "2024-05-03"
    assert normalise_date("not a date") is None
    assert normalise_date("0001-01-01") is None


# ---------------------------------------------------------------- sections, language, title
def test_section_from_visible_breadcrumb() -> None:
    body = ("<nav class='breadcrumbs'><a href='/'>Home</a> › <a href='/world/'>World</a> › "
            "<span>Council Settles Budget</span></nav><article><h1>Council Settles Budget</h1>"
            + paragraphs(8) + "</article>")
    assert extract(page(body), "https://news.example/world/council")["section"] == "World"


def test_section_from_jsonld_breadcrumb() -> None:
    ld = {"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 2, "name": "Politics", "item": "https://x/politics"},
        {"@type": "ListItem", "position": 1, "name": "Home", "item": "https://x/"},
        {"@type": "ListItem", "position": 3, "name": "Council Settles Budget"}]}
    assert _article_with(f"<script type='application/ld+json'>{json.dumps(ld)}</script>")["section"] == "Politics"


@pytest.mark.parametrize(("raw", "expected"), [("en_US", "en-US"), ("DE", "de"), ("pt-br", "pt-BR"),
                                                ("zh-hant-tw", "zh-Hant-TW"), ("", None)])
def test_normalise_language(raw: str, expected: str | None) -> None:
    from pipelines.extract.language import normalise_language

    assert normalise_language(raw) == expected


def test_language_from_header_when_no_lang() -> None:
    html = "<html><head><title>T</title></head><body><h1>T</h1>" + paragraphs(3) + "</body></html>"
    assert extract(html, "https://x.example/a", {"content-language": "de-DE"})["language"] == "de-DE"


def test_title_site_suffix_removed() -> None:
    assert _article_with()["title"] == "Council Settles Budget"


# ---------------------------------------------------------------- page type
def _listing(url: str, extra_head: str = "") -> Extraction:
    cards = "".join(f"<article><h2><a href='/p/{i}'>Story number {i} about the council</a></h2>"
                    f"<p>A short teaser for story {i}, with a few words about what happened.</p></article>"
                    for i in range(12))
    return extract_page(page(f"<h1>Latest</h1>{cards}", "<title>Latest | News Example</title>" + extra_head), url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://news.example/tag/council/", "tag-page"),
        ("https://news.example/author/jane-doe/", "author-page"),
        ("https://news.example/category/analysis/", "section-page"),
        ("https://news.example/category/analysis/page/2/", "section-page"),
        ("https://news.example/about/", "about-page"),
        ("https://news.example/contact-us/", "contact-page"),
        ("https://news.example/latest/", "listing-page"),
    ],
)
def test_index_pages_are_not_articles(url: str, reason: str) -> None:
    result = _listing(url)
    assert not result.is_article
    assert result.reason == reason


def test_collection_page_schema_is_not_article() -> None:
    ld = "<script type='application/ld+json'>{\"@type\":\"CollectionPage\",\"name\":\"Latest\"}</script>"
    result = _listing("https://news.example/whatever", ld)
    assert (result.is_article, result.reason) == (False, "listing-page")


def test_short_page_without_signals() -> None:
    result = extract_page(page("<h1>Hello</h1><p>Just a few words here.</p>", "<title>Hello</title>"),
                          "https://x.example/hello")
    assert (result.is_article, result.reason) == (False, "too-little-text")


def test_no_title() -> None:
    result = extract_page(page(paragraphs(10)), "https://x.example/a")
    assert (result.is_article, result.reason) == (False, "no-title")


def test_article_without_structured_data() -> None:
    result = extract_page(page("<article><h1>Council Settles Budget</h1>" + paragraphs(25) + "</article>",
                               "<title>Council Settles Budget</title>"), "https://x.example/2024/council")
    assert result.is_article, result.reason


# ---------------------------------------------------------------- decoding, scripts
def test_charset_from_header() -> None:
    html = page("<h1>Übersicht</h1><p>Grüße aus München, schöne Straße.</p>").replace(
        "<meta charset='utf-8'>", "")
    record = extract(html.encode("cp1252"), "https://x.example/a",
                     {"Content-Type": "text/html; charset=windows-1252"})
    assert record["title"] == "Übersicht"


def test_charset_from_meta() -> None:
    html = page("<h1>Übersicht</h1><p>Grüße aus München.</p>").replace("charset='utf-8'", "charset='iso-8859-1'")
    assert extract(html.encode("iso-8859-1"), "https://x.example/a")["title"] == "Übersicht"


def test_charset_detected() -> None:
    html = page("<h1>Übersicht</h1>" + "<p>Grüße aus München, schöne Straße, große Füße.</p>" * 20).replace(
        "<meta charset='utf-8'>", "")
    assert extract(html.encode("cp1252"), "https://x.example/a")["title"] == "Übersicht"


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("ar", "اجتمع المجلس يوم الثلاثاء لمناقشة الميزانية العامة للمدينة"),
        ("he", "המועצה התכנסה ביום שלישי כדי לדון בתקציב העירוני"),
        ("zh", "市议会周二开会讨论城市预算，并就多个项目达成一致。"),
        ("ja", "市議会は火曜日に会合を開き、市の予算について議論した。"),
    ],
)
def test_rtl_and_cjk_keep_text(lang: str, sentence: str) -> None:
    body = f"<article dir='auto'><h1>{sentence[:12]}</h1>" + "".join(
        f"<p>{sentence} {i}</p>" for i in range(10)) + "</article>"
    result = extract_page(page(body, f"<title>{sentence[:12]}</title>", lang).encode("utf-8"), "https://x.example/a")
    assert sentence in result.record["text"]
    assert result.record["language"] == lang


@pytest.mark.parametrize(("html", "text"), [
    ("", ""), (b"", ""), ("   ", ""), (b"\x00\x01", ""), ("<html></html>", ""),
    ("<p>unclosed", ""),
    ("<?xml version='1.0' encoding='utf-8'?><html><body><p>The council met on Tuesday.</p>"
     "<p>It agreed on new money for the harbour and the schools.</p></body></html>",
     "The council met on Tuesday.\n\nIt agreed on new money for the harbour and the schools."),
])
def test_degenerate_input_does_not_crash(html: str | bytes, text: str) -> None:
    result = extract_page(html, "https://x.example/a")
    assert result.is_article is False and result.reason
    assert result.record["text"] == text
    assert result.record["word_count"] == len(text.split())


def test_articles_only_stops_at_a_page_known_not_to_be_one() -> None:
    html = ("<html><head><title>Business</title></head><body><h1>Business</h1>"
            + "<p>The harbour authority reported record cargo volumes for the third quarter.</p>" * 30
            + "</body></html>")
    url = "https://news.example/category/business/page/2/"
    full = extract_page(html, url)
    quick = extract_page(html, url, articles_only=True)
    assert (full.is_article, full.reason) == (quick.is_article, quick.reason) == (False, "section-page")
    assert full.record["text"] and not quick.record["text"]
    # an article URL is extracted in full either way
    article = extract_page(html, "https://news.example/2025/03/15/record-cargo-volumes/",
                           articles_only=True)
    assert article.record["text"] == extract_page(
        html, "https://news.example/2025/03/15/record-cargo-volumes/").record["text"]

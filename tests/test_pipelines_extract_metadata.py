"""Metadata rules of pipelines.extract (authors, dates, titles) on synthetic pages."""

from __future__ import annotations

import json

import pytest

from pipelines.extract import extract
from pipelines.extract.bylines import split_byline
from pipelines.extract.dates import to_local_day, url_day
from tests.synthetic_pages import news_page

URL = "https://news.example/2024/05/03/council-settles-budget/"
TITLE = "Council Settles Budget"


def body_text(n: int = 8) -> str:
    return "".join(f"<p>The council met again on Tuesday and item number {i} was settled after a "
                   "long debate about the budget of the city.</p>" for i in range(n))


def page(article: str, head: str = "", body_class: str = "", around: str = "") -> str:
    return news_page(TITLE, article, head, body_class, around)


def authors_of(html: str, url: str = URL) -> list[str]:
    return extract(html, url)["authors"]


# ---------------------------------------------------------------- bylines as printed
@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By Jane Doe", ["Jane Doe"]),
        ("Von Anna Müller", ["Anna Müller"]),
        ("Par Claire Dubois", ["Claire Dubois"]),
        ("Por Lucía Gómez", ["Lucía Gómez"]),
        ("Di Giulia Rossi", ["Giulia Rossi"]),
        ("Door Sanne de Vries", ["Sanne de Vries"]),
        ("By Jane Doe | May 3, 2024", ["Jane Doe"]),
        ("Anna Müller, 12. März 2020", ["Anna Müller"]),
        ("Von Tomas Berg Fr, 18. Oktober 2019", ["Tomas Berg"]),
        ("Posted on 3 May 2024 by Jane Doe", ["Jane Doe"]),
        ("Veröffentlicht am 8. Februar 2022 von Anna Müller", ["Anna Müller"]),
        ("Gespeichert von rasmus am 24. Juli 2017 - 18:55", ["rasmus"]),
        ("Beitragvon r23 » 21.01.2009, 05:42", ["r23"]),
        ("Por Williams Pereda @wpereda -", ["Williams Pereda"]),
        ("Isabel Cruz, Rocío Lara y José Miguel Vidal Hace 13 horas", ["Isabel Cruz", "Rocío Lara", "José Miguel Vidal"]),
        ("Rezept von Zum Profil von kuchenfee kuchenfee", ["kuchenfee"]),
        ("About the Author - Florina Ionescu", ["Florina Ionescu"]),
    ],
)
def test_split_byline_languages_and_furniture(byline: str, expected: list[str]) -> None:
    assert split_byline(byline, {"newsexample"}) == expected


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("by Harbourside Culture Desk", ["Harbourside Culture Desk"]),  # desks are names
        ("Redaktion", ["Redaktion"]),
        ("By Staff Writer", ["Staff Writer"]),
        ("red, wien.ORF.at/Agenturen", ["red", "wien.ORF.at/Agenturen"]),
        ("dsw / DPA", ["dsw / DPA"]),  # agency credits kept as printed
        ("Christoph Hein Chefredakteur", ["Christoph Hein"]),  # trailing role dropped
        ("By Jane Doe, Political Correspondent", ["Jane Doe"]),
    ],
)
def test_desks_agencies_and_roles(byline: str, expected: list[str]) -> None:
    assert split_byline(byline, set()) == expected


@pytest.mark.parametrize(
    "junk",
    ["By admin", "von wordpressadmin |", "Staff", "18.02.2025", "© Getty Images 2020",
     "https://news.example/author/jane", "von Wertpapieren des öffentlichen Sektors (PSPP, 2015)"],
)
def test_junk_rejected(junk: str) -> None:
    assert split_byline(junk, set()) == []


# ---------------------------------------------------------------- where bylines are looked for
def test_wordpress_byline_under_layout_classes() -> None:
    # "right-sidebar" on <body> and on the wrapper that holds the headline must not hide it
    article = (f"<div class='content-wrapper right-sidebar'><article><header><h1>{TITLE}</h1>"
               "<div class='entry-meta'><span class='posted-on'>Posted on May 3, 2024</span> "
               "<span class='byline'>by <span class='author vcard'><a class='url fn n' "
               "rel='author' href='/author/dl/'>Daniel Lemaire</a></span></span></div></header>"
               f"{body_text()}</article></div>")
    assert authors_of(page(article, body_class="single right-sidebar")) == ["Daniel Lemaire"]


def test_plain_by_line_without_classes() -> None:
    article = f"<article><h1>{TITLE}</h1><p>By Emily Burke | May 3, 2024</p>{body_text()}</article>"
    assert authors_of(page(article)) == ["Emily Burke"]


def test_label_element_and_sibling() -> None:
    article = (f"<article><h1>{TITLE}</h1><dl><dt>Auteur</dt><dd><a href='/u/1'>Uriel Garnier"
               f"</a></dd></dl>{body_text()}</article>")
    assert authors_of(page(article)) == ["Uriel Garnier"]


def test_sentence_starting_with_von_is_no_byline() -> None:
    article = (f"<article><h1>{TITLE}</h1><p>Von den umliegenden Höfen kaufte der Rat Speck.</p>"
               f"{body_text()}</article>")
    assert authors_of(page(article)) == []


@pytest.mark.parametrize(
    "around",
    [
        ("<div id='comments'><ol class='commentlist'><li><span class='comment-author vcard'>"
         "<cite class='fn'>Mark Reader</cite></span> says: great piece</li></ol></div>"),
        "<aside class='widget'><h3>Related posts</h3><div class='byline'>By Other Writer</div></aside>",
        "<div class='author-box'><span class='author-name'>Jane Sidebar</span> writes here.</div>",
        "<footer><p>By Site Owner</p></footer>",
    ],
    ids=["comments", "related-widget", "author-box", "footer"],
)
def test_no_author_from_page_furniture(around: str) -> None:
    article = f"<article><h1>{TITLE}</h1>{body_text()}</article>"
    assert authors_of(page(article, around=around)) == []


def test_meta_author_for_single_author_blog() -> None:
    article = f"<article><h1>{TITLE}</h1>{body_text()}</article><footer>© Jane Doe</footer>"
    assert authors_of(page(article, "<meta name='author' content='Jane Doe'>")) == ["Jane Doe"]
    # article:author as a profile URL names nobody
    url_author = "<meta property='article:author' content='https://facebook.com/janedoe'>"
    assert authors_of(page(article, url_author)) == []


def test_login_in_jsonld_gives_the_display_name() -> None:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": TITLE,
          "author": {"@type": "Person", "name": "christian.stadt"}}
    article = (f"<article><h1>{TITLE}</h1><span class='author-name'>Christian P. Stadt</span>"
               f"{body_text()}</article>")
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    assert authors_of(page(article, head)) == ["Christian P. Stadt"]


# ---------------------------------------------------------------- dates
def test_url_day() -> None:
    assert url_day("https://x.example/2019/01/01/happy-new-year/") == "2019-01-01"
    assert url_day("https://web.archive.org/web/2016/https://x.example/2010/05/19/a/") == "2010-05-19"
    assert url_day("https://x.example/news/12345") is None


@pytest.mark.parametrize(
    ("published", "day", "expected"),
    [
        ("2018-12-31T23:11:59+00:00", "2019-01-01", "2019-01-01T00:11:59+01:00"),
        ("2023-11-09T05:30:59+00:00", "2023-11-08", "2023-11-08T23:30:59-06:00"),
        ("2021-11-04T23:00:00+00:00", None, "2021-11-05T00:00:00+01:00"),
        ("2021-11-04T23:00:00+00:00", "2021-11-04", "2021-11-04T23:00:00+00:00"),
        ("2021-11-04T10:00:00+02:00", "2021-11-05", "2021-11-04T10:00:00+02:00"),
        ("2021-11-04", "2021-11-05", "2021-11-04"),
    ],
)
def test_to_local_day_keeps_the_instant(published: str, day: str | None, expected: str) -> None:
    assert to_local_day(published, day) == expected


def test_published_prefers_datepublished_over_modified() -> None:
    head = ("<meta property='article:published_time' content='2024-05-03T08:15:00+02:00'>"
            "<meta property='article:modified_time' content='2024-06-01T10:00:00+02:00'>")
    record = extract(page(f"<article><h1>{TITLE}</h1>{body_text()}</article>", head), URL)
    assert record["published"] == "2024-05-03T08:15:00+02:00"
    assert record["modified"] == "2024-06-01T10:00:00+02:00"


# ---------------------------------------------------------------- titles
@pytest.mark.parametrize(
    ("title_tag", "h1", "expected"),
    [
        (f"{TITLE} | News Example", TITLE, TITLE),
        (f"News Example » Blog Archive » {TITLE}", None, TITLE),
        (f"{TITLE} - News Example Community Forum", None, TITLE),
        (TITLE, f"Politics | {TITLE}", TITLE),
        (TITLE, f"<span class='kicker'>Politics</span>: {TITLE}", TITLE),
        # a site prefix glued on with a bare bar, as CJK sites write it
        ("News Example|港が再開した", None, "港が再開した"),
        # the ruby reading over CJK characters is no part of the headline
        ("", "<ruby>港<rp>(</rp><rt>みなと</rt><rp>)</rp></ruby>が再開した",
         "港が再開した"),
        # category links inside the heading, an issue number after it
        ("Is the harbour open again? | News Example",
         "Is the harbour open again? <a href='/c/port'>Port</a> <a href='#c'>Comment</a>",
         "Is the harbour open again?"),
        (f"{TITLE} | News Example", f"{TITLE} (2021/5)", TITLE),
        # but a title cut for length goes on in the heading
        ("How the harbour got its old berths back on the | News Example",
         "How the harbour got its old berths back on the Block",
         "How the harbour got its old berths back on the Block"),
    ],
)
def test_title_without_site_affixes(title_tag: str, h1: str | None, expected: str) -> None:
    head = f"<title>{title_tag}</title><meta property='og:site_name' content='News Example'>"
    heading = f"<h1>{h1}</h1>" if h1 else ""
    html = (f"<!DOCTYPE html><html><head>{head}</head><body><article>{heading}{body_text()}"
            "</article></body></html>")
    assert extract(html, URL)["title"] == expected


def test_a_title_attribute_cut_by_an_unescaped_quote_is_read_whole() -> None:
    head = ("<title>Senator calls the plan \"reckless\"</title>"
            "<meta property='og:title' content=\"Senator calls the plan \"reckless\"\">")
    html = f"<!DOCTYPE html><html><head>{head}</head><body><article>{body_text()}</article></body></html>"
    assert extract(html, URL)["title"] == 'Senator calls the plan "reckless"'


def test_modified_equal_to_published_is_not_a_modification() -> None:
    from pipelines.extract.dates import not_a_modification

    assert not_a_modification("2025-02-18T10:30:00+01:00", "2025-02-18T09:30:00Z") is None
    assert not_a_modification("2025-02-18T10:30:00+01:00", "2025-02-19T08:00:00+01:00") == (
        "2025-02-19T08:00:00+01:00"
    )
    assert not_a_modification(None, "2025-02-19") == "2025-02-19"
    assert not_a_modification("2025-02-18", "2025-02-18") is None

"""Publication dates (pipelines.extract.dates) on synthetic pages: the date printed with the
headline against the declared ones, and what must not count as the article's date."""

from __future__ import annotations

import json

import pytest

from pipelines.extract import extract
from pipelines.extract.dates import labelled_date, shown_date
from pipelines.extract.record import parse_html
from pipelines.extract.structured import read_structured

URL = "https://news.example/politics/council-settles-budget"
TITLE = "Council Settles Budget After Long Night"


def body_text(n: int = 6) -> str:
    return "".join(f"<p>The council met again on Tuesday and item number {i} was settled after a "
                   "long debate about the budget of the city and its harbour.</p>" for i in range(n))


def page(header: str = "", head: str = "", lang: str = "en", after: str = "",
         before: str = "") -> str:
    """An article page: ``before`` the headline, ``header`` right after it, ``after`` the
    article."""
    head = (f"<title>{TITLE} | News Example</title>"
            "<meta property='og:site_name' content='News Example'>" + head)
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>{head}</head>"
            "<body>"
            f"<nav class='menu'><a href='/'>Home</a></nav><main><article>{before}"
            f"<h1>{TITLE}</h1>{header}{body_text()}</article>{after}</main></body></html>")


def ld(**dates: str) -> str:
    node = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": TITLE, **dates}
    return f"<script type='application/ld+json'>{json.dumps(node)}</script>"


def shown(html: str, lang: str = "en") -> str | None:
    tree = parse_html(html)
    found = shown_date(tree, read_structured(tree, URL), lang)
    return found.day if found else None


def dates_of(html: str) -> tuple[str | None, str | None]:
    record = extract(html, URL)
    return record["published"], record["modified"]


# ---------------------------------------------------------------- reading the printed date
@pytest.mark.parametrize(
    ("printed", "lang", "day"),
    [
        ("6. November 2023, 15:25 Uhr", "de", "2023-11-06"),
        ("Updated Mar 12, 2020 @ 10:42 am", "en", "2020-03-12"),
        ("Publié le 1er janvier 2020", "fr", "2020-01-01"),
        ("11 de mayo de 2022", "es", "2022-05-11"),
        ("( Roma, 14 gennaio 20 )", "it", "2020-01-14"),
        ("17 maart 2021", "nl", "2021-03-17"),
        ("2019年6月24日 12時00分", "ja", "2019-06-24"),
        ("Stand: 07.11.2023, 07:30 Uhr", "de", "2023-11-07"),
        ("mardi 10.12.19", "fr", "2019-12-10"),
        ("05/11/2022", "en-US", "2022-05-11"),
        ("05/11/2022", "en-GB", "2022-11-05"),
        ("05/11/2022", "de", "2022-11-05"),
    ],
)
def test_printed_date_languages_and_forms(printed: str, lang: str, day: str) -> None:
    html = page("<div class='meta'><span class='author'>Jane Doe</span> "
                f"<span>{printed}</span></div>", lang=lang)
    assert shown(html, lang) == day


def test_forum_post_date_glued_to_its_time() -> None:
    html = page("<div class='post'><span class='user'>member42</span>28.09.1912:44</div>",
                lang="de")
    assert shown(html, "de") == "2019-09-28"


def test_kicker_row_above_the_headline() -> None:
    kicker = "<div class='kicker'><a href='/opinion'>Opinion</a> <span>14.03.2024</span></div>"
    html = page(before=kicker, lang="de")
    assert shown(html, "de") == "2024-03-14"


@pytest.mark.parametrize(
    "header",
    [
        # a microformat span hidden by its class, then the visible date
        ("<span class='updated rich-snippet-hidden'>2024-05-20T10:00:00+02:00</span>"
         "<span>3 May 2024</span>"),
        # a member's join date before the post's own
        "<div>Registered: 18.09.2008</div><div>Posted 3 May 2024</div>",
        # screen-reader text
        "<span class='sr-only'>20 May 2024</span><time>3 May 2024</time>",
    ],
)
def test_hidden_and_non_article_dates_are_skipped(header: str) -> None:
    assert shown(page(header)) == "2024-05-03"


def test_a_date_inside_running_text_is_not_the_articles() -> None:
    lead = ("<p>The mayor said the harbour summit will open on 5 February 2030 and that the city "
            "expects delegations from every partner town along the coast.</p>")
    assert shown(page(lead)) is None


def test_teasers_after_the_article_header_do_not_count() -> None:
    teasers = "".join(f"<div class='teaser'><h2>Other story {i}</h2><p>Published May {10 + i}, 2024"
                      f"</p></div>" for i in range(3))
    html = page(after=f"<section>{teasers}</section>")
    assert shown(html) is None


def test_published_label_preferred_over_updated() -> None:
    header = ("<p class='meta'><span>Updated 6 June 2024</span> · "
              "<span>Published 3 May 2024</span></p>")
    assert shown(page(header)) == "2024-05-03"


# ---------------------------------------------------------------- deciding the published value
def test_printed_day_beats_generic_date_meta() -> None:
    html = page("<p class='byline'>Von Anna Muster, 03.05.2024, 12:01 Uhr</p>",
                head="<meta name='date' content='2024-05-10'>", lang="de")
    assert dates_of(html)[0] == "2024-05-03"


def test_printed_day_lends_the_time_of_the_weak_source() -> None:
    html = page("<p class='byline'>Von Anna Muster, 03.05.2024</p>",
                head="<meta name='date' content='2024-05-03T12:01:00+02:00'>", lang="de")
    assert dates_of(html)[0] == "2024-05-03T12:01:00+02:00"


def test_republished_page_showing_its_modified_date() -> None:
    head = ld(datePublished="2023-01-10T08:00:00+01:00", dateModified="2024-05-03T09:30:00+02:00")
    html = page("<p class='meta'>By Jane Doe <span>May 3, 2024</span></p>", head=head)
    assert dates_of(html) == ("2024-05-03T09:30:00+02:00", "2024-05-03T09:30:00+02:00")


def test_printed_day_picks_the_declared_value_it_matches() -> None:
    head = (ld(datePublished="2024-05-01T07:29:00Z")
            + "<meta property='article:published_time' content='2024-05-03T08:29:34+02:00'>")
    html = page("<div class='info'>03.05.2024</div>", head=head, lang="de")
    assert dates_of(html)[0] == "2024-05-03T08:29:34+02:00"


def test_updated_line_newer_than_the_declared_publication() -> None:
    head = ld(datePublished="2016-08-29T21:54:39Z", dateModified="2024-10-01T13:23:47Z")
    html = page("<p class='meta'>By Jane Doe <span>Updated May 06, 2024</span></p>", head=head)
    assert dates_of(html) == ("2024-05-06", "2024-10-01T13:23:47+00:00")


def test_unlabelled_other_day_does_not_override_a_strong_source() -> None:
    head = ld(datePublished="2024-05-01T10:00:00+02:00")
    html = page("<p class='meta'><span>7 May 2024</span></p>", head=head)
    assert dates_of(html)[0] == "2024-05-01T10:00:00+02:00"


def test_printed_day_keeps_a_utc_midnight_on_the_local_day() -> None:
    head = "<meta property='article:published_time' content='2021-11-04T23:00Z'>"
    html = page("<span class='date'>5. November 2021</span>", head=head, lang="de")
    assert dates_of(html)[0] == "2021-11-05T00:00:00+01:00"


def test_teaser_dates_do_not_move_the_published_value() -> None:
    head = ld(datePublished="2024-05-03T10:00:00+02:00", dateModified="2024-05-20T10:00:00+02:00")
    related = ("<aside class='related'><ul><li><a href='/a'>Harbour deal</a> "
               "<span>20.05.2024</span></li></ul></aside>")
    html = page(head=head, after=related, lang="de")
    assert dates_of(html) == ("2024-05-03T10:00:00+02:00", "2024-05-20T10:00:00+02:00")


def test_modified_repeating_the_publication_is_still_dropped() -> None:
    head = ld(datePublished="2024-05-03T10:00:00+02:00", dateModified="2024-05-03T10:00:00+02:00")
    html = page("<p class='meta'><time datetime='2024-05-03T10:00:00+02:00'>3 May 2024</time></p>",
                head=head)
    assert dates_of(html) == ("2024-05-03T10:00:00+02:00", None)


# ---------------------------------------------------------------- a labelled date anywhere
@pytest.mark.parametrize(
    ("text", "lang", "day"),
    [
        ("<p class='meta'><span>Erschienen am</span> <time>26. Jan 2022</time></p>", "de",
         "2022-01-26"),
        ("<p>This entry was posted on May 19, 2010 and filed under Reading.</p>", "en",
         "2010-05-19"),
        ("<p>Der Artikel wurde am <b>19. Mai 2010</b> um 23:03 Uhr gepostet.</p>", "de",
         "2010-05-19"),
    ],
)
def test_labelled_publication_date_anywhere(text: str, lang: str, day: str) -> None:
    html = (f"<html lang='{lang}'><body><h1>Other heading</h1>{body_text()}"
            f"<div class='sidebar'>{text}</div></body></html>")
    assert labelled_date(parse_html(html), lang) == day


def test_labelled_date_in_comments_does_not_count() -> None:
    html = (f"<html><body><h1>Other heading</h1>{body_text()}<ol class='comment-list'>"
            "<li>Posted on May 19, 2010 by a reader</li></ol></body></html>")
    assert labelled_date(parse_html(html), "en") is None


def test_labelled_date_used_without_any_declared_date() -> None:
    html = (f"<!DOCTYPE html><html lang='de'><head><title>Zukunftsforum</title></head><body>"
            f"<main><h1>Ein ganz anderer Titel</h1>{body_text()}<p class='c-teaser__meta'>"
            "<span>Erschienen am</span> <time>26. Jan 2022</time></p></main></body></html>")
    assert extract(html, URL)["published"] == "2022-01-26"

"""Publication dates (pipelines.extract.dates and printed_dates) on synthetic pages: the date
printed with the headline against the declared ones, and what must not count as the article's
date."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from pipelines.extract import extract
from pipelines.extract.dates import after_fetch, extract_dates, fetch_time, normalise_date
from pipelines.extract.printed_dates import (
    labelled_date,
    listed_date,
    originally_published,
    shown_date,
    with_year,
)
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


# ---------------------------------------------------------------- "originally published" notes
NOTE_PAGE_LD = ld(datePublished="2020-02-19", dateCreated="2017-04-11")


@pytest.mark.parametrize(
    ("note", "lang", "period"),
    [
        ("This article was originally published on March 3, 2015.", "en", "2015-03-03"),
        ("Cet article, initialement publié en avril 2017, a fait l'objet d'une mise à jour.",
         "fr", "2017-04"),
        ("Dieser Artikel erschien erstmals am 3. März 2015.", "de", "2015-03-03"),
        ("Der Text wurde ursprünglich veröffentlicht im April 2017.", "de", "2017-04"),
        ("Dieser Beitrag wurde ursprünglich am 3. März 2015 veröffentlicht.", "de", "2015-03-03"),
        ("Este artículo fue publicado originalmente el 3 de marzo de 2015.", "es", "2015-03-03"),
        ("Questo articolo è stato pubblicato originariamente il 3 marzo 2015.", "it",
         "2015-03-03"),
        ("Dit stuk werd oorspronkelijk gepubliceerd op 3 maart 2015.", "nl", "2015-03-03"),
        ("Originally published in The Harbour Review on 3 March 2015.", "en", "2015-03-03"),
    ],
)
def test_originally_published_note_languages(note: str, lang: str, period: str) -> None:
    found = originally_published(parse_html(page(after=f"<p><em>{note}</em></p>", lang=lang)),
                                 lang)
    assert found is not None and found.period == period


@pytest.mark.parametrize(
    "text",
    [
        "<p>Zuerst im Mai 2017 kamen die Pläne auf den Tisch, dann wurde gestritten.</p>",
        "<p>The council was first elected in 2015 and met monthly.</p>",
        "<ol class='comments'><li>This was originally published on March 3, 2015.</li></ol>",
    ],
)
def test_not_an_originally_published_note(text: str) -> None:
    assert originally_published(parse_html(page(after=text))) is None


def test_originally_published_picks_the_declared_value_of_that_month() -> None:
    head = (NOTE_PAGE_LD
            + "<meta property='article:published_time' content='2017-04-12T18:33:59+02:00'>")
    html = page("<p class='date'>Le 19 février 2020</p>", head=head, lang="fr",
                after="<p>* Cet article, initialement publié en avril 2017, a fait l'objet "
                      "d'une mise à jour.</p>")
    assert dates_of(html)[0] == "2017-04-12T18:33:59+02:00"


def test_originally_published_reads_an_undeclared_created_meta() -> None:
    head = (ld(datePublished="2020-02-19T10:00:00+01:00")
            + "<meta property='dc:date.created' content='2017-04-12'>")
    html = page(head=head, lang="fr",
                after="<p>Cet article, initialement publié en avril 2017, a été mis à jour.</p>")
    assert dates_of(html)[0] == "2017-04-12"


def test_originally_published_day_without_a_declared_value() -> None:
    html = page("<p class='meta'>February 19, 2020</p>",
                after="<p>This article was originally published on March 3, 2015.</p>")
    assert dates_of(html)[0] == "2015-03-03"


def test_originally_published_day_not_declared_keeps_the_declared_republication() -> None:
    html = page(head=ld(datePublished="2022-01-26T08:00:50+00:00"), lang="de",
                after="<p>Dieser Artikel ist ursprünglich am 27. Februar 2017 erschienen.</p>")
    assert dates_of(html)[0] == "2022-01-26T08:00:50+00:00"


def test_originally_published_about_something_else_keeps_the_declared_value() -> None:
    text = "<p>The harbour charter, which was first published on 3 March 1998, is short.</p>"
    html = page(head=ld(datePublished="2020-02-19T10:00:00+01:00"), after=text)
    assert dates_of(html)[0] == "2020-02-19T10:00:00+01:00"


def test_originally_published_later_than_the_declared_value_changes_nothing() -> None:
    html = page(head=ld(datePublished="2014-06-02T10:00:00+02:00"),
                after="<p>This article was originally published on March 3, 2015.</p>")
    assert dates_of(html)[0] == "2014-06-02T10:00:00+02:00"


# ---------------------------------------------------------------- a date printed without its year
@pytest.mark.parametrize(
    ("printed", "lang", "day"),
    [
        ("[06月24日 11時30分]", "ja", "2019-06-24"),
        ("6月24日", "ja", "2019-06-24"),
        ("24. Juni, 11:30 Uhr", "de", "2019-06-24"),
        ("Posted June 24, 8:19 PM", "en", "2019-06-24"),
        ("Publié le 24 juin à 11h30", "fr", "2019-06-24"),
    ],
)
def test_yearless_printed_date_takes_the_evidence_year(printed: str, lang: str, day: str) -> None:
    tree = parse_html(page(f"<p class='date'>{printed}</p>", lang=lang))
    found = shown_date(tree, read_structured(tree, URL), lang, anchor=lambda: "2019-06-19")
    assert found is not None and found.day == day


@pytest.mark.parametrize(
    ("month_day", "evidence", "day"),
    [
        ((12, 24), "2020-01-03", "2019-12-24"),  # far after the evidence: the year before
        ((2, 20), "2020-01-03", "2020-02-20"),   # within two months after it
        ((2, 29), "2021-03-10", "2020-02-29"),
    ],
)
def test_with_year(month_day: tuple[int, int], evidence: str, day: str) -> None:
    assert with_year(*month_day, evidence) == day


@pytest.mark.parametrize(
    "header",
    [
        "<p>Am 1. Januar hat der Rat den Haushalt beschlossen.</p>",   # the text speaks of it
        "<p class='note'>Anmeldung bis 3. April</p>",                  # a deadline
        "<p>24 juin: le conseil se réunira pour voter le budget de la ville et du port</p>",
    ],
)
def test_yearless_dates_that_are_not_a_dateline(header: str) -> None:
    tree = parse_html(page(header, lang="de"))
    assert shown_date(tree, read_structured(tree, URL), "de", anchor=lambda: "2019-06-19") is None


def test_yearless_date_needs_evidence_and_yields_to_a_full_date() -> None:
    tree = parse_html(page("<p class='date'>24. Juni</p><p class='meta'>3. Mai 2019</p>",
                           lang="de"))
    data = read_structured(tree, URL)
    found = shown_date(tree, data, "de", anchor=lambda: "2019-06-19")
    assert found is not None and found.day == "2019-05-03"
    alone = parse_html(page("<p class='date'>24. Juni</p>", lang="de"))
    assert shown_date(alone, read_structured(alone, URL), "de", anchor=lambda: None) is None


def test_yearless_dateline_dated_by_a_declared_date() -> None:
    html = page("<p class='date'>24. Juni, 11:30 Uhr</p>",
                head="<meta name='date' content='2019-06-19'>", lang="de")
    assert dates_of(html)[0] == "2019-06-24"


def test_yearless_dateline_dated_by_the_url() -> None:
    html = page("<p class='date'>June 24</p>")
    record = extract(html, "https://news.example/2019/06/19/council-settles-budget")
    assert record["published"] == "2019-06-24"


def test_ruby_readings_do_not_hide_the_headline() -> None:
    # a title glued to the site name by a bare "|", a headline annotated with its readings
    title = "子どもの法律ができる"
    html = (f"<html lang='ja'><head><title>Harbour News Daily|{title}</title></head><body><main>"
            "<h1><ruby>子<rt>こ</rt></ruby>どもの<ruby>法律<rt>ほうりつ</rt></ruby>ができる</h1>"
            f"<p class='date'>[06月24日 11時30分]</p>{body_text()}</main></body></html>")
    tree = parse_html(html)
    found = shown_date(tree, read_structured(tree, URL), "ja", anchor=lambda: "2019-06-19")
    assert found is not None and found.day == "2019-06-24"


# ---------------------------------------------------------------- day/month-ambiguous declarations
def test_ambiguous_declared_date_resolved_by_its_sibling() -> None:
    head = ld(datePublished="10/05/2022 05:22 pm", dateModified="2022/05/10 17:36:11")
    assert dates_of(page(head=head, lang="en-US")) == ("2022-05-10T17:22:00",
                                                       "2022-05-10T17:36:11")


def test_ambiguous_declared_date_resolved_by_a_same_form_value() -> None:
    head = ld(datePublished="10/05/2022", dateModified="25/05/2022")
    assert dates_of(page(head=head, lang="en-US")) == ("2022-05-10", "2022-05-25")


@pytest.mark.parametrize(("lang", "day"), [("es", "2022-05-10"), ("en-GB", "2022-05-10"),
                                           ("en-US", "2022-10-05")])
def test_ambiguous_declared_date_resolved_by_the_language(lang: str, day: str) -> None:
    head = "<meta property='article:published_time' content='10/05/2022 05:22 pm'>"
    assert (dates_of(page(head=head, lang=lang))[0] or "")[:10] == day


def test_ambiguous_time_datetime_lends_its_time_to_the_printed_day() -> None:
    html = page("<p class='meta'><time datetime='01-11-2023 10:29'>1. November 2023</time></p>",
                lang="de")
    assert dates_of(html)[0] == "2023-11-01T10:29:00"


# ---------------------------------------------------------------- asset version strings
ASSETS = ("<link rel='stylesheet' href='/css/site.min.css?v=2022-06-15'>"
          "<script src='/js/site.min.js?v=2022-06-15-12-15'></script>")


def test_asset_version_strings_are_not_a_date() -> None:
    html = (f"<html lang='en'><head><title>Other page</title>{ASSETS}</head><body><main>"
            f"<h1>A heading</h1>{body_text()}</main></body></html>")
    tree = parse_html(html)
    assert extract_dates(tree, read_structured(tree, URL), URL)[0] is None
    # the attributes are back on the tree after htmldate's call
    assert tree.find(".//link").get("href") == "/css/site.min.css?v=2022-06-15"
    assert tree.find(".//script").get("src") == "/js/site.min.js?v=2022-06-15-12-15"


def test_the_pages_own_address_still_dates_it() -> None:
    html = (f"<html lang='en'><head><title>Other page</title>{ASSETS}"
            "<link rel='canonical' href='https://news.example/2021/03/04/story'></head><body>"
            f"<main><h1>A heading</h1>{body_text()}</main></body></html>")
    tree = parse_html(html)
    assert extract_dates(tree, read_structured(tree, URL), URL)[0] == "2021-03-04"


# ---------------------------------------------------------------- the page's own list entry
def latest(*entries: tuple[str, str]) -> str:
    items = "".join(f"<div class='newsitem'><a href='{href}'>{text}</a><span class='time'>{day}</span>"
                    "</div>" for href, text, day in entries)
    return f"<aside class='sidebar latest'>{items}</aside>"


def test_the_sites_list_entry_for_this_page_gives_its_day() -> None:
    entries = [("/politics/harbour-dues-rise", "Harbour Dues Rise", "22.11.2022"),
               ("/politics/council-settles-budget/", TITLE, "21.11.2022"),
               ("https://news.example/sport/derby", "Derby Ends Level", "20.11.2022")]
    assert dates_of(page(after=latest(*entries), lang="de"))[0] == "2022-11-21"


def test_list_entries_for_this_page_that_disagree_give_nothing() -> None:
    entries = [("/politics/council-settles-budget", TITLE, "21.11.2022"),
               ("/politics/council-settles-budget", TITLE + " (update)", "23.11.2022")]
    assert listed_date(parse_html(page(after=latest(*entries), lang="de")), URL, "de") is None
    others = [("/politics/harbour-dues-rise", "Harbour Dues Rise", "22.11.2022")]
    assert listed_date(parse_html(page(after=latest(*others), lang="de")), URL, "de") is None


def test_a_photo_credits_date_is_not_the_articles() -> None:
    header = "<figure><img src='/a.jpg'><figcaption>Quay <span>© Ole Brink, 31.05.2013</span></figcaption></figure>"
    assert shown(page(header, lang="de"), "de") is None


def test_a_logo_heading_linking_home_is_not_the_headline() -> None:
    html = ("<html lang='en'><head><title>Harbour Notes » Blog Archive » " + TITLE + "</title></head><body>"
            "<h1><a href='https://harbournotes.example/'>Harbour Notes</a></h1>"
            "<div class='tagline'><p>12 April 2024</p></div><div class='post'>"
            f"<h2><a href='{URL}'>{TITLE}</a></h2><p class='meta'>3 May 2024</p>{body_text()}</div></body></html>")
    assert shown(html) == "2024-05-03"


# ---------------------------------------------------------------- safety: no made-up day
@pytest.mark.parametrize("value", ["14:30", "10:05 am", "14:30 CEST", "May 2023"])
def test_a_value_without_a_full_date_is_no_date(value: str) -> None:
    # dateutil fills missing parts from today: "14:30" would be today at 14:30
    assert normalise_date(value) is None


def test_a_declared_time_without_a_date_is_never_todays_date() -> None:
    html = page(head=ld(datePublished="14:30") + "<meta property='article:published_time' "
                "content='10:05 am'>", header="<time datetime='09:15'>09:15</time>")
    assert dates_of(html)[0] is None


def test_a_declared_time_without_a_date_gives_way_to_a_full_one() -> None:
    html = page(head=ld(datePublished="14:30")
                + "<meta name='date' content='2021-03-04T09:15:00+01:00'>")
    assert dates_of(html)[0] == "2021-03-04T09:15:00+01:00"


# ---------------------------------------------------------------- safety: not after the fetch
FETCHED = {"Date": "Mon, 03 Jun 2024 08:00:00 GMT"}


def test_fetch_time_is_the_response_date() -> None:
    assert fetch_time({"date": FETCHED["Date"]}) == datetime(2024, 6, 3, 8, tzinfo=timezone.utc)
    before = datetime.now(timezone.utc)
    assert before <= fetch_time({}) <= datetime.now(timezone.utc)
    assert before <= fetch_time({"Date": "not a date"}) <= datetime.now(timezone.utc)


def test_a_publication_after_the_fetch_gives_way_to_an_earlier_declared_one() -> None:
    html = page(head=ld(datePublished="2024-06-10T12:00:00+02:00")
                + "<meta property='article:published_time' content='2024-06-01T09:00:00+02:00'>")
    assert extract(html, URL)["published"] == "2024-06-10T12:00:00+02:00"  # fetched now
    assert extract(html, URL, FETCHED)["published"] == "2024-06-01T09:00:00+02:00"


def test_a_publication_after_the_fetch_with_nothing_earlier_is_dropped() -> None:
    html = page(head=ld(datePublished="2024-06-10T12:00:00+02:00",
                        dateModified="2024-06-11T08:00:00+02:00"))
    record = extract(html, URL, FETCHED)
    assert record["published"] is None
    assert record["modified"] is None


@pytest.mark.parametrize(("value", "later"), [
    ("2024-06-03T09:59:00+02:00", False),  # 07:59 UTC
    ("2024-06-03T10:01:00+02:00", True),
    ("2024-06-03", False),
    ("2024-06-04", True),  # 22:00 on the 3rd in UTC+14 at the fetch
    ("2024-06-03T21:00:00", False),  # a wall-clock time the fetch had passed in UTC+14
    ("2024-06-03T22:01:00", True),
])
def test_after_the_fetch_wherever_the_page_was_written(value: str, later: bool) -> None:
    assert after_fetch(value, fetch_time(FETCHED)) is later


def test_a_day_already_begun_east_of_utc_is_not_after_the_fetch() -> None:
    noon = datetime(2024, 6, 3, 12, tzinfo=timezone.utc)  # 02:00 on the 4th in UTC+14
    assert not after_fetch("2024-06-04", noon)
    assert after_fetch("2024-06-05", noon)

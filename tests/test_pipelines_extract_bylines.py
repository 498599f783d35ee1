"""Byline rules of pipelines.extract.bylines on synthetic pages (no third-party text)."""

from __future__ import annotations

import json

import pytest

from pipelines.extract import extract
from pipelines.extract.bylines import split_byline
from pipelines.extract.rules import ABLATE_ENV
from tests.synthetic_pages import SITE, news_page

URL = "https://news.example/2024/05/03/harbour-opens/"
TITLE = "Harbour Opens Again"


def body_text(n: int = 8) -> str:
    return "".join(f"<p>The harbour reopened on Friday and berth number {i} was handed back to the "
                   "fishing boats after a long winter of repairs.</p>" for i in range(n))


def page(article: str, head: str = "", around: str = "", body_class: str = "") -> str:
    return news_page(TITLE, article, head, body_class, around)


def authors_of(html: str) -> list[str]:
    return extract(html, URL)["authors"]


def ld(obj: dict) -> str:
    return f"<script type='application/ld+json'>{json.dumps(obj)}</script>"


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("Text und Interview: Mara Lind", ["Mara Lind"]),
        ("Text von Mara Lind Illustration von Ole Brink", ["Mara Lind"]),
        ("Eingestellt von der Fuchs", ["der Fuchs"]),
        ("Redaktion: Ole Brink (Pressesprecher)", ["Ole Brink"]),
        ("Erstellt von Ole Brink am Dienstag 6. Mai 2014", ["Ole Brink"]),
        ("Autoren Mara Lind und Ole Brink", ["Mara Lind", "Ole Brink"]),
    ],
)
def test_more_labels_and_credits(byline: str, expected: list[str]) -> None:
    assert split_byline(byline, set()) == expected


@pytest.mark.parametrize(
    "junk",
    ["Author Archives", "Ilustrator: Ole Brink", "Harbour Reopens At Last!", "Foto: Ole Brink",
     "Fjord Wines in Oslo", "Mara Lind designed"],
)
def test_phrases_and_other_credits_are_no_names(junk: str) -> None:
    assert split_byline(junk, set()) == []


def test_name_part_of_a_byline_element() -> None:
    article = (f"<article><h1>{TITLE}</h1><div class='entry-meta-author'><a class='author-name' "
               "href='/a/ml'>Mara</a> <a class='author-twitter' href='/t'>maraonline</a></div>"
               f"{body_text()}</article>")
    assert authors_of(page(article)) == ["Mara"]


@pytest.mark.parametrize(
    "byline_html",
    [
        "<dl><dt>\n      Auteur      \n</dt><dd><a href='/s/ml'>Mara Lind</a></dd></dl>",
        "<div class='meta'><span class='sr-only'>| By </span><span>Mara Lind</span> | May 3</div>",
        "<div class='title'><small>Verfasst von: <strong>Mara Lind</strong> | 3. Mai 2024</small></div>",
        "<p class='info'><a href='/x'><b>Von:</b><br/> Mara Lind</a></p>",
        "<h2><span>06.11.2023 13:30 von Mara Lind</span></h2>",
        "<p><i>von Mara Lind</i></p>",
        "<ul class='author'><li>Mara Lind</li></ul>",
    ],
    ids=["dt-dd", "screen-reader-label", "label-and-child", "label-first-in-parent",
         "date-first", "italic", "author-list"],
)
def test_printed_bylines_without_byline_classes(byline_html: str) -> None:
    article = f"<article><h1>{TITLE}</h1>{byline_html}{body_text()}</article>"
    assert authors_of(page(article)) == ["Mara Lind"]


def test_blog_post_footer_and_layout_modifier_classes() -> None:
    # a post's own footer carries the byline; "has-double-sidebar" is a layout modifier
    article = (f"<div class='main has-double-sidebar'><div class='post'><h2>{TITLE}</h2>"
               f"{body_text()}<div class='post-footer'><span class='post-author vcard'>"
               "Eingestellt von <span class='fn'>der Fuchs</span></span></div></div></div>")
    assert authors_of(page(article)) == ["der Fuchs"]


def test_badge_after_a_commenter_is_no_label() -> None:
    article = (f"<article><h1>{TITLE}</h1>{body_text()}</article><ol class='commentlist'><li>"
               "<cite><b class='fn'>Ole Brink</b> <span>Autor</span></cite> nice</li></ol>")
    assert authors_of(page(article)) == []


def test_site_name_after_a_person_ends_the_byline() -> None:
    article = (f"<article><h1>{TITLE}</h1><p><strong>By Mara Lind, News Example, Oslo</strong></p>"
               f"{body_text()}</article>")
    assert authors_of(page(article)) == ["Mara Lind"]


def test_organization_itemprop_author_is_no_printed_byline() -> None:
    article = (f"<article><h1>{TITLE}</h1><div itemprop='author publisher' itemscope "
               "itemtype='http://schema.org/Organization' class='hidden'><span itemprop='name'>"
               f"Harbour Media</span></div>{body_text()}</article>")
    assert authors_of(page(article)) == []


def test_username_widget_is_no_byline() -> None:
    article = (f"<header><span id='idcta-username'>Your Account</span></header><article>"
               f"<h1>{TITLE}</h1>{body_text()}</article>")
    assert authors_of(page(article)) == []


def test_nested_review_author_is_not_the_recipe_author() -> None:
    recipe = {"@context": "https://schema.org", "@type": "Recipe", "name": TITLE,
              "author": {"@type": "Person", "name": "Mara Lind"},
              "review": [{"@type": "Review", "author": {"@type": "Person", "name": "reader42"},
                          "reviewBody": "Tasty."}]}
    article = f"<article><h1>{TITLE}</h1><p>Rezept von Mara Lind</p>{body_text()}</article>"
    assert authors_of(page(article, ld(recipe))) == ["Mara Lind"]


def test_author_box_inside_the_article_as_last_resort() -> None:
    article = (f"<main><h1>{TITLE}</h1>{body_text()}<div class='author-info'><h3>Autor</h3>"
               "<h4><a href='/author/ml'>Mara Lind</a></h4> <a class='author-info__follow'>Follow"
               "</a><p class='author-bio'>Writes about boats, ports and the people in them.</p>"
               "</div></main>")
    assert authors_of(page(article)) == ["Mara Lind"]


def test_unprinted_meta_author_on_a_page_that_is_no_article() -> None:
    brochure = (f"<div class='content'><h1>{TITLE}</h1>{body_text()}</div>")
    head = "<meta name='author' content='Webagentur Nord'>"
    assert authors_of(page(brochure, head)) == []
    printed = brochure.replace("</div>", "<p>Kontakt: Ole Brink</p></div>")
    assert authors_of(page(printed, "<meta name='author' content='Ole Brink'>")) == ["Ole Brink"]


def test_site_name_in_a_byline_ends_the_names() -> None:
    assert split_byline("news.example, Frankfurt, Germany", {"newsexample"}) == []
    assert split_byline("By Mara Lind, News Example, Oslo", {"newsexample"}) == ["Mara Lind"]


def test_for_the_publication_and_edited_by_are_no_names() -> None:
    assert split_byline("By Mara Lind And Ole Brink For The Harbour Weekly", set()) == [
        "Mara Lind", "Ole Brink"]
    assert split_byline("Revised Edition Edited by Ole Brink", set()) == []


def test_printed_byline_adds_coauthors_the_markup_leaves_out() -> None:
    head = ld({"@type": "BlogPosting", "headline": TITLE, "author": {"@type": "Person", "name": "Mara Lind"}})
    article = (f"<article><h1>{TITLE}</h1><div class='author'>von Mara Lind, Ole Brink</div>"
               f"{body_text()}</article>")
    assert authors_of(page(article, head)) == ["Mara Lind", "Ole Brink"]
    # but not a role or an organisation printed after the name
    article = (f"<article><h1>{TITLE}</h1><div class='author'>Mara Lind, Staff Attorney, "
               f"Harbour Rights Program</div>{body_text()}</article>")
    assert authors_of(page(article, head)) == ["Mara Lind"]


def test_hidden_vcard_yields_to_the_byline_shown() -> None:
    article = (f"<article><h1>{TITLE}</h1><span class='vcard rich-snippet-hidden'><span class='fn'>"
               "<a rel='author' href='/author/ole'>Ole Brink</a></span></span>"
               f"<p class='byline'>Von Mara Lind</p>{body_text()}</article>")
    assert authors_of(page(article)) == ["Mara Lind"]


def test_full_name_in_the_text_beats_a_login_in_the_submitted_line() -> None:
    article = (f"<article><h1>{TITLE}</h1><div class='submitted'>Gespeichert von "
               "<span class='username'>harbourfan</span> am 7. Juli 2019</div>"
               f"<p>Blog Beitrag von Mara Lind</p>{body_text()}</article>")
    assert authors_of(page(article)) == ["Mara Lind"]


def test_login_of_the_next_post_is_kept() -> None:
    post = ("<div class='entry-meta'><span class='meta-sep'>von</span> <span class='author vcard'>"
            "<a class='url fn n' href='/author/{0}'>{1}</a></span></div>" + body_text(3))
    article = (f"<h1>{TITLE}</h1><div class='post'>{post.format('a', 'harbourfan')}</div>"
               f"<div class='post'>{post.format('b', 'Mara Lind')}</div>")
    assert authors_of(page(article)) == ["harbourfan"]


def test_label_then_line_breaks_then_the_name() -> None:
    article = (f"<article><h1>{TITLE}</h1>{body_text()}<a href='javascript:mail()'>"
               "<div class='rule'> </div> <b>Von:</b> <br /> <br /> Mara Lind</a></article>")
    assert authors_of(page(article)) == ["Mara Lind"]


def test_login_in_the_markup_takes_the_printed_spelling_of_the_name() -> None:
    head = ld({"@type": "NewsArticle", "headline": TITLE, "author": {"@type": "Person", "name": "mara.lind"}})
    article = (f"<article><h1>{TITLE}</h1>{body_text()}<p class='caption'>Editor Mara K. Lind "
               "on the quay.</p></article>")
    assert authors_of(page(article, head)) == ["Mara K. Lind"]


@pytest.mark.parametrize("signature", ["<b><i>Mara Lind</i></b>", " <strong>Mara Lind</strong> "])
def test_article_signed_at_its_end(signature: str) -> None:
    article = f"<article><h1>{TITLE}</h1>{body_text()}<p>{signature}</p></article>"
    assert authors_of(page(article)) == ["Mara Lind"]


@pytest.mark.parametrize("last", ["<p><b>Weitere Informationen</b></p>", "<p>Mara Lind</p>",
                                  "<p><b>Mara Lind</b> sagt danke.</p>", "<p><b>News Example</b></p>"])
def test_no_signature_without_a_bold_name_alone(last: str) -> None:
    article = f"<article><h1>{TITLE}</h1>{body_text()}{last}</article>"
    assert authors_of(page(article)) == []


def test_byline_beats_an_seo_plugins_account_printed_elsewhere() -> None:
    head = ld({"@type": "Article", "headline": TITLE, "author": {"@type": "Person", "name": "Ole Brink"}})
    article = (f"<article><h1>{TITLE}</h1><span class='author vcard'>by <a class='url fn n' "
               f"href='/authors/ml'>Mara Lind</a></span>{body_text()}</article>")
    around = "<aside class='editors'><p>Edited by Ole Brink</p></aside>"
    assert authors_of(page(article, head, around)) == ["Mara Lind"]
    # a category in the byline row is no person to prefer
    article = (f"<article><h1>{TITLE}</h1><div class='byline'>Wine &amp; Taste · 14 May 2024</div>"
               f"{body_text()}</article>")
    assert authors_of(page(article, head, around)) == ["Ole Brink"]


def test_designers_in_the_author_meta_are_no_authors() -> None:
    head = "<meta name='author' content='Ole Brink und Fuchsy designed'>"
    assert authors_of(page(f"<article><h1>{TITLE}</h1>{body_text()}</article>", head)) == []


def test_last_updated_ends_the_name() -> None:
    assert split_byline("by Mara Lind Last updated 04 Jun 2020", set()) == ["Mara Lind"]


@pytest.mark.parametrize("org", ["Bundesverband Hafenwirtschaft", "Harbour Solutions Germany",
                                 "Deutsches Rotes Kreuz", "Fjord Foundation", "Hafenstiftung Nord"])
def test_organisations_are_no_bylines(org: str) -> None:
    assert split_byline(f"Von {org}", set()) == []
    assert split_byline(f"By Mara Lind, {org}", set()) == ["Mara Lind"]


def test_blogger_post_footer_inside_its_blog_widget() -> None:
    post = (f"<div class='post hentry'><h3 class='post-title entry-title'>{TITLE}</h3>"
            f"<div class='post-body'>{body_text()}</div><div class='post-footer'>"
            "<span class='post-author vcard'>Eingestellt von <span class='fn'>der Fuchs</span></span>"
            "</div></div>")
    html = page(f"<div class='sidebar'><h1><a href='/'>Fox Notes</a></h1></div>"
                f"<div class='widget Blog' id='Blog1'>{post}</div>")
    assert authors_of(html) == ["der Fuchs"]


def test_initials_repeated_are_a_name_not_a_doubled_login() -> None:
    assert split_byline("Von R. R. am 07.08.2013 um 09:07 Uhr", set()) == ["R. R."]
    assert split_byline("jesusfreak jesusfreak", set()) == ["jesusfreak"]


def test_date_dash_name_above_the_text_but_not_a_calendar_in_it() -> None:
    html = page(f"<article><h1>{TITLE}</h1><div class='views-field'><span>25.10.2022 - Mara Lind</span>"
                f"</div>{body_text()}</article>")
    assert authors_of(html) == ["Mara Lind"]
    html = page(f"<article><h1>{TITLE}</h1>{body_text()}<p>02.11.2022 - Harbour Band - City Hall</p>"
                "<p>17.11.2022 - Ole Brink</p></article>")
    assert authors_of(html) == []


def test_an_interview_is_by_its_interviewer() -> None:
    html = page(f"<article><h1>{TITLE}</h1><p><em>Ein Interview von <strong>Mara Lind</strong> mit "
                f"<strong>Ole Brink</strong>.</em></p>{body_text()}</article>")
    assert authors_of(html) == ["Mara Lind"]


def test_the_sites_domain_as_markup_author_on_a_subdomain_is_no_author() -> None:
    head = ld({"@type": "NewsArticle", "headline": TITLE,
               "author": {"@type": "Organization", "name": "harbour24.example"}})
    html = page(f"<article><h1>{TITLE}</h1>{body_text()}</article>", head)
    assert extract(html, "https://auto.harbour24.example/story/1")["authors"] == []


def test_coauthors_printed_in_capitals_are_people() -> None:
    head = ld({"@type": "BlogPosting", "headline": TITLE, "author": {"@type": "Person", "name": "Mara Lind"}})
    article = (f"<article><h1>{TITLE}</h1><div class='author'>By MARA LIND, OLE BRINK</div>"
               f"{body_text()}</article>")
    assert authors_of(page(article, head)) == ["Mara Lind", "OLE BRINK"]


@pytest.mark.parametrize(("byline", "expected"), [
    ("Staff and news service reports", ["Staff and news service reports"]),
    ("By Mara Lind and Staff", ["Mara Lind"]),
    ("Mara Lind, Staff Writer", ["Mara Lind"]),
])
def test_a_role_word_joined_to_a_desk_is_one_credit(byline: str, expected: list[str]) -> None:
    assert split_byline(byline, set()) == expected



def test_the_twitter_cards_written_by_field_names_a_person() -> None:
    card = ("<meta name='twitter:label1' content='Verfasst von'>"
            "<meta name='twitter:data1' content='Mara Lind'>"
            "<meta name='twitter:label2' content='Geschätzte Lesezeit'>"
            "<meta name='twitter:data2' content='3 Minuten'>")
    article = f"<article><h1>{TITLE}</h1>{body_text()}</article>"
    assert authors_of(page(article, card, around="<footer>Mara Lind</footer>")) == ["Mara Lind"]
    # a site account's name there ("Redaktion", "sv_team") is no byline
    for account in ("Redaktion", "harbour_team"):
        assert authors_of(page(article, card.replace("Mara Lind", account),
                               around=f"<footer>{account}</footer>")) == []
    # the reading time is not a name
    time_only = ("<meta name='twitter:label1' content='Est. reading time'>"
                 "<meta name='twitter:data1' content='4 minutes'>")
    assert authors_of(page(article, time_only)) == []


def test_a_comment_marked_as_the_post_authors_names_the_author() -> None:
    def comment(classes: str, name: str) -> str:
        return (f"<li class='comment {classes}'><div class='comment-author vcard'>"
                f"<cite class='fn'>{name}</cite> says:</div><p>Thanks for reading.</p></li>")
    comments = ("<ol class='commentlist'>" + comment("byuser", "Ole Brink")
                + comment("byuser comment-author-maralind bypostauthor", "maralind")
                + "</ol>")
    article = f"<article><h1>{TITLE}</h1>{body_text()}</article>"
    assert authors_of(page(article, around=comments)) == ["maralind"]
    # only readers' comments: nobody
    assert authors_of(page(article, around=comments.replace("bypostauthor", ""))) == []
    # the author's account called "admin" is no name
    assert authors_of(page(article, around=comments.replace(">maralind<", ">admin<"))) == []


def site_page(site: str, byline: str = "", title_site: str | None = None) -> str:
    title_site = site if title_site is None else title_site
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{TITLE} | {title_site}"
            f"</title><meta property='og:site_name' content='{site}'></head><body><article>"
            f"<h1>{TITLE}</h1>{byline}{body_text()}</article></body></html>")


@pytest.mark.parametrize(("site", "host"), [
    ("SeglerBlog", "seglerblog.example"), ("Eat What Tonight", "eatwhattonight.example"),
    ("Harbour24.de", "harbour24.de"), ("Die Hafenpresse", "diehafenpresse.example"),
])
def test_the_sites_own_name_as_byline_is_no_author(site: str, host: str) -> None:
    html = site_page(site, f"<p class='byline'>By {site}</p>")
    assert extract(html, f"https://{host}/2024/05/harbour/")["authors"] == []


@pytest.mark.parametrize(("site", "host"), [
    ("Wolfgang Harbour", "wolfgangharbour.example"), ("surfguard", "surfguard.example"),
    ("Creeny", "creeny.example"),
])
def test_a_site_named_after_its_author_keeps_the_byline(site: str, host: str) -> None:
    html = site_page(site, f"<p class='byline'>By {site}</p>")
    assert extract(html, f"https://{host}/2024/05/harbour/")["authors"] == [site]


def test_a_personal_site_without_byline_is_by_the_person_it_is_named_after() -> None:
    # declared as the site's name, with a degree before it
    html = site_page("Dr. Mara Lindqvist")
    assert extract(html, "https://mara-lindqvist.example/notes/")["authors"] == ["Mara Lindqvist"]
    # the title's affix, spelled by the host
    html = site_page("", title_site="Wolfgang Brink")
    assert extract(html, "https://www.wolfgangbrink.example/notes/")["authors"] == ["Wolfgang Brink"]
    # a person's name in the title that the host does not spell: an interview, not the owner
    assert extract(html, "https://harbour.example/notes/")["authors"] == []
    # brands named like people, or no given name first
    for brand in ("Dr. Oetkerhaus", "Harbour Kitchens", "El Faro"):
        html = site_page(brand)
        assert extract(html, "https://brand.example/notes/")["authors"] == []


def test_the_webpage_node_names_the_author_when_there_is_no_article_node() -> None:
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "@id": "https://news.example/#website", "name": "News Example"},
        {"@type": "WebPage", "@id": "https://news.example/p/#webpage", "name": TITLE,
         "author": {"@id": "https://news.example/#/person/1"}},
        {"@type": ["Person"], "@id": "https://news.example/#/person/1", "name": "Mara Lind"}]}
    box = "<aside class='author_info'><a rel='author' href='/author/ml/'>Mara Lind</a></aside>"
    assert authors_of(page(f"<article><h1>{TITLE}</h1>{body_text()}</article>", ld(graph),
                           around=box)) == ["Mara Lind"]
    # as any SEO plugin's account: not printed, no author
    assert authors_of(page(f"<article><h1>{TITLE}</h1>{body_text()}</article>", ld(graph))) == []


def test_an_author_named_only_in_the_markup_is_no_author() -> None:
    head = ld({"@type": "NewsArticle", "headline": TITLE,
               "author": {"@type": "Person", "name": "Mara Lind"}})
    head += "<meta name='author' content='Mara Lind'>"
    assert authors_of(page(f"<article><h1>{TITLE}</h1>{body_text()}</article>", head)) == []
    # printed anywhere on the page (an author box, soft hyphens, initials): kept
    for printed in ("<p class='credit'>Mara Lind</p>", "<p><b>Von Ma\u00adra Lind</b></p>"):
        html = page(f"<article><h1>{TITLE}</h1>{body_text()}{printed}</article>", head)
        assert authors_of(html) == ["Mara Lind"]
    head = ld({"@type": "NewsArticle", "headline": TITLE,
               "author": {"@type": "Person", "name": "R. L."}})
    html = page(f"<article><h1>{TITLE}</h1>{body_text()}<p>Von R. L. am 07.08.2013</p></article>",
                head)
    assert authors_of(html) == ["R. L."]


def newsroom_page(article_type: str, byline: str, author: object) -> str:
    """A page of the site "Harbour Courier" declaring ``author`` and printing ``byline``."""
    head = ld({"@context": "https://schema.org", "@type": article_type, "headline": TITLE,
               "author": author})
    article = (f"<article><h1>{TITLE}</h1><div class='byline'>{byline}</div>"
               f"{body_text()}</article>")
    return news_page(TITLE, article, head).replace(SITE, "Harbour Courier")


@pytest.mark.parametrize(
    ("byline", "author", "expected"),
    [
        ("Harbour Courier", ["Harbour Courier"], ["Harbour Courier"]),
        ("VonHarbour Courier Redaktion", {"@type": "Person", "name": "Harbour Courier Redaktion"},
         ["Harbour Courier Redaktion"]),
        ("By Harbour Courier with Agencies", {"@type": "Organization", "name": "Harbour Courier"},
         ["Harbour Courier"]),
    ],
)
def test_a_news_article_credited_to_its_newsroom(byline: str, author: object,
                                                 expected: list[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    html = newsroom_page("NewsArticle", byline, author)
    assert authors_of(html) == expected
    monkeypatch.setenv(ABLATE_ENV, "newsroom-byline")
    assert authors_of(html) != expected


@pytest.mark.parametrize(
    ("article_type", "byline", "author"),
    [
        ("Article", "By Harbour Courier", "Harbour Courier"),  # not a news article
        ("NewsArticle", "Friday, 3 May", "Harbour Courier"),  # declared, not printed
        ("NewsArticle", "By Mara Lind", ["Harbour Courier", "Mara Lind"]),  # a person too
    ],
)
def test_the_site_as_author_stays_out_elsewhere(article_type: str, byline: str,
                                                author: object) -> None:
    assert "Harbour Courier" not in authors_of(newsroom_page(article_type, byline, author))


# ---------------------------------------------------------------- wire agencies as the byline
@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By Reuters", ["Reuters"]),
        ("By The Associated Press", ["The Associated Press"]),
        ("Von dpa", ["dpa"]),
        ("Par AFP", ["AFP"]),
        ("By Jane Doe and Reuters", ["Jane Doe", "Reuters"]),
        ("By Jane Doe, Associated Press", ["Jane Doe", "Associated Press"]),
    ],
)
@pytest.mark.parametrize("declared_site", [False, True])
def test_a_wire_agency_printed_as_the_byline_is_the_author(byline: str, expected: list[str],
                                                            declared_site: bool) -> None:
    # also where the markup declares the site itself as the author (an SEO default)
    head = "<meta property='og:type' content='article'>"
    if declared_site:
        head += ld({"@context": "https://schema.org", "@type": "NewsArticle", "headline": TITLE,
                    "author": {"@type": "Organization", "name": SITE}})
    html = page(f"<article><h1>{TITLE}</h1><p class='byline'>{byline}</p>{body_text()}</article>",
                head)
    assert authors_of(html) == expected

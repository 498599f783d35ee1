"""Byline rules of pipelines.extract.bylines on synthetic pages (no third-party text)."""

from __future__ import annotations

import json

import pytest

from pipelines.extract import extract
from pipelines.extract.bylines import split_byline
from tests.synthetic_pages import news_page

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

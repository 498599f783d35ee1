"""bylines.page_text: the visible body text read by a walk instead of an XPath, and names
looked up in it without splitting the page into words, give what the word split gave."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from pipelines.extract.bylines.page_text import (
    _BODY_TEXT,
    _page_text,
    _printed_somewhere,
    _shown_text,
    _words,
    body_texts,
)
from pipelines.extract.parse import parse_html

PAGE = """<html><head><title>T</title><script>var byline = "Jane Doe";</script></head>
<body><div>By <a href="/a">Jane&nbsp;Doe</a>, Mat\u00adthi\u00adas Stra\u00dfe
and J. R._Smith</div><script>ignored("Hidden Author")</script>tail after script
<noscript><p>No Script Name</p></noscript><template><p>Template Name</p></template>
<style>.x{}</style><p>Anne-Marie O\u2019Neil wrote<br>this<i>together</i>with ÉLISE Dupont.</p>
<p>Hans Müller-Lüdenscheidt</p>x_y</body></html>"""

NAMES = ["Jane Doe", "jane  doe", "Doe", "Jane", "Ja", "ane Doe", "Matthias Straße", "Matthias Strasse",
         "Stra\u00dfe", "J. R. Smith", "R Smith", "Smith", "Hidden Author", "byline", "No Script Name",
         "Template Name", "tail after", "Anne Marie O Neil", "O’Neil", "Neil wrote this",
         "thistogether", "this together with", "Élise Dupont", "elise dupont", "Hans Müller",
         "Müller Lüdenscheidt", "x y", "x", "y", "", "  ", "—", "_", "Doe, Jane"]


def _expected(names: list[str], tree) -> list[str]:
    words = _page_text(tree)
    return [n for n in names if _words(n).strip() and _words(n) in words]


def test_body_texts_are_the_xpaths() -> None:
    tree = parse_html(PAGE)
    assert body_texts(tree) == [str(t) for t in _BODY_TEXT(tree)]


def test_two_bodies_fall_back_to_the_xpath() -> None:
    tree = lxml_html.fromstring("<html><body><p>a</p></body></html>")
    tree.append(lxml_html.fromstring("<body><p>b</p></body>"))
    assert body_texts(tree) == [str(t) for t in _BODY_TEXT(tree)]


@pytest.mark.parametrize("name", NAMES)
def test_printed_somewhere_as_the_word_split(name: str) -> None:
    tree = parse_html(PAGE)
    assert _printed_somewhere([name], _shown_text(tree)) == _expected([name], tree)


def test_printed_somewhere_keeps_order_and_repeats() -> None:
    tree = parse_html(PAGE)
    names = ["Smith", "Nobody", "Jane Doe", "Smith"]
    assert _printed_somewhere(names, _shown_text(tree)) == ["Smith", "Jane Doe", "Smith"]

"""The extractor's cheaper ways to the same result give exactly the result of the plain way.

Each fast path is compared with what it replaced, on real pages of extraction-dev and
metadata-dev (read from ../shared at test time, never copied here) and on synthetic edge cases.
"""

from __future__ import annotations

import random
import re
import sys
from copy import copy
from functools import lru_cache

import lxml.html
import pytest
import trafilatura
from lxml import etree

from pipelines.extract import blocks, printed_dates
from pipelines.extract.body import extract_body
from pipelines.extract.decode import decode_html
from pipelines.extract.parse import PARSER, parse_html
from pipelines.extract.structured import _HAS_ITEMSCOPE
from pipelines.responses import looks_binary
from tests.quality.dev_sets import SHARED, require_shared


@lru_cache(maxsize=1)
def page_texts() -> tuple[str, ...]:
    """Every extraction-dev page and the first 120 of metadata-dev, decoded."""
    paths = sorted((SHARED / "extraction-dev" / "pages").glob("*.html"))
    paths += sorted((SHARED / "metadata-dev" / "pages").glob("*.html"))[:120]
    return tuple(decode_html(path.read_bytes()) for path in paths)


@lru_cache(maxsize=1)
def trees() -> tuple[lxml.html.HtmlElement, ...]:
    return tuple(tree for tree in map(parse_html, page_texts()) if tree is not None)


@pytest.fixture(scope="module", autouse=True)
def dev_pages() -> None:
    require_shared("extraction-dev", "metadata-dev")


def test_parse_gives_trafilaturas_tree_on_real_pages() -> None:
    texts = page_texts()
    assert len(texts) > 150
    for text in texts:
        ours, theirs = parse_html(text), trafilatura.load_html(text)
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert etree.tostring(ours, encoding="unicode") == etree.tostring(theirs, encoding="unicode")


@pytest.mark.parametrize("text", [
    "<html><head><title>t</title></head><body><p>One.</p><form><input value='x'>"
    "<label>L</label><select><option>o</option></select><textarea>t</textarea></form></body></html>",
    "<p>a lone fragment</p>",  # not HTML by trafilatura's check: no tree
    "plain words, no markup at all",
    '<?xml version="1.0" encoding="utf-8"?><html><body><p>declared</p></body></html>',
    "<!DOCTYPE html>\n<html/>\n<body><p>self-closed html</p></body>",
    "<html><body><p>ok\x00\x0b control characters</p></body></html>",
    "",
])
def test_parse_gives_trafilaturas_tree_on_edge_cases(text: str) -> None:
    ours, theirs = parse_html(text), trafilatura.load_html(text)
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert etree.tostring(ours) == etree.tostring(theirs)
        assert all(isinstance(el, lxml.html.HtmlElement) for el in ours.iter())
        assert ours.text_content() == theirs.text_content()


def test_trafilaturas_copies_keep_the_fast_lookup() -> None:
    tree = parse_html("<html><body><article><p>" + "Words here. " * 40 + "</p></article>"
                      "<form><input name='q'></form></body></html>")
    assert tree.getroottree().parser is PARSER
    assert copy(tree).getroottree().parser is PARSER  # trafilatura works on copies
    assert type(tree.find(".//form")) is lxml.html.HtmlElement  # not lxml.html.FormElement
    assert extract_body(tree, "https://example.org/a", None, []).text.startswith("Words here.")


def _looks_binary_by_counting(body: bytes, sample: int = 4096) -> bool:
    head = body[:sample]
    if not head:
        return False
    if b"\x00" in head:
        return True
    return sum(1 for b in head if b < 9 or 13 < b < 32) / len(head) > 0.05


def test_looks_binary_counts_control_bytes_as_before() -> None:
    rng = random.Random(7)
    bodies = [b"", b"<html>\t\r\n\x0c</html>", bytes(range(1, 256)) * 20, b"\x1b" * 5 + b"a" * 95,
              b"\x1b" * 6 + b"a" * 94]
    for _ in range(300):
        share = rng.random() * 0.12
        bodies.append(bytes(rng.randrange(1, 32) if rng.random() < share else rng.randrange(32, 256)
                            for _ in range(rng.randrange(1, 6000))))
    results = [looks_binary(body) for body in bodies]
    assert results == [_looks_binary_by_counting(body) for body in bodies]
    assert True in results and False in results


def test_itemscope_test_matches_the_element_path_search() -> None:
    found = [(_HAS_ITEMSCOPE(tree), tree.find(".//*[@itemscope]") is not None) for tree in trees()]
    assert all(ours == theirs for ours, theirs in found)
    assert any(ours for ours, _ in found) and not all(ours for ours, _ in found)
    root_only = lxml.html.fromstring("<html itemscope><body><p>x</p></body></html>")
    assert _HAS_ITEMSCOPE(root_only) is False


class _EveryAncestor:
    """blocks._Inside the plain way: walk every ancestor each time."""

    def __init__(self, container: lxml.html.HtmlElement):
        self.container = container

    def __call__(self, el: lxml.html.HtmlElement) -> bool:
        return any(anc is self.container for anc in blocks._ancestors(el))


class _EagerGrams(blocks._KeptGrams):
    def __init__(self, paragraphs: list[str]):
        super().__init__(paragraphs)
        self._grams = set().union(*(blocks._trigrams(p) for p in paragraphs))


def test_block_completion_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    def completed() -> list[list[str]]:
        out = []
        for tree in trees():
            paragraphs = [p.text_content() for p in tree.iter("p")][::2]
            out.append(blocks.complete([p for p in paragraphs if p.strip()], tree))
        return out

    fast = completed()
    monkeypatch.setattr(blocks, "_Inside", _EveryAncestor)
    monkeypatch.setattr(blocks, "_KeptGrams", _EagerGrams)
    assert completed() == fast
    assert sum(len(p) for p in fast) > sum(len(p[::2]) for p in fast)  # blocks were put back


def test_originally_published_looks_first_at_the_text_it_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = [printed_dates.originally_published(tree, "en") for tree in trees()]
    # the plain way: the regex over the text whenever the whole body's text has a note word
    first_looks = [printed_dates._has_note_word(tree.find("body").text_content().lower())
                   if tree.find("body") is not None else False for tree in trees()]
    monkeypatch.setattr(printed_dates, "_has_note_word", lambda lowered: True)
    plain = [printed_dates.originally_published(tree, "en") if look else None
             for tree, look in zip(trees(), first_looks)]
    assert fast == plain
    assert any(note is not None for note in fast)


def test_a_note_only_in_a_script_is_no_note() -> None:
    note = "Originally published on March 3, 2015."
    in_script = f"<html><body><p>Text.</p><script>var s = '{note}';</script></body></html>"
    in_text = f"<html><body><p>Text.</p><p><em>{note}</em></p></body></html>"
    assert printed_dates.originally_published(parse_html(in_script), "en") is None
    found = printed_dates.originally_published(parse_html(in_text), "en")
    assert found is not None and found.period == "2015-03-03"


def test_match_key_removes_what_the_non_word_regex_removed() -> None:
    every_char = "".join(chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i < 0xE000)
    by_regex = re.compile(r"[\W_]+").sub("", every_char.casefold())
    assert blocks.match_key(every_char) == by_regex
    assert blocks.match_key("Größe_3, ÉTÉ!") == "grösse3été"

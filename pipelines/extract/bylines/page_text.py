"""What the page prints: its visible body text, and which names appear in it."""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree
from lxml.html import HtmlElement

_NON_WORD = re.compile(r"[\W_]+")
# Soft hyphens and zero-width characters: "Mat\xadthi\xadas" is printed as "Matthias".
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_BODY_TEXT = etree.XPath("//body//text()[not(ancestor::script or ancestor::style "
                         "or ancestor::noscript or ancestor::template)]")
_NOT_SHOWN = frozenset({"script", "style", "noscript", "template"})


def _words(text: str) -> str:
    return " " + _NON_WORD.sub(" ", _INVISIBLE.sub("", text).casefold()).strip() + " "


def body_texts(tree: HtmlElement) -> list[str]:
    """``_BODY_TEXT(tree)`` as plain strings: the text nodes of the body outside scripts,
    styles, noscript and templates, in document order (a walk in Python, a third of the
    XPath's ancestor tests on a news page)."""
    bodies = list(tree.iter("body"))
    if len(bodies) != 1:
        return list(_BODY_TEXT(tree))
    body = bodies[0]
    out: list[str] = []
    walker = etree.iterwalk(body, events=("start", "end"))
    for event, el in walker:
        if event == "start":
            if el.tag.__class__ is not str:
                continue
            if el.tag in _NOT_SHOWN:
                walker.skip_subtree()  # its end event still comes, for its tail
            elif el.text:
                out.append(el.text)
        elif el.tail and el is not body:
            out.append(el.tail)
    return out


def _page_text(tree: HtmlElement) -> str:
    """The visible text of the page body as space-separated lower-case words."""
    return _words(" ".join(body_texts(tree)))


def _shown_text(tree: HtmlElement) -> str:
    """The visible text of the page body, case-folded, invisible characters removed: its
    words are those of ``_page_text``, found by :func:`_printed_somewhere` without
    splitting the whole page into words."""
    return _INVISIBLE.sub("", " ".join(body_texts(tree))).casefold()


@lru_cache(maxsize=1024)
def _after_first_word(words: tuple[str, ...]) -> re.Pattern[str]:
    """The rest of a run of words, after its first: each next word after separators, and no
    word character after the last."""
    return re.compile("".join(r"[\W_]+" + re.escape(w) for w in words[1:]) + r"(?![^\W_])")


def _prints(words: tuple[str, ...], shown_text: str) -> bool:
    """Whether ``words`` are consecutive words of the shown text (``" ".join(words)`` padded
    with spaces is in its ``_words``): at each place the first word starts a word, is the
    rest there?"""
    first = words[0]
    rest = _after_first_word(words)
    at = shown_text.find(first)
    while at >= 0:
        if (at == 0 or _NON_WORD.match(shown_text, at - 1)) \
                and rest.match(shown_text, at + len(first)):
            return True
        at = shown_text.find(first, at + 1)
    return False


def _printed_somewhere(names: list[str], shown_text: str) -> list[str]:
    """The names the page also prints somewhere in its body (``shown_text``: ``_shown_text``
    of the page)."""
    out = []
    for name in names:
        words = tuple(_words(name).split())
        if words and _prints(words, shown_text):
            out.append(name)
    return out

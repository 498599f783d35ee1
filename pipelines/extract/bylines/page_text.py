"""What the page prints: its visible body text, and which names appear in it."""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

_NON_WORD = re.compile(r"[\W_]+")
# Soft hyphens and zero-width characters: "Mat\xadthi\xadas" is printed as "Matthias".
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_BODY_TEXT = etree.XPath("//body//text()[not(ancestor::script or ancestor::style "
                         "or ancestor::noscript or ancestor::template)]")


def _words(text: str) -> str:
    return " " + _NON_WORD.sub(" ", _INVISIBLE.sub("", text).casefold()).strip() + " "


def _page_text(tree: HtmlElement) -> str:
    """The visible text of the page body as space-separated lower-case words."""
    return _words(" ".join(_BODY_TEXT(tree)))


def _printed_somewhere(names: list[str], page_text: str) -> list[str]:
    """The names the page also prints somewhere in its body."""
    return [n for n in names if _words(n).strip() and _words(n) in page_text]

"""Small text helpers shared by the field rules."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from lxml.html import HtmlElement


def clean(text: Any) -> str:
    """Collapse whitespace (incl. NBSP) and strip; non-strings become ''."""
    if not isinstance(text, str):
        return ""
    if "\u00ad" in text or "\u200b" in text:
        text = text.replace("\u00ad", "").replace("\u200b", "")
    return " ".join(text.split())  # as re's \s+ would, 7x faster


# ASCII bytes that are not letters or digits (str.isalnum), deleted by ``ascii_key``.
_ASCII_NOT_ALNUM = bytes(b for b in range(128) if not chr(b).isalnum())


def ascii_key(text: str) -> str:
    """``"".join(filter(str.isalnum, text.casefold()))`` for an ASCII ``text`` (whose
    case-folding is lower-casing), in three C calls instead of one per character."""
    return text.lower().encode("ascii").translate(None, _ASCII_NOT_ALNUM).decode("ascii")


def fold(text: str) -> str:
    """Comparison key: case-folded letters and digits only, accents removed."""
    if not text:
        return ""
    if text.isascii():  # nothing to decompose
        return ascii_key(text)
    text = unicodedata.normalize("NFKD", text)
    return "".join(filter(str.isalnum, text.casefold()))


def first_str(value: Any) -> str | None:
    """First non-empty string in a JSON-LD value (str, list, or ``{name|@value}`` dict)."""
    if isinstance(value, str):
        return clean(value) or None
    if isinstance(value, list):
        for item in value:
            found = first_str(item)
            if found:
                return found
        return None
    if isinstance(value, dict):
        for key in ("name", "@value", "text"):
            found = first_str(value.get(key))
            if found:
                return found
    return None


_HIDDEN_HINTS = ("hid", "sr-only", "screen-reader", "rich-snippet", "display", "visibility")
_HIDDEN = re.compile(r"hidden|\bhide\b|-hide\b|sr-only|screen-reader|visually-?hidden|"
                     r"rich-snippet|display:\s*none|visibility:\s*hidden", re.IGNORECASE)
_NOT_TEXT = frozenset({"script", "style", "noscript", "template", "option", "select", "button"})


def hidden_self(el: HtmlElement) -> bool:
    """Not rendered as text: script-like, ``hidden``, or hidden by its class or style
    (``sr-only``, ``rich-snippet-hidden``, ``display:none``…)."""
    if not isinstance(el.tag, str) or el.tag in _NOT_TEXT:
        return True
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    attrs = f"{el.get('class') or ''} {el.get('style') or ''}".lower()
    return any(hint in attrs for hint in _HIDDEN_HINTS) and bool(_HIDDEN.search(attrs))


def hidden(el: HtmlElement | None, levels: int = 3) -> bool:
    """``el`` or one of its nearest ancestors (``levels`` in all) is hidden or not text."""
    for _ in range(levels):
        if el is None:
            return False
        if hidden_self(el):
            return True
        el = el.getparent()
    return False


# A Wayback Machine copy: "https://web.archive.org/web/20140226054445/http://example.com/…"
_WAYBACK = re.compile(r"^https?://web\.archive\.org/web/\d+[a-z_]*/(?=https?://|www\.)", re.IGNORECASE)


def original_url(url: str) -> str:
    """The archived page's own URL for a Wayback copy (its timestamp is not the article's
    date, its host not the site's); any other URL as it is."""
    return _WAYBACK.sub("", url)

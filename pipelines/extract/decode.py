"""Bytes → text: the charset from the headers, then ``<meta charset>``, then detection.

A page whose bytes are valid UTF-8 with non-ASCII characters in them is read as UTF-8 whatever
it declares (rule ``utf8-bytes``): CMS templates keep a legacy ``<meta charset>`` after the
site moved to UTF-8, and text in a single- or double-byte legacy charset is practically never
valid UTF-8 once it holds a few non-ASCII characters.
"""

from __future__ import annotations

from collections.abc import Mapping

from w3lib.encoding import html_to_unicode

from . import rules

# Multi-byte UTF-8 sequences needed before valid UTF-8 overrules a declared charset.
_MIN_MULTIBYTE = 3
_LEAD_BYTES = bytes(range(0xC2, 0xF5))  # the bytes that open a multi-byte UTF-8 sequence


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup (plain dicts of any casing, Scrapy-like mappings)."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if k.lower() == wanted:
            if isinstance(value, (list, tuple)):
                value = value[0] if value else ""
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            return str(value)
    return None


def _detect(body: bytes) -> str | None:
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # trafilatura's dependency; only for undeclared bytes

    best = from_bytes(body[:200_000]).best()
    return best.encoding if best is not None else "cp1252"


def decode_html(html: str | bytes, headers: Mapping[str, str] | None = None) -> str:
    """Return the page as text.  ``str`` input is returned unchanged."""
    if isinstance(html, str):
        return html
    encoding, text = html_to_unicode(header(headers, "Content-Type"), html,
                                     auto_detect_fun=_detect)
    if encoding.replace("-", "").lower() != "utf8" and rules.enabled("utf8-bytes"):
        return _as_utf8(html) or text
    return text


def _as_utf8(body: bytes) -> str | None:
    """``body`` as UTF-8 when it is valid UTF-8 with a few multi-byte characters, else None."""
    if len(body) - len(body.translate(None, _LEAD_BYTES)) < _MIN_MULTIBYTE:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None

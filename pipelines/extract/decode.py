"""Bytes → text: the charset from the headers, then ``<meta charset>``, then detection."""

from __future__ import annotations

from collections.abc import Mapping

from w3lib.encoding import html_to_unicode


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
    _, text = html_to_unicode(header(headers, "Content-Type"), html, auto_detect_fun=_detect)
    return text

"""Language as a BCP 47 tag: html lang, Content-Language, og:locale, inLanguage."""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml.html import HtmlElement

from .decode import header
from .structured import Structured
from .text_utils import first_str

_TAG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{4}))?(?:[-_]([a-zA-Z]{2}|\d{3}))?\b")


def normalise_language(raw: str | None) -> str | None:
    """"en_US" → "en-US", "DE" → "de", "pt-br" → "pt-BR", "zh-hant-tw" → "zh-Hant-TW"."""
    if not raw:
        return None
    m = _TAG.match(raw.strip().split(",")[0].strip())
    if not m:
        return None
    lang, script, region = m.groups()
    if lang.lower() in {"xx", "und", "mul", "zxx"}:
        return None
    out = lang.lower()
    if script:
        out += "-" + script.title()
    if region:
        out += "-" + region.upper()
    return out


def extract_language(tree: HtmlElement, data: Structured,
                     headers: Mapping[str, str] | None) -> str | None:
    root = tree.getroottree().getroot()
    candidates = [
        root.get("lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        header(headers, "Content-Language"),
        data.first_meta("content-language", "language", "dc.language"),
        first_str(data.og.get("og:locale")),
    ]
    article = data.article()
    if article:
        candidates.append(first_str(article.get("inLanguage")))
    for raw in candidates:
        tag = normalise_language(raw)
        if tag:
            return tag
    return None

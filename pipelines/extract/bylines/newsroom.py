"""A news article credited to its newsroom: the page declares a ``NewsArticle`` whose author is
the site itself, alone or with a desk or an agency ("Associated Press" on apnews.com, "BR24
Redaktion", "Euronews"), and prints that same credit as its byline ("By Euronews with
Agencies").  The newsroom is then the author.  Declared only (an SEO plugin's default: the
site as every post's author), or on a page that does not call itself news (a blog's or a
satire site's ``Article``), the site's name stays out.
"""

from __future__ import annotations

from typing import Any

from ..structured import Structured, type_names
from ..text_utils import clean, fold
from .markup import _main_node
from .names import _LABEL

# A byline's leading label, read on the folded text ("VonBR24 Redaktion" is printed glued).
_FOLDED_LABELS = ("by", "von", "par", "por", "door", "di", "da", "de", "av", "af", "przez")


def _declared_strings(value: Any, data: Structured) -> list[str]:
    value = data.resolve(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value[:4] for s in _declared_strings(item, data)]
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return [value["name"]]
    return []


def _opens_with_site(name: str, site_keys: set[str]) -> bool:
    """The name's first words spell one of the site's keys ("BR24 Redaktion", "Le Figaro et
    AFP"): whole words, so "br" (br.de) is not the start of "Brian"."""
    words = name.split()
    return any(fold("".join(words[:k])) in site_keys for k in range(1, len(words) + 1))


def _printed_as_byline(credit: str, byline: str | None) -> bool:
    printed = fold(byline or "")
    for label in _FOLDED_LABELS:
        if printed.startswith(label) and printed[len(label):].startswith(fold(credit)):
            return True
    return bool(printed) and printed.startswith(fold(credit))


def newsroom_credit(data: Structured, site_keys: set[str], byline: str | None) -> list[str]:
    """The declared author(s) of a news article when every one is the newsroom itself and
    the printed byline opens with the first of them."""
    article, _ = _main_node(data)
    if article is None or not byline \
            or not any(t.endswith("newsarticle") for t in type_names(article)):
        return []
    names = [clean(_LABEL.sub("", clean(s))) for s in
             _declared_strings(article.get("author") or article.get("creator"), data)]
    names = [n for n in dict.fromkeys(names) if n and len(n) <= 60]
    if names and all(_opens_with_site(n, site_keys) for n in names) \
            and _printed_as_byline(names[0], byline):
        return names
    return []

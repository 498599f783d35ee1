"""Authors the page declares: schema.org ``author`` (JSON-LD, microdata), ``<meta>`` tags and
Yoast's Twitter-card field; CMS logins completed from what the page prints."""

from __future__ import annotations

import re
from typing import Any

from lxml.html import HtmlElement

from ..structured import Structured, type_names
from ..text_utils import clean, fold
from .names import _CREDIT_WORDS, clean_name, person_like, split_byline
from .page_text import body_texts


def _names_from_ld(value: Any, data: Structured, site_keys: set[str], depth: int = 0) -> list[str]:
    value = data.resolve(value)
    if depth > 4 or value is None:
        return []
    if isinstance(value, str):
        return split_byline(value, site_keys)
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            for name in _names_from_ld(item, data, site_keys, depth + 1):
                if name not in out:
                    out.append(name)
        return out
    if isinstance(value, dict):
        if isinstance(value.get("@value"), str):
            return split_byline(value["@value"], site_keys)
        raw = value.get("name")
        if isinstance(raw, (dict, list)):
            return _names_from_ld(raw, data, site_keys, depth + 1)
        if isinstance(raw, str):
            if "organization" in type_names(value) or "newsmediaorganization" in type_names(value):
                cleaned = clean_name(raw, site_keys)
                return [cleaned] if cleaned else []
            return split_byline(raw, site_keys)
        given, family = value.get("givenName"), value.get("familyName")
        if isinstance(given, str) and isinstance(family, str):
            cleaned = clean_name(f"{given} {family}", site_keys)
            return [cleaned] if cleaned else []
    return []


# The label of a Twitter card's data field that holds the author (Yoast writes
# ``twitter:label1`` "Written by" / "Verfasst von" and the name in ``twitter:data1``).
_AUTHOR_CARD_LABEL = re.compile(
    r"^\s*(?:(?:written|geschrieben|verfasst|écrit|escrito|scritto|geschreven)\s+"
    r"(?:by|von|par|por|da|door)|autor(?:in)?|author|auteur|autore|auteur)\s*:?\s*$",
    re.IGNORECASE)


def _card_author(data: Structured) -> list[str]:
    for n in range(1, 5):
        label = data.first_meta(f"twitter:label{n}")
        if label and _AUTHOR_CARD_LABEL.match(label):
            # the WordPress account's display name: a person's, else a site account's
            return [v for v in data.all_meta(f"twitter:data{n}")[:1] if person_like(v)]
    return []


def _meta_names(data: Structured, site_keys: set[str]) -> list[str]:
    for raw in data.all_meta("author", "article:author", "parsely-author", "sailthru.author",
                             "dc.creator", "dcterms.creator", "byl", "byline") + _card_author(data):
        if _CREDIT_WORDS.search(raw):  # "Jane Doe und Fuchsy designed": the theme's makers
            continue
        names = split_byline(raw, site_keys)
        if names:
            return names
    return []


_LOGIN = re.compile(r"^[^\W\d_]+(?:[._][^\W\d_]+)+$")


def _with_display_names(names: list[str], others: list[str], tree: HtmlElement) -> list[str]:
    """"christian.stadtfeld" (a CMS login in the JSON-LD) → the printed "Christian P.
    Stadtfeld" whose first and last words match it: from the bylines and the meta, else
    from the page's text (a caption, a signature)."""
    out = []
    for name in names:
        if _LOGIN.match(name):
            parts = [fold(p) for p in re.split(r"[._]", name)]
            for other in others:
                words = [fold(w) for w in other.split()]
                if len(words) >= 2 and words[0] == parts[0] and words[-1] == parts[-1]:
                    name = other
                    break
            else:
                name = _printed_login(parts, tree) or name
        out.append(name)
    return out


def _printed_login(parts: list[str], tree: HtmlElement) -> str | None:
    """The one spelling the page's text gives the login's first and last name, with at
    most two initials or middle names between them."""
    first, last = parts[0], parts[-1]
    if len(parts) != 2 or len(first) < 2 or len(last) < 2:
        return None
    between = r"(?:\s+[^\W\d_][\w.’'-]*){0,2}"
    pattern = re.compile(rf"\b({re.escape(first)}{between}\s+{re.escape(last)})\b", re.IGNORECASE)
    found = {clean(m) for m in pattern.findall(" ".join(body_texts(tree)))}
    found = {f for f in found if all(w[0].isupper() for w in f.split())}
    return found.pop() if len(found) == 1 else None


# Types whose author is not the page's: a user's review or comment nested in a recipe/product.
_NESTED_ONLY = frozenset({"review", "comment", "answer", "question"})


def _main_node(data: Structured) -> tuple[dict | None, bool]:
    """The page's main creative work and whether it is the article node: a Review nested in a
    Recipe is some reader's rating, the Recipe's author is the page's."""
    article = data.article()
    if article is not None and not type_names(article) <= _NESTED_ONLY:
        return article, True
    tops: list[dict] = []
    for item in data.jsonld + data.microdata:
        graph = item.get("@graph")
        tops.extend(m for m in (graph if isinstance(graph, list) else [item]) if isinstance(m, dict))
    if article is None:
        # no article node: an SEO plugin's WebPage carries the post's author (older Yoast)
        for node in tops:
            if node.get("author") is not None and type_names(node) == {"webpage"}:
                return node, False
        return None, True
    if any(node is article for node in tops):
        return article, True
    for node in tops:
        if node.get("author") is not None and "website" not in type_names(node) \
                and "webpage" not in type_names(node):
            return node, False
    return None, False

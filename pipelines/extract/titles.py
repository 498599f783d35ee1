"""Headline: structured data first, then og/twitter/h1/<title>, without the site-name affix."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from .structured import Structured, type_names
from .text_utils import clean, first_str, fold

# " | Site", " - Site", " — Site", " :: Site", " » Site", " · Site"
_SEPARATORS = re.compile(r"\s+(?:[|–—·»«:•/\\-]|::|\|\|)\s+")


def site_names(data: Structured, url: str) -> set[str]:
    """Folded names the site goes by: og:site_name, publisher, WebSite, application-name, host."""
    names: set[str] = set()
    for value in data.og.get("og:site_name", []) + data.all_meta("application-name",
                                                                "apple-mobile-web-app-title"):
        names.add(fold(value))
    for node in data.nodes():
        publisher = data.resolve(node.get("publisher"))
        name = first_str(publisher) if isinstance(publisher, (dict, list)) else None
        if name:
            names.add(fold(name))
        if "website" in type_names(node):
            name = first_str(node.get("name"))
            if name:
                names.add(fold(name))
    host = urlsplit(url).hostname or ""
    labels = [lab for lab in host.split(".") if lab not in {"www", "m", "amp", "com", "org", "net"}]
    if labels:
        names.add(fold(labels[0]))
        names.add(fold("".join(labels)))
        names.add(fold(host.removeprefix("www.")))
    names.discard("")
    return names


def _is_site_part(part: str, names: set[str]) -> bool:
    key = fold(part)
    if not key:
        return True
    return any(key == n or (len(n) >= 4 and (n in key or key in n) and len(key) <= len(n) + 12)
               for n in names)


def strip_site(title: str, names: set[str]) -> str:
    """Drop leading/trailing segments that name the site."""
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    seps = _SEPARATORS.findall(title)
    start, end = 0, len(parts)
    while end - start > 1 and _is_site_part(parts[end - 1], names):
        end -= 1
    while end - start > 1 and _is_site_part(parts[start], names):
        start += 1
    if (start, end) == (0, len(parts)):
        return title
    out = parts[start]
    for i in range(start + 1, end):
        out += seps[i - 1] + parts[i]
    return out.strip()


def _h1s(tree: HtmlElement) -> list[str]:
    return [t for t in (clean(h.text_content()) for h in tree.iter("h1")) if t]


def extract_title(tree: HtmlElement, data: Structured, url: str) -> str | None:
    names = site_names(data, url)
    article = data.article()
    candidates: list[str] = []
    if article:
        for key in ("headline", "name"):
            value = first_str(article.get(key))
            if value:
                candidates.append(value)
    candidates += data.og.get("og:title", [])
    candidates += data.all_meta("twitter:title", "dc.title", "title", "sailthru.title",
                                "parsely-title")
    title_el = tree.find(".//title")
    page_title = clean(title_el.text_content()) if title_el is not None else ""
    h1s = _h1s(tree)

    cleaned = [strip_site(clean(c), names) for c in candidates if clean(c)]
    # A headline printed in an <h1> that a structured title agrees with is the best evidence.
    h1_keys = {fold(h): h for h in h1s}
    for c in cleaned:
        if fold(c) in h1_keys:
            return h1_keys[fold(c)]
    if cleaned:
        return cleaned[0]
    if page_title:
        stripped = strip_site(page_title, names)
        for h in h1s:
            if fold(h) and fold(h) in fold(stripped):
                return h
        return stripped
    return h1s[0] if h1s else None

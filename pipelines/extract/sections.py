"""Section (as the site names it) and tags."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from .structured import Structured, type_names
from .text_utils import clean, first_str, fold

_HOME = frozenset({"home", "homepage", "start", "startseite", "accueil", "inicio", "início",
                   "news", "index", "front page", "frontpage"})


def _ld_breadcrumb(data: Structured) -> list[str]:
    for node in data.nodes():
        if "breadcrumblist" not in type_names(node):
            continue
        items = node.get("itemListElement")
        if not isinstance(items, list):
            continue

        def position(item: dict) -> float:
            try:
                return float(item.get("position", 0))
            except (TypeError, ValueError):
                return 0.0

        names = []
        for item in sorted((i for i in items if isinstance(i, dict)), key=position):
            name = first_str(item.get("name")) or first_str(data.resolve(item.get("item")))
            if name:
                names.append(name)
        if names:
            return names
    return []


def _visible_breadcrumb(tree: HtmlElement) -> list[str]:
    for el in tree.xpath(".//*[contains(@class,'breadcrumb') or contains(@id,'breadcrumb') "
                         "or @aria-label='breadcrumb' or @aria-label='Breadcrumb']"):
        links = [clean(a.text_content()) for a in el.iter("a", "span", "li")
                 if not len(a) or a.tag == "a"]
        names = [n for n in links if n and n not in {"›", "»", ">", "/", "|", "→"}]
        # keep order, drop repeats (nested span inside li)
        seen: list[str] = []
        for n in names:
            if n not in seen:
                seen.append(n)
        if seen:
            return seen
        text = clean(el.text_content())
        parts = [p.strip() for p in re.split(r"\s*[›»>/|→]\s*", text) if p.strip()]
        if parts:
            return parts
    return []


def _section_from_trail(trail: list[str], title: str | None) -> str | None:
    """The item before the title; "Home" is never a section."""
    items = list(trail)
    if title and items and (fold(items[-1]) == fold(title) or fold(title).startswith(fold(items[-1]))
                            and len(fold(items[-1])) > 20):
        items = items[:-1]
    items = [i for i in items if fold(i) not in {fold(h) for h in _HOME} and len(i) <= 60]
    return items[-1] if items else None


def extract_section(tree: HtmlElement, data: Structured, title: str | None) -> str | None:
    article = data.article()
    if article:
        section = first_str(article.get("articleSection"))
        if section:
            return section
    section = data.first_meta("article:section") or first_str(data.og.get("article:section"))
    if section:
        return clean(section)
    section = _section_from_trail(_ld_breadcrumb(data), title)
    if section:
        return section
    section = _section_from_trail(_visible_breadcrumb(tree), title)
    if section:
        return section
    for a in tree.xpath(".//a[contains(concat(' ', @rel, ' '), ' category ')]"
                        " | .//*[contains(@class,'cat-links')]//a"
                        " | .//*[contains(@class,'post-category')]//a"):
        text = clean(a.text_content())
        if text and len(text) <= 60:
            return text
    return None


def _split_keywords(value: object) -> list[str]:
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out += _split_keywords(item)
        return out
    if isinstance(value, str):
        return [clean(v) for v in re.split(r"[,;]", value) if clean(v)]
    return []


def extract_tags(tree: HtmlElement, data: Structured) -> list[str]:
    tags: list[str] = []
    article = data.article()
    sources: list[str] = []
    sources += data.og.get("article:tag", []) + data.all_meta("article:tag")
    if not sources and article:
        sources += _split_keywords(article.get("keywords"))
    if not sources:
        sources += _split_keywords(data.all_meta("news_keywords"))
    if not sources:
        sources += [clean(a.text_content()) for a in
                    tree.xpath(".//a[contains(concat(' ', @rel, ' '), ' tag ') and not(contains(@rel, 'category'))]")]
    for tag in sources:
        tag = clean(tag)
        if tag and len(tag) <= 80 and tag not in tags:
            tags.append(tag)
    return tags

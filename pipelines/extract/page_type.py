"""Is this page one article?  Structured signals first, then URL shape and page structure."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from .structured import ARTICLE_TYPES, NON_ARTICLE_PAGE_TYPES, Structured
from .text_utils import clean

# Path segments that introduce index pages in every CMS we know of.
_INDEX_SEGMENTS = {
    "tag": "tag-page", "tags": "tag-page", "topic": "tag-page", "topics": "tag-page",
    "schlagwort": "tag-page", "thema": "tag-page", "themen": "tag-page",
    "author": "author-page", "authors": "author-page", "autor": "author-page",
    "autoren": "author-page", "auteur": "author-page", "profile": "author-page",
    "people": "author-page", "journalist": "author-page", "writer": "author-page",
    "category": "section-page", "categories": "section-page", "section": "section-page",
    "sections": "section-page", "kategorie": "section-page", "rubrik": "section-page",
    "categorie": "section-page", "categoria": "section-page",
    "search": "search-page", "suche": "search-page", "recherche": "search-page",
}
_LAST_SEGMENTS = {
    "about": "about-page", "about-us": "about-page", "ueber-uns": "about-page",
    "uber-uns": "about-page", "impressum": "about-page", "imprint": "about-page",
    "a-propos": "about-page", "quienes-somos": "about-page", "chi-siamo": "about-page",
    "over-ons": "about-page", "team": "about-page", "contact": "contact-page",
    "contact-us": "contact-page", "kontakt": "contact-page", "contacto": "contact-page",
    "contatti": "contact-page", "contactez-nous": "contact-page", "privacy": "about-page",
    "privacy-policy": "about-page", "datenschutz": "about-page", "terms": "about-page",
}
MIN_WORDS_WITH_SIGNAL = 40
MIN_WORDS_WITHOUT_SIGNAL = 200


def url_reason(url: str) -> str | None:
    segments = [s for s in urlsplit(url).path.lower().split("/") if s]
    if not segments:
        return "home-page"
    last = re.sub(r"\.(?:html?|php|aspx?)$", "", segments[-1])
    if last in _LAST_SEGMENTS:
        return _LAST_SEGMENTS[last]
    for i, seg in enumerate(segments[:-1] if len(segments) > 1 else segments):
        reason = _INDEX_SEGMENTS.get(seg)
        # /tag/<slug>/ (+ optional /page/N/) is an index; /tag/<slug>/<long-slug> is not
        if reason and len(segments) - i <= 2 + (2 if "page" in segments[i:] else 0):
            return reason
    if segments[-1] in _INDEX_SEGMENTS and len(segments) == 1:
        return _INDEX_SEGMENTS[segments[-1]]
    if last in ("page", "feed") or (last.isdigit() and len(segments) >= 2
                                    and segments[-2] in ("page", "seite")):
        return "listing-page"
    return None


def article_signals(data: Structured) -> bool:
    og_type = (data.og.get("og:type") or [""])[0].strip().lower()
    if og_type == "article" or og_type.endswith(".article"):
        return True
    return bool(data.types() & ARTICLE_TYPES)


def listing_shape(tree: HtmlElement) -> bool:
    """Many teasers: repeated linked headlines or <article> cards."""
    cards = len(tree.xpath(".//article"))
    linked_heads = len(tree.xpath(".//h2[.//a] | .//h3[.//a]"))
    return cards >= 5 or linked_heads >= 8


def non_article_before_text(data: Structured, url: str, title: str | None) -> str | None:
    """Why the page is not an article, from what is known before its text: no title, a
    non-article schema.org page type, an index URL.  None when the text must decide."""
    if not clean(title or ""):
        return "no-title"
    page_types = data.types()
    for t, reason in NON_ARTICLE_PAGE_TYPES.items():
        if t in page_types and not page_types & ARTICLE_TYPES:
            return reason
    return url_reason(url)


def classify(tree: HtmlElement, data: Structured, url: str, title: str | None,
             word_count: int, text: str) -> tuple[bool, str | None]:
    reason = non_article_before_text(data, url, title)
    if reason:
        return False, reason
    signals = article_signals(data)
    if signals:
        if word_count < MIN_WORDS_WITH_SIGNAL:
            return False, "too-little-text"
        return True, None
    if listing_shape(tree):
        return False, "listing-page"
    if word_count < MIN_WORDS_WITHOUT_SIGNAL:
        return False, "too-little-text"
    return True, None

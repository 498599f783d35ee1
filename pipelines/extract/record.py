"""Assembly: run each field rule once over one parsed tree and build the record."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from lxml.html import HtmlElement

from pipelines.versions import EXTRACTOR_NAME, EXTRACTOR_VERSION

from . import rules
from .body import BodySettings, extract_body
from .bylines import extract_authors, signature_author
from .dates import extract_dates, fetch_time
from .decode import decode_html
from .images import extract_image
from .language import extract_language
from .parse import parse_html
from .page_type import (
    MIN_WORDS_WITH_SIGNAL,
    MIN_WORDS_WITHOUT_SIGNAL,
    article_signals,
    classify,
    non_article_before_text,
)
from .sections import extract_section, extract_tags
from .site_owner import site_owner
from .structured import Structured, read_structured
from .text_utils import clean, first_str
from .titles import extract_title, site_names
from .urls import join_url

_WORD = re.compile(r"\w+")

RECORD_KEYS = ("url", "canonical_url", "title", "authors", "byline", "published", "modified",
               "section", "tags", "language", "site_name", "description", "text", "image",
               "word_count", "extractor")


@dataclass(frozen=True)
class WordFloors:
    """Fewest words of body text a page needs to be kept as an article
    (crawl settings ``NEWSARCHIVE_ARTICLE_MIN_WORDS``, ``…_WITH_MARKUP``)."""

    without_markup: int = MIN_WORDS_WITHOUT_SIGNAL
    with_markup: int = MIN_WORDS_WITH_SIGNAL  # og:type article or a schema.org Article type


# Why a page with article markup was too short (``too-little-text`` is for pages without).
TOO_LITTLE_TEXT_WITH_MARKUP = "too-little-text-with-markup"


def judge(tree: HtmlElement, data: Structured, url: str, title: str | None, word_count: int,
          text: str, floors: WordFloors) -> tuple[bool, str | None]:
    """``page_type.classify`` with these word floors instead of its defaults: its verdict
    turns on the word count only where it returns an article or ``too-little-text``."""
    is_article, reason = classify(tree, data, url, title, word_count, text)
    if not is_article and reason != "too-little-text":
        return is_article, reason
    if article_signals(data):
        if word_count < floors.with_markup:
            return False, TOO_LITTLE_TEXT_WITH_MARKUP
    elif word_count < floors.without_markup:
        return False, "too-little-text"
    return True, None


def empty_record(url: str) -> dict:
    record: dict = {key: None for key in RECORD_KEYS}
    record.update(url=url, authors=[], tags=[], text="", word_count=0,
                  extractor={"name": EXTRACTOR_NAME, "version": EXTRACTOR_VERSION})
    return record


def _canonical(tree: HtmlElement, data: Structured, url: str) -> str | None:
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return join_url(url, link.get("href"))
    og_url = first_str(data.og.get("og:url"))
    return join_url(url, og_url) if og_url else None


def _site_name(data: Structured) -> str | None:
    name = first_str(data.og.get("og:site_name")) or data.first_meta("application-name")
    if name:
        return clean(name)
    article = data.article()
    if article:
        return first_str(data.resolve(article.get("publisher")))
    return None


def _description(data: Structured) -> str | None:
    article = data.article()
    value = first_str(data.og.get("og:description")) or data.first_meta("description",
                                                                         "twitter:description")
    if not value and article:
        value = first_str(article.get("description"))
    return clean(value) or None


def build(html: str | bytes, url: str, headers: Mapping[str, str] | None = None,
          settings: BodySettings | None = None, *,
          articles_only: bool = False,
          floors: WordFloors | None = None) -> tuple[dict, bool, str | None]:
    """The record, whether the page is an article, and why not.  ``articles_only``: a page
    known not to be one before its text is read (no title, an index URL…) gets no fields
    beyond the title; its record is only good for the reason.  ``floors``: the fewest words
    an article has (default: ``WordFloors()``)."""
    record = empty_record(url)
    text = decode_html(html, headers)
    tree = parse_html(text) if text.strip() else None
    if tree is None:
        return record, False, "empty-page"
    data = read_structured(tree, url)
    keys = site_names(data, url)

    title = extract_title(tree, data, url)
    if articles_only:
        reason = non_article_before_text(data, url, title)
        if reason:
            record["title"] = title
            return record, False, reason
    authors, byline = extract_authors(tree, data, keys)
    image = extract_image(tree, data, url)
    section = extract_section(tree, data, title)
    article = data.article()
    body = extract_body(tree, url, title, [byline] if byline else [], settings,
                        article.get("articleBody") if article else None)
    if not authors and rules.enabled("signature-author"):
        authors = signature_author(tree, body.text, keys)
    if not authors and rules.enabled("site-owner"):
        authors = site_owner(tree, data, keys)
    if image is not None and not image.get("credit") and body.credits:
        image["credit"] = body.credits[0]
    published, modified = extract_dates(tree, data, url, fetch_time(headers))

    record.update(
        canonical_url=_canonical(tree, data, url),
        title=title,
        authors=authors,
        byline=byline,
        published=published,
        modified=modified,
        section=section,
        tags=extract_tags(tree, data),
        language=extract_language(tree, data, headers),
        site_name=_site_name(data),
        description=_description(data),
        text=body.text,
        image=image,
        word_count=len(_WORD.findall(body.text)),
    )
    is_article, reason = judge(tree, data, url, title, record["word_count"], body.text,
                               floors or WordFloors())
    return record, is_article, reason


__all__ = ["EXTRACTOR_NAME", "EXTRACTOR_VERSION", "WordFloors", "build", "judge", "parse_html"]

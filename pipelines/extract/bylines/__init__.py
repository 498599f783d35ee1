"""Authors and the byline as printed.

Evidence in order: schema.org ``author`` (JSON-LD or microdata), the visible byline, then
``<meta name=author>`` and kin. Every candidate goes through :func:`split_byline` and
:func:`clean_name`, which drop labels ("By", "Von"…), dates, roles, URLs and the site's name.
Submodules read the sources (``names``, ``markup``, ``printed``, ``page_text``); this weighs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, partial

from lxml.html import HtmlElement

from .. import rules
from ..given_names import starts_with_given_name, without_titles
from ..structured import Structured, type_names
from ..text_utils import fold
from .markup import _main_node, _meta_names, _names_from_ld, _with_display_names
from .names import clean_name, person_like, split_byline
from .newsroom import newsroom_credit
from .page_text import _printed_somewhere, _shown_text
from .printed import (
    _box_names,
    _commenting_post_author,
    _printed_byline,
    _printed_names,
    _visible_bylines,
    signature_author,
)

__all__ = ["clean_name", "extract_authors", "person_like", "signature_author", "split_byline"]

# The types SEO plugins stamp on every post (Yoast, Rank Math): their author is the CMS
# account that saved the page (a web agency, a press-office clerk) unless the page prints it.
_CMS_DEFAULT_TYPES = frozenset({"article", "blogposting", "posting", "creativework_article",
                                "webpage"})


def _printed_list_wins(declared: list[str], printed: list[str]) -> list[str]:
    """The markup's author list and the printed byline name some of the same people: the
    byline is the credit readers see (co-authors a CMS account leaves out, or the one person
    of several accounts that touched the post).  Disjoint lists: the markup stays."""
    declared_keys = {fold(n) for n in declared}
    printed_keys = {fold(n) for n in printed}
    if printed_keys == declared_keys or not printed_keys & declared_keys:
        return declared
    if not all(person_like(n) for n in printed if fold(n) not in declared_keys):
        return declared  # "Jane Doe, Staff Attorney, ACLU Racial Justice Program"
    by_key = {fold(n): n for n in declared}
    return [by_key.get(fold(n), n) for n in printed]


def _article_page(tree: HtmlElement, data: Structured) -> bool:
    if any(v.strip().lower() == "article" for v in data.og.get("og:type", [])):
        return True
    return next(tree.iter("article"), None) is not None


def extract_authors(
    tree: HtmlElement, data: Structured, site_keys: set[str]
) -> tuple[list[str], str | None]:
    """Return ``(authors, byline_as_printed)``.

    JSON-LD first (a login there is replaced by the display name printed or in the meta),
    then the printed byline, then ``<meta name=author>`` or the Twitter card's "Written by",
    then an author box, then the post author's own comment.  Never a name the page does not
    print, nor the site's own name unless the site is a person's or a blogger's."""
    page_text = cache(partial(_shown_text, tree))  # read once, and only if a rule needs it
    names, byline = _authors(tree, data, site_keys, page_text)
    names = [name for name in names if not _the_site_itself(name, site_keys)]
    if rules.enabled("newsroom-byline") and not any(map(person_like, names)):
        credit = newsroom_credit(data, site_keys, byline)
        if credit:
            return credit, byline
    if names and not _printed_somewhere(names, page_text()):
        # named only in the markup, shown to no reader: the CMS account that saved the page
        # or a byline the site chose not to print
        return [], byline
    return names, byline


# One word, capitalised at most at its start: a blogger's handle ("surfguard", "Creeny").
_BLOG_HANDLE = re.compile(r"^[^\W\d_][^\W_A-Z]*$")


def _the_site_itself(name: str, site_keys: set[str]) -> bool:
    """A byline that is the site's own name and names no one: a brand ("SeglerBlog", "Eat
    What Tonight", "Vegolosi.it").  Kept when the site is named after a person ("Wolfgang
    Schmale" on wolfgangschmale.eu) or is a blog under its author's handle."""
    if fold(name) not in site_keys:
        return False
    if person_like(without_titles(name)) and starts_with_given_name(without_titles(name)):
        return False
    return not _BLOG_HANDLE.match(name)


def _authors(tree: HtmlElement, data: Structured, site_keys: set[str],
             page_text: Callable[[], str]) -> tuple[list[str], str | None]:
    visible, boxed = _visible_bylines(tree, data)
    byline = _printed_byline(visible)
    printed_names = _printed_names(visible, site_keys)
    meta_names = _meta_names(data, site_keys)
    article, _ = _main_node(data)
    unprinted: set[str] = set()
    if article is not None:
        names = _names_from_ld(article.get("author") or article.get("creator"), data, site_keys)
        names = _with_display_names(names, printed_names + meta_names, tree)
        if names and not type_names(article) - _CMS_DEFAULT_TYPES:
            printed = _printed_somewhere(names, page_text())
            unprinted = {fold(n) for n in names if n not in printed}
            names = printed
            if names and printed_names and all(map(person_like, printed_names)) \
                    and not {fold(n) for n in names} & {fold(n) for n in printed_names}:
                # an SEO plugin's account (the editor who saved the post, printed in a
                # sidebar) against the article's byline naming someone else
                names = printed_names
        if names:
            return _printed_list_wins(names, printed_names), byline
    if printed_names:
        return printed_names, byline
    # <meta name=author> alone, never the unprinted account of the markup.  On a page not
    # built as an article (no <article>, no og:type article: a shop, a club's or a firm's
    # page) only the names the page also prints: the meta there names the web agency or
    # the owner of the site.
    names = [n for n in meta_names if fold(n) not in unprinted]
    if names and not _article_page(tree, data):
        names = _printed_somewhere(names, page_text())
    if names:
        return names, byline
    names = [n for n in _box_names(boxed, site_keys) if fold(n) not in unprinted]
    if names:
        return names, byline
    return _commenting_post_author(tree), byline

"""Section (as the site names it) and tags."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from urllib.parse import unquote

from lxml import etree
from lxml.html import HtmlElement

from . import rules
from .structured import Structured, type_names
from .text_utils import clean, first_str, fold
from .urls import url_path

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


# The XPaths below select attribute nodes, then their element: libxml2 tests only the
# attributes that exist, instead of every element of the page (same nodes, same order).
_BREADCRUMB = etree.XPath(
    "(descendant::*/@class[contains(.,'breadcrumb')] | descendant::*/@id[contains(.,'breadcrumb')]"
    " | descendant::*/@aria-label[.='breadcrumb' or .='Breadcrumb'])/..")


def _visible_breadcrumb(tree: HtmlElement) -> list[str]:
    for el in _BREADCRUMB(tree):
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
    last = fold(items[-1]) if items else ""
    if title and items and (last == fold(title) or len(last) > 20 and (
            fold(title).startswith(last) or fold(title) in last)):
        items = items[:-1]
    items = [i for i in items if fold(i) not in {fold(h) for h in _HOME} and len(i) <= 60]
    return items[-1] if items else None


def _declared_section(data: Structured) -> str | None:
    """article:section, else articleSection; a comma list in articleSection ("Reviews,
    Album Reviews") is several sections: the one article:section names, else the first."""
    meta = data.first_meta("article:section") or first_str(data.og.get("article:section"))
    article = data.article()
    declared = first_str(article.get("articleSection")) if article else None
    if declared and "," in declared and not meta:
        return clean(declared.split(",")[0]) or None
    return clean(meta or declared) or None


_CATEGORY_LINKS = etree.XPath(
    "descendant::a/@rel[contains(concat(' ', ., ' '), ' category ')]/.."
    " | descendant::*/@class[contains(.,'cat-links') or contains(.,'post-category')]/..//a")


def _category_label(tree: HtmlElement) -> str | None:
    for a in _CATEGORY_LINKS(tree):
        text = clean(a.text_content())
        if text and len(text) <= 60:
            return text
    return None


def extract_section(tree: HtmlElement, data: Structured, title: str | None) -> str | None:
    """The section the page places itself in: a visible breadcrumb's item before the
    headline, else the declared section (not when it only repeats the headline), else the
    JSON-LD breadcrumb, else a category label."""
    visible = _section_from_trail(_visible_breadcrumb(tree), title)
    declared = _declared_section(data)
    if declared and title and fold(declared) == fold(title):
        declared = None
    return (visible or declared or _section_from_trail(_ld_breadcrumb(data), title)
            or _category_label(tree))


def _split_keywords(value: object) -> list[str]:
    """A comma/semicolon string is a list; a JSON list's items stay whole."""
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out += [clean(item)] if isinstance(item, str) else _split_keywords(item)
        return out
    if isinstance(value, str):
        return [clean(v) for v in re.split(r"[,;]", value) if clean(v)]
    return []


_CODE_LIKE = re.compile(r"^[@#]?[a-z0-9]+(?:_[a-z0-9]+)+$|^@\w+$")
_URL_LIKE = re.compile(r"^(?:https?:)?//|^/\S*$")


# A path segment that names a topic index, in the languages of the dev sets; the next
# segment is the topic ("/thema/ukraine", "/tag/ferries/", "/keyword/189619/").
_TOPIC_SEGMENTS = frozenset({
    "tag", "tags", "topic", "topics", "thema", "themen", "schlagwort", "schlagworte",
    "stichwort", "stichworte", "tema", "temas", "temi", "sujet", "sujets", "keyword",
    "keywords", "mot-cle", "mots-cles", "etiqueta", "etiquetas", "onderwerp", "onderwerpen",
    "emne", "emner", "aihe", "amne", "tagg", "taggar", "list"})
# Site chrome around the article; inside it, only an aside or a menu is (the article's own
# <footer> or <nav> often holds its tag list).
_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside", "menu"})
_CHROME_CLASS = re.compile(r"menu|navigation|navbar|hamburger|masthead|site-?header|"
                           r"site-?footer|sidebar|trending|breadcrumb", re.IGNORECASE)
_MENU_CLASS = re.compile(r"menu|navigation|hamburger", re.IGNORECASE)
_ANCHORS = etree.XPath("descendant::a[@href]")
_ANCHORS_AFTER = etree.XPath("following::a[@href]")


@lru_cache(maxsize=4096)  # a site's menus and tag pages repeat from page to page
def _topic_href(href: str) -> bool:
    path = url_path(href.strip())
    segments = [s for s in unquote(path).lower().split("/") if s]
    return any(seg in _TOPIC_SEGMENTS and i + 1 < len(segments)
               for i, seg in enumerate(segments))


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def _inline(a: HtmlElement) -> bool:
    """A link inside a sentence of the text, not an item of a list of links."""
    el = a.getparent()
    for _ in range(3):
        if el is None:
            return False
        if el.tag == "p":
            links = sum(_letters(x.text_content()) for x in el.iter("a"))
            return _letters(el.text_content()) - links > 30
        el = el.getparent()
    return False


def _chrome(a: HtmlElement, main: HtmlElement | None) -> bool:
    """``a`` is in site chrome; ``main``: the article that holds ``a``, if one does."""
    el = a.getparent()
    while el is not None and el is not main and el.tag not in ("body", "html"):
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if main is not None:
            if el.tag in ("aside", "menu") or _MENU_CLASS.search(names):
                return True
        elif el.tag in _CHROME_TAGS or _CHROME_CLASS.search(names):
            return True
        el = el.getparent()
    return False


def _main_article(tree: HtmlElement) -> HtmlElement | None:
    """The first <article> with at least half the paragraph text of the fullest one (pages
    that load the next story below the first have several)."""
    sizes = [(el, sum(len(p.text_content()) for p in el.iter("p"))) for el in tree.iter("article")]
    if not sizes:
        return None
    most = max(size for _, size in sizes)
    return next(el for el, size in sizes if size >= most / 2)


def _topic_list(tree: HtmlElement) -> list[str]:
    """The article's visible list of topic links: short links to topic pages
    (``_TOPIC_SEGMENTS``) that are not site navigation nor links inside a sentence, grouped by
    the element that holds them; the largest group inside the article, else the first group
    after it that is not site chrome."""
    main = _main_article(tree)
    # with a main article, every link is in it, after it, or before it (or around it)
    inside = set(_ANCHORS(main)) if main is not None else set()
    after = set(_ANCHORS_AFTER(main)) if main is not None else set()
    candidates = []
    for a in _ANCHORS(tree):
        text = clean(a.text_content())
        if not text or len(text) > 60 or len(text.split()) > 8 or not _topic_href(a.get("href")):
            continue
        in_article = a in inside
        if main is not None and not in_article and a not in after:
            continue  # before the article: the site's header and menus
        if _inline(a) or _chrome(a, main if in_article else None):
            continue
        candidates.append((a, text, in_article))
    if not candidates:
        return []
    holders = Counter(anc for a, _, _ in candidates for anc in _ancestors(a))
    groups: dict[HtmlElement, list[tuple[str, bool]]] = {}
    for a, text, in_article in candidates:
        holder = next((anc for anc in _ancestors(a) if holders[anc] > 1), a.getparent())
        groups.setdefault(holder, []).append((text, in_article))
    ordered = list(groups.values())
    in_article_groups = [g for g in ordered if g[0][1]]
    if in_article_groups:
        best = max(reversed(in_article_groups), key=len)
    else:
        best = ordered[0]
    return list(dict.fromkeys(text for text, _ in best))


def _ancestors(a: HtmlElement, levels: int = 5) -> list[HtmlElement]:
    out = []
    el = a.getparent()
    while el is not None and len(out) < levels:
        out.append(el)
        el = el.getparent()
    return out


def _declared_tags(data: Structured) -> list[str]:
    tags: list[str] = list(dict.fromkeys(data.og.get("article:tag", [])
                                         + data.all_meta("article:tag")))
    if len(tags) == 1 and "," in tags[0]:
        tags = _split_keywords(tags[0])
    return tags


def _declared_lists(data: Structured) -> list[list[str]]:
    """The page's declared topic lists in the order they are trusted: article:tag, the
    article's schema.org keywords, news_keywords, the meta keywords."""
    article = data.article()
    return [_declared_tags(data),
            _split_keywords(article.get("keywords")) if article else [],
            _split_keywords(",".join(data.all_meta("news_keywords"))),
            _split_keywords(",".join(data.all_meta("keywords")))]


def _confirmed(chosen: list[str], others: list[str]) -> list[str]:
    """The items of the chosen list that another list of the page has too, when at least two
    are: a CMS's flags and rewrites ("paywall exclude", "_commerce", a person's full name
    where the page prints the short one) are in one list only."""
    known = {fold(t) for t in others}
    kept = [t for t in chosen if fold(t) in known]
    return kept if len(kept) >= 2 else chosen


def extract_tags(tree: HtmlElement, data: Structured) -> list[str]:
    """The article's first declared topic list (see ``_declared_lists``; the meta keywords
    with their rule), else, with the rule, the article's visible list of topic links.  With
    the rule, a declared list keeps only what the page's other lists confirm
    (``_confirmed``).  Keywords that are only links (microdata ``<a itemprop=keywords>``)
    count as no list; CMS flags (``autoplay_video``, ``@river``) are not tags."""
    lists = _declared_lists(data)
    trusted = lists if rules.enabled("meta-keywords") else lists[:3]
    chosen = next((i for i, found in enumerate(trusted) if found), -1)
    sources = trusted[chosen] if chosen >= 0 else []
    if all(_URL_LIKE.match(clean(t)) for t in sources):  # none, or only links
        sources, chosen = [], -1
    if not sources and rules.enabled("topic-links"):
        sources = _topic_list(tree)
    elif chosen >= 0 and rules.enabled("confirmed-tags"):
        others = [t for i, found in enumerate(lists) if i != chosen for t in found]
        known = {fold(t) for t in others}
        if not all(fold(t) in known for t in sources):
            # (with every item confirmed by the other lists, the topic links change nothing)
            sources = _confirmed(sources, others + _topic_list(tree))
    tags: list[str] = []
    for tag in sources:
        tag = clean(tag)
        if (tag and len(tag) <= 80 and tag not in tags and not _CODE_LIKE.match(tag)
                and not _URL_LIKE.match(tag)):
            tags.append(tag)
    return tags

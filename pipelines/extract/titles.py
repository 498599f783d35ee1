"""Headline: structured data first, then og/twitter/h1/<title>, without the site-name affix."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from .structured import Structured, type_names
from .text_utils import clean, first_str, fold, original_url

# " | Site", " - Site", " — Site", " :: Site", " » Site", " · Site"
_SEPARATORS = re.compile(r"\s+(?:[|–—·»«:•/\\-]|::|\|\|)\s+|(?<=\S)\|(?=\S)")




def declared_site_name_strings(data: Structured, publisher: bool = True) -> list[str]:
    """The names the page declares for its site, as written: og:site_name, application-name,
    the publisher (unless ``publisher`` is false), the WebSite node."""
    names = data.og.get("og:site_name", []) + data.all_meta("application-name",
                                                           "apple-mobile-web-app-title")
    for node in data.nodes():
        value = data.resolve(node.get("publisher")) if publisher else None
        name = first_str(value) if isinstance(value, (dict, list)) else None
        if name:
            names.append(name)
        if "website" in type_names(node):
            name = first_str(node.get("name"))
            if name:
                names.append(name)
    return names


def declared_site_names(data: Structured) -> set[str]:
    """Folded names the page declares for its site (``declared_site_name_strings``)."""
    return {fold(n) for n in declared_site_name_strings(data)} - {""}


def site_names(data: Structured, url: str) -> set[str]:
    """Declared site names plus the host's own labels."""
    names = declared_site_names(data)
    host = urlsplit(original_url(url)).hostname or ""  # an archived copy: the original host
    labels = [lab for lab in host.split(".") if lab not in {"www", "m", "amp", "com", "org", "net"}]
    if labels:
        names.add(fold(labels[0]))
        names.add(fold("".join(labels)))
        names.add(fold(host.removeprefix("www.")))
        if len(labels) >= 3:  # foren.example.de: the registrable name, not the subdomain
            names.add(fold(labels[-2]))
            names.add(fold(labels[-2] + labels[-1]))  # "example.de" written out
    names.discard("")
    return names


_GENERIC_PARTS = frozenset(fold(p) for p in (
    "blog archive", "blog archiv", "archive", "archiv", "archives", "home", "startseite",
    "homepage", "blog", "news", "accueil", "inicio"))


_SITE_WORDS = re.compile(r"\b(?:community|forum|forums|blog|magazin|magazine)\b",
                         re.IGNORECASE)


def _is_site_part(part: str, names: set[str]) -> bool:
    key = fold(part)
    if not key or key in _GENERIC_PARTS:
        return True
    bare = fold(_SITE_WORDS.sub("", part))  # "MyOOS Community Forum" → "myoos"
    if bare and bare != key and bare in names:
        return True
    return any(key == n or (len(n) >= 4 and (n in key or key in n) and len(key) <= len(n) + 12)
               for n in names)


def title_affixes(title: str) -> list[str]:
    """The first and the last segment of a title with separators: where a site's name goes."""
    parts = _SEPARATORS.split(title)
    return [parts[-1], parts[0]] if len(parts) >= 2 else []


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


# Attribute nodes first, then their element: libxml2 tests only the attributes that exist.
_HEADLINE_XPATH = etree.XPath(
    ".//h1 | (descendant::*/@class[contains(.,'entry-title') or contains(.,'post-title')"
    " or contains(.,'headline') or contains(.,'article-title')]"
    " | descendant::*/@itemprop[contains(.,'headline')])"
    "/parent::*[self::h2 or self::h3 or self::div or self::span or self::p]"
)
_WORD = re.compile(r"\w+")


# (<rt>/<rp>: the ruby reading printed over CJK characters, not part of the headline)
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "rt", "rp"})


# Parts of a headline element that are not the headline: kickers/overlines, screen-reader
# separators, dates.
_NOT_HEADLINE = re.compile(
    r"kicker|overline|topline|toptitle|top-title|topic|dachzeile|roofline|eyebrow|"
    r"sub-?heading|subtitle|titleheader|visually-hidden|sr-only|screen-reader|aural|"
    r"hiddendash|\bdate\b|label", re.IGNORECASE)


def _is_aside(el: HtmlElement) -> bool:
    return (el.tag == "time" or el.get("aria-hidden") == "true"
            or bool(_NOT_HEADLINE.search(el.get("class") or "")))


def _visible_parts(el: HtmlElement, parts: list[str], root: bool = True) -> None:
    if el.tag in _INVISIBLE or not isinstance(el.tag, str):
        return
    if not root and _is_aside(el):
        return
    if el.tag == "br":
        parts.append(" ")
    if el.text:
        parts.append(el.text)
    for child in el:
        _visible_parts(child, parts, root=False)
        if child.tail:
            parts.append(child.tail)


def heading_text(el: HtmlElement) -> str:
    """Visible text of a heading: no <script>/<style>/<noscript> content."""
    parts: list[str] = []
    _visible_parts(el, parts)
    text = clean("".join(parts))
    if not text:  # the whole heading was a "kicker": keep everything
        text = clean(" ".join(t for t in el.itertext()))
    return text


def _headings(tree: HtmlElement) -> list[str]:
    out = []
    for el in _HEADLINE_XPATH(tree):
        text = heading_text(el)
        if text and len(text) <= 300 and text not in out:
            out.append(text)
    return out


def _tokens(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def _agreement(heading: str, candidate: str) -> float:
    h, c = _tokens(heading), _tokens(candidate)
    if not h or not c:
        return 0.0
    return 2 * len(h & c) / (len(h) + len(c))


def _strip_dangling(text: str) -> str:
    """": Headline" left when a kicker before the colon was hidden markup."""
    return re.sub(r"^[:|–—·•]\s*", "", text).strip()


def _without_label(heading: str, candidates: list[str]) -> str:
    """"Politics | Headline" when the page's own titles say "Headline": the extra segment is
    a section label printed in the heading."""
    for cand in candidates:
        if cand == heading or len(cand) < 15:
            continue
        for sep in _SEPARATORS.finditer(heading):
            if sep.group().strip() in ("-", "–", "—"):  # "Welpen kaufen – Tipps …" is one title
                continue
            before, after = heading[: sep.start()], heading[sep.end():]
            if after == cand and len(before) <= 30 or before == cand and len(after) <= 30:
                return cand
    return heading


def _uncut(candidates: list[str]) -> list[str]:
    """An attribute cut short by an unescaped quote (``content="Biden de "incapacitado""``
    reads "Biden de"): the longer title it begins, where that one goes on with the quote."""
    out = []
    for cand in candidates:
        for other in candidates:
            if len(other) > len(cand) and other.startswith(cand) \
                    and other[len(cand):].lstrip()[:1] in ('"', "'"):
                cand = other
                break
        out.append(cand)
    return out


_TRUNCATED = ("…", "...")


def _without_trailer(heading: str, candidates: list[str]) -> str:
    """"Headline (2021/5)", "Headline? Medien Kommentieren": the heading element also holds
    an issue number or category links the page's own titles leave out; those titles say
    where the headline ends."""
    for cand in candidates:
        if len(cand.split()) < 2 or cand.endswith(_TRUNCATED) or not heading.startswith(cand):
            continue
        extra = heading[len(cand):]
        # where the title visibly ends: its closing mark, or a bracket opening the extra
        # (a title cut for length, "… Blooms on the", goes on in the heading)
        ends = cand[-1] in "?!.\"“”»«)" or extra.lstrip()[:1] in "([|"
        if extra[:1].isspace() and len(extra.split()) <= 3 and ends:
            return cand
    return heading


def extract_title(tree: HtmlElement, data: Structured, url: str) -> str | None:
    """The printed headline (an <h1> or headline-classed heading) when the structured titles
    agree with it, else the first structured title without its site affix."""
    names = site_names(data, url)
    article = data.article()
    raw: list[str] = []
    if article:
        for key in ("headline", "name"):
            value = first_str(article.get(key))
            if value:
                raw.append(value)
    raw += data.og.get("og:title", [])
    raw += data.all_meta("twitter:title", "dc.title", "title", "sailthru.title", "parsely-title")
    title_el = tree.find(".//title")
    if title_el is not None and title_el.text_content():
        raw.append(title_el.text_content())
    candidates = []
    for value in raw:
        value = strip_site(clean(html.unescape(value)), names)
        if value and value not in candidates:
            candidates.append(value)
    candidates = _uncut(candidates)
    headings = [_strip_dangling(h) for h in _headings(tree)]
    headings = [h for h in headings if h]
    best, best_score = None, 0.0
    for heading in headings:
        score = max((_agreement(heading, c) for c in candidates), default=0.0)
        if score > best_score:
            best, best_score = heading, score
    if best is not None and best_score >= 0.5:
        return _without_trailer(_without_label(best, candidates), candidates)
    if candidates:
        return candidates[0]
    return headings[0] if headings else None

"""Authors and the byline as printed.

Order of evidence: the article's schema.org ``author`` (JSON-LD or microdata; Person,
Organization, strings, arrays, ``@id`` references), then the visible byline (rel=author,
itemprop=author, class*=byline/author), then ``<meta name=author>`` and its kin.  Every
candidate goes through :func:`split_byline` and :func:`clean_name`, which drop labels
("By", "Von", "Par"…), dates, roles, URLs, the site's own name and account junk.
"""

from __future__ import annotations

import re
from typing import Any

from lxml.html import HtmlElement

from .structured import Structured, type_names
from .text_utils import clean, fold

# Leading labels, in the languages the byline rules cover.
_LABEL = re.compile(
    r"^(?:[~©]\s*)?(?:about the author\s*[-–—:]?\s*)?"
    r"(?:(?:written|posted|published|reported|text|story|words|report(?:ing)?|recipe|"
    r"photos?|geschrieben|verfasst|veröffentlicht|publiziert|erstellt|beitrag|artikel|rezept|"
    r"publié|escrito|scritto|geschreven|autor(?:in)?|auteur|"
    r"author(?:s)?|articolo|redacción)\s*)?"
    r"(?:by|von|par|por|di|door|texte?|text|autor(?:in)?|auteurs?|authors?|"
    r"author)\b\s*[:.]?\s*",
    re.IGNORECASE,
)
# "Posted on 3 May 2024 by X" / "Veröffentlicht am 8. Februar 2022 von X": the name is after
# the date; without a "by"/"von" part such a line names nobody.
_POSTED = re.compile(r"^(?:posted|published|veröffentlicht|publiziert|erstellt|publié|"
                     r"pubblicato|publicado|gepubliceerd)\b", re.IGNORECASE)
_POSTED_BY = re.compile(r"\b(?:by|von|par|por|da|door)\s+(?P<rest>.+)$", re.IGNORECASE)
_LEAD_JUNK = re.compile(r"^(?:view|see|read|more|all)\b.*?\b(?:posts?|articles?|stories)\s+(?:by|from|von)\s+",
                        re.IGNORECASE)
# Where a byline stops being names: separators, dates, "Updated", e-mail, Twitter handles.
_STOP = re.compile(
    r"\s*(?:\||•|·|—|–|\s-\s|\bupdated\b|\bpublished\b|\bposted\b|\blast\s+modified\b|"
    r"\baktualisiert\b|\bveröffentlicht\b|\bmis à jour\b|\bpublié\b|\bactualizado\b|"
    r"\bon\s+(?=\w+\s+\d)|\bam\s+\d|\ble\s+\d|\bel\s+\d|\bil\s+\d|\bop\s+\d|"
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|"
    r"\b\d{1,2}\.?\s+(?:jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec)[a-zä]*\b)",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\ben\b|\bwith\b|\bmit\b|"
                    r"\bavec\b|\bcon\b|\bmet\b|\bim gespräch mit\b|\bin conversation with\b)\s*", re.IGNORECASE)
# Words that on their own name a role or an account, not a person or desk.
_GENERIC = frozenset(
    ["admin", "administrator", "wordpressadmin", "webmaster", "root", "user", "guest", "anonymous", "unknown", "author", "authors", "editor", "editors", "editorial", "redaktion", "rédaction", "redacción", "redazione", "redactie", "staff", "team", "writer", "writers", "senior", "chief", "contributor", "contributing", "contributors", "correspondent", "correspondents", "reporter", "reporters", "columnist", "political", "foreign", "news", "desk", "online", "web", "digital", "the", "our", "and", "by", "of", "de", "del", "der", "des", "la", "le", "el", "il", "site", "blog", "post", "posts", "article", "articles", "freelance", "guest-author", "press", "release", "office", "system", "moderator", "member", "publisher", "super", "agencies", "agency", "agenturen", "posted", "published", "veröffentlicht", "publiziert", "am", "on", "chefredakteur", "chefredakteurin", "redakteur", "redakteurin", "autorin", "journalist", "journalistin"]
)
_COMPANY = re.compile(
    r"\b(?:gmbh|ag|e\.\s?v\.?|inc\.?|ltd\.?|llc|plc|s\.a\.|sas|sarl|s\.r\.l\.|b\.v\.|verlag|"
    r"ministerium|ministry|bundesamt)(?=\W|$)|\bfür\b", re.IGNORECASE)
_ROLE_TAIL = re.compile(r"\s*\((?:[^)]*)\)\s*$")


def _looks_like_name(name: str, site_keys: set[str]) -> bool:
    if not (2 <= len(name) <= 70):
        return False
    if re.search(r"\d|https?:|www\.|@|\.com\b|\.html?\b|[<>{}=]", name, re.IGNORECASE):
        return False
    words = name.split()
    if not 1 <= len(words) <= 6:
        return False
    if fold(name) in site_keys:
        return False
    if _COMPANY.search(name):  # publishers and agencies' legal names are not bylines
        return False
    if all(w.strip(".,:'’").lower() in _GENERIC for w in words):
        return False
    return any(ch.isalpha() for ch in name)


def clean_name(raw: str, site_keys: set[str]) -> str | None:
    name = clean(raw)
    name = _LEAD_JUNK.sub("", name)
    name = _LABEL.sub("", name)
    name = _ROLE_TAIL.sub("", name)
    name = name.strip(" ,;:-–—|·•'\"“”")
    words = name.split()
    # a trailing role word after a full name: "Christoph Hein Chefredakteur"
    while len(words) > 2 and words[-1].lower().strip(".,") in _GENERIC:
        words.pop()
    name = " ".join(words)
    if not re.search(r"(?:^|\s)\w\.$", name):  # keep the dot of a final initial ("C.")
        name = name.rstrip(".")
    if name.startswith("@"):
        return None
    return name if _looks_like_name(name, site_keys) else None


def split_byline(text: str, site_keys: set[str]) -> list[str]:
    """"By X and Y | 18 Feb 2025" → ["X", "Y"]."""
    text = clean(text)
    text = text.lstrip(" |·•-–—:~")
    if re.match(r"^(?:https?:|www\.)", text, re.IGNORECASE):
        return []
    text = _LEAD_JUNK.sub("", text)
    if _POSTED.match(text):
        posted_by = _POSTED_BY.search(text)
        if not posted_by:
            return []
        text = posted_by.group("rest")
    text = _LABEL.sub("", text)
    if _COMPANY.search(text):
        return []
    stop = _STOP.search(text)
    if stop and stop.start() > 0:
        text = text[: stop.start()]
    names = []
    for part in _SPLIT.split(text):
        name = clean_name(part, site_keys)
        if name and name not in names:
            names.append(name)
    return names


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
        name = value.get("name")
        if isinstance(name, (dict, list)):
            return _names_from_ld(name, data, site_keys, depth + 1)
        if isinstance(name, str):
            if "organization" in type_names(value) or "newsmediaorganization" in type_names(value):
                cleaned = clean_name(name, site_keys)
                return [cleaned] if cleaned else []
            return split_byline(name, site_keys)
        given, family = value.get("givenName"), value.get("familyName")
        if isinstance(given, str) and isinstance(family, str):
            cleaned = clean_name(f"{given} {family}", site_keys)
            return [cleaned] if cleaned else []
    return []


_BYLINE_XPATH = (
    ".//*[@rel='author' or contains(@rel,'author') or @itemprop='author' or "
    "contains(concat(' ', normalize-space(@class), ' '), 'byline') or "
    "contains(@class,'author') or contains(@id,'byline') or contains(@class,'Byline') or "
    "contains(@class,'Author') or contains(@class,'contributor')]"
)
_NOT_BYLINE = ("comment", "bio", "about-author", "author-box", "authorbox", "author-info",
               "author-description", "avatar", "author-image", "author-img", "author-photo",
               "related", "sidebar", "widget", "footer")


def _visible_bylines(tree: HtmlElement) -> list[HtmlElement]:
    found = []
    for el in tree.xpath(_BYLINE_XPATH):
        if el.tag in ("meta", "link", "script", "style", "img", "body", "html", "article"):
            continue
        skip = False
        for anc in el.iterancestors():
            if anc.tag in ("aside", "footer", "nav") or any(
                n in f"{anc.get('class') or ''} {anc.get('id') or ''}".lower() for n in _NOT_BYLINE
            ):
                skip = True
                break
        own = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
        if skip or any(n in own for n in _NOT_BYLINE):
            continue
        text = clean(el.text_content())
        if not text or len(text) > 200:
            continue
        found.append(el)
    return found


def extract_authors(
    tree: HtmlElement, data: Structured, site_keys: set[str]
) -> tuple[list[str], str | None]:
    """Return ``(authors, byline_as_printed)``."""
    visible = _visible_bylines(tree)
    byline = None
    for el in visible:
        text = clean(el.text_content())
        if _LABEL.match(text) and len(text) < 150:
            byline = text
            break
    if byline is None and visible:
        byline = clean(visible[0].text_content())

    article = data.article()
    if article is not None:
        names = _names_from_ld(article.get("author") or article.get("creator"), data, site_keys)
        if names:
            return names, byline

    names: list[str] = []
    for el in visible:
        for name in split_byline(el.text_content(), site_keys):
            if name not in names:
                names.append(name)
        if names and (el.get("rel") == "author" or el.get("itemprop") == "author"):
            continue
        if names:
            break
    if names:
        return names, byline

    for raw in data.all_meta("author", "article:author", "parsely-author", "sailthru.author",
                             "dc.creator", "dcterms.creator", "byl", "byline"):
        names = [n for n in split_byline(raw, site_keys)]
        if names:
            return names, byline
    return [], byline

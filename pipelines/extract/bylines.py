"""Authors and the byline as printed.

Order of evidence: the article's schema.org ``author`` (JSON-LD or microdata; Person,
Organization, strings, arrays, ``@id`` references), then the visible byline (rel=author,
itemprop=author, class*=byline/author), then ``<meta name=author>`` and its kin.  Every
candidate goes through :func:`split_byline` and :func:`clean_name`, which drop labels
("By", "Von", "Par"…), dates, roles, URLs, the site's own name and account junk.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import cache, partial
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from .given_names import starts_with_given_name, without_titles
from .printed_dates import headline_element
from .structured import Structured, type_names
from .text_utils import clean, first_str, fold, hidden

# Leading labels, in the languages the byline rules cover.
_LABEL = re.compile(
    r"^(?:[~©]\s*)?(?:(?:text|texte|words|interview)\s+(?:und|and|et|&)\s+(?:interviews?|fotos?|photos?)"
    r"\s*:\s*|redaktion\s*:\s*|about the author\b\s*[-–—:]?\s*|über (?:den|die) autor(?:in)?\b\s*[-–—:]?\s*|"
    r"(?:(?:written|posted|published|reported|text|story|words|report(?:ing)?|recipe|"
    r"photos?|geschrieben|verfasst|veröffentlicht|publiziert|erstellt|gespeichert|eingetragen|"
    r"(?:blog[- ]?)?beitrag|(?:blog[- ]?)?post|artikel|rezept|submitted|publié|escrito|scritto|geschreven|autor(?:in)?|auteur|"
    r"author(?:s)?|articolo|redacción|eingestellt)\s*)?"
    r"(?:by|von|par|por|di|door|texte?|text|autor(?:in|en)?|auteurs?|authors?|"
    r"author)\b\s*[:.]?\s*)",
    re.IGNORECASE,
)
# "Posted on 3 May 2024 by X" / "Veröffentlicht am 8. Februar 2022 von X": the name is after
# the date; without a "by"/"von" part such a line names nobody.
_POSTED = re.compile(r"^(?:posted|published|veröffentlicht|publiziert|erstellt|publié|eingestellt|"
                     r"pubblicato|publicado|gepubliceerd|gespeichert|eingetragen|submitted)\b",
                     re.IGNORECASE)
_POSTED_BY = re.compile(r"\b(?:by|von|par|por|da|door)\s+(?P<rest>.+)$", re.IGNORECASE)
# Link texts around a name: "View all posts by X", "Zum Profil von X".
_LEAD_JUNK = re.compile(
    r"^(?:(?:view|see|read|more|all)\b.*?\b(?:posts?|articles?|stories|beiträge|artikel)\s+"
    r"(?:by|from|von)\s+|(?:zum\s+)?profil\s+(?:von\s+)?|(?:view|see)\s+(?:the\s+)?profile\s+"
    r"(?:of\s+)?|(?:alle\s+)?(?:beiträge|artikel)\s+von\s+)",
    re.IGNORECASE)
# Where a byline stops being names: separators, dates, "Updated", e-mail, Twitter handles.
_STOP = re.compile(
    r"\s*(?:\||•|·|—|–|»|\s-\s|\s-$|\bupdated\b|\bpublished\b|\bposted\b|\blast\s+(?:modified|updated)\b|"
    r"\baktualisiert\b|\bveröffentlicht\b|\bmis à jour\b|\bpublié\b|\bactualizado\b|"
    r"\bon\s+(?=\w+\s+\d)|\bam\s+\d|\b(?:am|le|el|il|op)\s+[^\W\d]+,?\s+\d|\ble\s+\d|\bel\s+\d|\bil\s+\d|\bop\s+\d|\bum\s+\d|"
    r"\b(?:mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+\d|"
    r"\b(?:illustra(?:tion|tionen|tor|tions)|fotos?|photos?|photography|bilder?|grafik|graphics?|"
    r"kamera|camera|video|übersetzung|translat(?:ion|ed)|ilustra(?:ción|dor|tor))\b\s*(?:von|by|:|de|por)|"
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|"
    r"(?-i:\s(?:for|For|FOR)\s+(?:the\s+|The\s+|THE\s+)?[A-Z])|"  # "X for The Mail on Sunday"
    r"\bhace\s+\d|\bvor\s+\d|\b\d+\s+(?:min|minutes?|hours?|stunden?|horas?|heures?)\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|"
    r"\b\d{1,2}\.?\s+(?:jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec)[a-zä]*\b)",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\ben\b|\bwith\b|\bmit\b|"
                    r"\bavec\b|\bcon\b|\bmet\b|\bim gespräch mit\b|\bin conversation with\b)\s*", re.IGNORECASE)
# Account and placeholder names: never an author, alone or after "By".
_ACCOUNT = frozenset(
    ["admin", "administrator", "wordpressadmin", "webmaster", "root", "user", "guest", "anonymous",
     "unknown", "author", "authors", "autor", "autorin", "auteur", "system", "moderator", "member",
     "super", "publisher", "site", "blog", "post", "posts", "article", "articles", "posted", "published",
     "veröffentlicht", "publiziert", "am", "on", "the", "our", "and", "by", "of", "de", "del", "der",
     "des", "la", "le", "el", "il", "guest-author", "null", "none", "n/a", "archives", "archive",
     "profile", "profil", "website", "homepage", "follow", "folgen", "subscribe", "abonnieren",
     "about", "über"]
)
# Person roles: dropped after a name ("Christoph Hein Chefredakteur", "Jane Doe, Political
# Correspondent"), and a part made only of them is dropped when a real name stands beside it.
_ROLE = frozenset(
    ["editor", "editors", "senior", "chief", "contributor", "contributing", "contributors",
     "correspondent", "correspondents", "reporter", "reporters", "columnist", "political",
     "foreign", "freelance", "chefredakteur", "chefredakteurin", "redakteur", "redakteurin",
     "journalist", "journalistin", "writer", "writers", "staff", "photographer", "photos",
     "fotograf", "fotografin", "editor-in-chief", "managing", "deputy", "at", "large"]
)
# Desks, teams and agencies' generic words: valid as a byline ("Harbourside Culture Desk",
# "Redaktion", "Staff Writer"), but never stripped from a longer name.
_DESK = frozenset(
    ["desk", "team", "redaktion", "rédaction", "redacción", "redazione", "redactie", "editorial",
     "newsroom", "news", "online", "web", "digital", "agencies", "agency", "agenturen", "press",
     "release", "office", "services", "service"]
)
_GENERIC = _ACCOUNT | _ROLE | _DESK
_BUTTONS = frozenset(["follow", "folgen", "subscribe", "abonnieren", "kontakt", "contact"])
_COMPANY = re.compile(
    r"\b(?:gmbh|ag|e\.\s?v\.?|inc\.?|ltd\.?|llc|plc|s\.a\.|sas|sarl|s\.r\.l\.|b\.v\.|verlag|"
    r"ministerium|ministry|bundesamt)(?=\W|$)|\bfür\b", re.IGNORECASE)
# Organisations (associations, foundations, parties, universities, firms) are neither people nor
# desks: the issuer of a press release, not its byline; a person may stand before one.
_ORGANISATION = re.compile(
    r"\b(?:solutions|holding|corporation|company|association|foundation|university|universität|"
    r"hochschule|partei|rotes\s+kreuz|red\s+cross)(?=\W|$)|"
    r"\w*(?:verband|stiftung|gesellschaft|verein|institut)\b", re.IGNORECASE)
_HANDLE = re.compile(r"(?<=\s)@\w+")
_CREDIT_WORDS = re.compile(r"\b(?:designed|design|theme|powered|template|plugin|фото|foto|photo)\b",
                           re.IGNORECASE)
# Lower-case words that join a phrase, never a name ("Iberische Weine in Berlin"); name
# particles (von, van, de, da, del, y, bin…) are not among them.
_PHRASE_WORD = re.compile(r"\s(?:in|im|at|for|from|of|the|by|zum|zur|auf|bei|aus|über|für|sur|pour|"
                          r"dans|nel|nella|per|para|sobre)\s")
_ROLE_TAIL = re.compile(r"\s*\((?:[^)]*)\)\s*$")


def _looks_like_name(name: str, site_keys: set[str]) -> bool:
    if not (2 <= len(name) <= 70):
        return False
    if re.search(r"https?:|www\.|@|\.com\b|\.html?\b|[<>{}=()!?:]", name, re.IGNORECASE):
        return False  # also a headline ("…wagen!") or a label left in ("Illustrator: X")
    if _CREDIT_WORDS.search(name) or _PHRASE_WORD.search(name):  # "Fuchsy designed"
        return False
    # digits only inside a user name ("r23"), never a date or a number on its own
    if re.search(r"\d", name) and (len(name.split()) > 1 or not re.fullmatch(r"[^\W\d_]+[\w.-]*", name)):
        return False
    words = name.split()
    if not 1 <= len(words) <= 6:
        return False
    if fold(name) in site_keys:
        return False
    if _COMPANY.search(name) or _ORGANISATION.search(name):  # publishers, firms, associations
        return False
    folded = [w.strip(".,:'’").lower() for w in words]
    if all(w in _ACCOUNT for w in folded) or (len(words) == 1 and folded[0] in _ROLE):
        return False
    return any(ch.isalpha() for ch in name)


def clean_name(raw: str, site_keys: set[str]) -> str | None:
    name = clean(raw)
    name = _LEAD_JUNK.sub("", name)
    name = _LABEL.sub("", name)
    name = _LEAD_JUNK.sub("", name)
    name = _ROLE_TAIL.sub("", name)
    name = _HANDLE.sub("", name).strip()  # "Williams Perdomo @wperdomod"
    name = name.strip(" ,;:-–—|·•'\"“”")
    words = name.split()
    # a trailing role word after a full name: "Christoph Hein Chefredakteur"
    while len(words) > 2 and words[-1].lower().strip(".,") in _ROLE:
        words.pop()
    # a button glued to the name in an author card: "Jane Doe Follow"
    while len(words) > 1 and words[-1].lower() in _BUTTONS:
        words.pop()
    half = len(words) // 2
    if len(words) % 2 == 0 and half and words[:half] == words[half:] \
            and len(words[0].rstrip(".")) > 1:  # "jesusfreak jesusfreak", not "R. R."
        words = words[:half]
    name = " ".join(words)
    if not re.search(r"(?:^|\s)\w\.$", name):  # keep the dot of a final initial ("C.")
        name = name.rstrip(".")
    if name.startswith("@"):
        return None
    return name if _looks_like_name(name, site_keys) else None


def split_byline(text: str, site_keys: set[str]) -> list[str]:
    """"By X and Y | 18 Feb 2025" → ["X", "Y"]."""
    text = clean(html.unescape(text))  # JSON-LD strings with "Redacci&oacute;n"
    text = text.lstrip(" |·•-–—:~")
    if re.match(r"^(?:https?:|www\.)", text, re.IGNORECASE):
        return []
    text = _LEAD_JUNK.sub("", text)
    text = _DATE_BEFORE_LABEL.sub("", text)
    dated = _DATED_NAME.match(text)
    if dated:
        text = dated.group("name")
    if _POSTED.match(text):
        posted_by = _POSTED_BY.search(text)
        if not posted_by:
            return []
        text = posted_by.group("rest")
    interview = _INTERVIEW.match(text)
    if interview:
        text = interview.group("by")
    text = _LABEL.sub("", text)
    text = _LEAD_JUNK.sub("", text)
    if _COMPANY.search(text):
        return []
    stop = _STOP.search(text)
    if stop and stop.start() > 0:
        text = text[: stop.start()]
    names = []
    generic_part = False  # a part that is only a role or desk word ("Staff")
    for part in _SPLIT.split(text):
        if site_keys and fold(part) in site_keys or _ORGANISATION.search(part):
            # "Jane Doe, BBC News, London", "example.de, Frankfurt, Germany", "Ministerium
            # für Umwelt, Klima und Energie": what follows the site's or an organisation's
            # name is its address or the rest of its name, never more people
            break
        name = clean_name(part, site_keys)
        if name and name not in names:
            names.append(name)
        generic_part = generic_part or bool(part.strip()) and _is_generic(part)
    real = [n for n in names if not _is_generic(n)]
    if real and generic_part and not any(map(person_like, real)):
        # "Staff and news service reports", "Redaktion und Agenturen": one desk credit
        whole = clean_name(text, site_keys)
        if whole:
            return [whole]
    return real or names


def _is_generic(name: str) -> bool:
    """Only role/desk words ("Political Correspondent", "Staff"): kept only when alone."""
    return all(w.strip(".,:'’").lower() in _GENERIC for w in name.split())


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


# Attribute words that mark a byline element (class, id, rel or itemprop, any case):
# author, byline, contributor, username, posted-by, submitted (see _marked_elements).
# All class/id/rel/itemprop values in one XPath call: scanning the attribute strings in
# Python is several times cheaper than a contains() predicate per element in libxml2.
_MARK_ATTRS = etree.XPath("//@class|//@id|//@rel|//@itemprop")
# Class/id words of blocks whose names are not the article's author: comments, teasers of
# other articles, sidebars and footers.  Matched on whole hyphen/underscore-separated parts of
# a class, so "right-sidebar" on a layout wrapper counts but only when that wrapper does not
# also hold the headline.
_NOT_BYLINE = re.compile(
    r"(?:^|[-_\s])(?:comments?|commentlist|comment-author|respond|reply|avatar|related|recent|"
    r"popular|sidebar|widget|footer|slider|carousel|share|sharing|newsletter|reviewer|"
    r"testimonials?|quote|"
    r"image-author|media-license|copyright|credit|caption|menu|breadcrumb)(?:$|[-_\s])",
    re.IGNORECASE,
)
# Author boxes (bio, picture): they describe the article's author, but their text is a bio
# with other names in it; used only as the last resort, and only inside the article.
_AUTHOR_BOX = re.compile(
    r"(?:^|[-_\s])(?:bio|biography|about-?author|author-?box|authorbox|author-?info|"
    r"author-?description|author-?bio|author-?image|author-?img|author-?photo|author-?avatar)"
    r"(?:$|[-_\s])",
    re.IGNORECASE,
)
# Layout modifiers ("has-double-sidebar", "no-sidebar") and a post's own footer
# ("post-footer", "entry-footer": Blogger and WordPress print the byline there) are no
# furniture of their own.
_LAYOUT_MODIFIER = re.compile(r"(?:^|\s)(?:(?:has|with|no|without)-[\w-]+|"
                              r"(?:post|entry|article|story)-footer[\w-]*)(?=\s|$)", re.IGNORECASE)
_NOT_BYLINE_TAGS = frozenset({"aside", "footer", "nav", "form", "figure", "figcaption"})
# Elements never taken as a byline themselves, whatever their class says.
_SKIP_TAGS = frozenset({"meta", "link", "script", "style", "img", "body", "html", "article",
                        "main", "section", "form", "input", "textarea", "label", "button",
                        "select", "option", "svg", "noscript", "template", "iframe", "head",
                        "title"})
# A date and time before the label: "06.11.2023 13:30 von Olga".
_DATE_FIRST = (r"(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2})(?:,?\s+\d{1,2}:\d{2}"
               r"(?:\s*uhr)?)?\s*[-–|,]?\s*")
_DATE_BEFORE_LABEL = re.compile(r"^" + _DATE_FIRST + r"(?=(?:by|von|par|por|door)\s)", re.IGNORECASE)
# "Ein Interview von Jane Doe mit Ole Brink": the interviewer wrote it, not the guest
_INTERVIEW = re.compile(r"^(?:ein|eine|an?|un|une|una)?\s*(?:interview|gespräch|conversation|entretien|"
                        r"entrevista|intervista)\s+(?:von|by|de|par|di|door)\s+(?P<by>.+?)\s+"
                        r"(?:mit|with|avec|con|met)\s+", re.IGNORECASE)
# "25.10.2022 - Jane Doe": a date, a dash and a name alone (the meta row of a CMS view)
_DATED_NAME = re.compile(r"^\s*(?:\d{1,2}\.\d{1,2}\.\d{4}|\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})"
                         r"\s+[-–|·]\s+(?P<name>[^\W\d_](?:[^\d\s|·–—]|\s(?![-–|·]))+?)\s*$")
# Short text that starts like a byline, for themes without byline classes.
_TEXT_BYLINE = re.compile(
    r"^\s*(?:" + _DATE_FIRST + r")?(?:(?:written|posted|published|submitted|geschrieben|verfasst|"
    r"veröffentlicht|gespeichert|eingetragen|eingestellt|(?:blog[- ]?)?beitrag|(?:blog[- ]?)?post|"
    r"publié|escrito|publicado|scritto|pubblicato|text)\s+)?"
    r"(?:by|von|par|por|di|door)\s*:?\s+(?P<name>\S)|"
    r"^[\s|·•–—-]*(?:autor(?:in|en)?|author|auteur|text|redaktion)\s*:\s*(?P<labelled>\S)",
    re.IGNORECASE,
)
_TEXT_BYLINE_TAGS = frozenset({"p", "span", "div", "small", "address", "li", "em", "i", "strong",
                               "b", "h4", "h5", "h6", "td"})
# Where bylines are looked for (marked or by their text); iterating these tags only is
# much cheaper than a Python object for every element of the page.
_SCANNED_TAGS = tuple(_TEXT_BYLINE_TAGS | {"a", "h3", "h2", "h1", "cite", "header", "dd", "dt",
                                           "ul", "ol", "address", "u", "font", "abbr", "time"})


_BARE_LABEL = re.compile(r"^[\s|·•:,-]*(?:(?:written|posted|published|geschrieben|verfasst|"
                         r"veröffentlicht|eingestellt|erstellt|publié|escrito|publicado)\s+|"
                         r"(?:ein|eine|an?|un|une|una)?\s*(?:interview|gespräch|conversation|"
                         r"entretien|entrevista|intervista)\s+)?"
                         r"(?:by|von|par|por|di|door|autor(?:in|en)?|author|authors|auteur|"
                         r"autore|text|texte|verfasser(?:in)?|redaktion)\s*:?\s*$",
                         re.IGNORECASE)
# "Redaktion" is a label before a colon, and the desk's byline in an author element.
_DESK_LABEL = re.compile(r"^\s*redaktion\s*$", re.IGNORECASE)
_LABEL_TAGS = frozenset({"dt", "span", "strong", "b", "div", "p", "small", "em", "i"})


_RUNNING_TEXT = 300  # characters of paragraphs: the article's text has begun


def _text_byline(el: HtmlElement, text: str, dated: bool = False) -> bool:
    """A short line "By Jane Doe …", not a sentence of the article that starts with
    "Von den …"/"By clicking …": a capitalised name follows, and the line is short.  With
    ``dated`` (above the article's text) also "25.10.2022 - Jane Doe"."""
    dated_name = _DATED_NAME.match(text) if dated else None
    if dated_name and len(el) == 0:
        return person_like(dated_name.group("name"))
    match = _TEXT_BYLINE.match(text)
    if not match or (match.group("name") and not match.group("name").isupper()):
        return False
    content = clean(el.text_content())
    return len(content) <= 100 and not re.search(r"\w{3,}[.!?]\s+\w", content)


def _class_words(el: HtmlElement) -> str:
    attrs = f"{el.get('class') or ''} {el.get('id') or ''}".strip()
    return _LAYOUT_MODIFIER.sub(" ", attrs) if attrs else ""


def _blocked_classes(el: HtmlElement) -> bool:
    attrs = _class_words(el)
    return bool(attrs) and bool(_NOT_BYLINE.search(attrs) or _AUTHOR_BOX.search(attrs))


def _headline_holders(tree: HtmlElement, data: Structured | None = None) -> set[HtmlElement]:
    """Elements that contain the page's headline (every <h1>, and the heading that matches the
    declared title: Blogger's <h3 class=post-title> inside its "widget Blog"): layout
    wrappers, never a sidebar or a comment list, whatever their classes say."""
    holders: set[HtmlElement] = set()
    for h1 in tree.iter("h1"):
        holders.update(h1.iterancestors())
    headline = headline_element(tree, data) if data is not None else None
    if headline is not None:
        holders.update(headline.iterancestors())
    return holders


def _furniture(el: HtmlElement, holders: set[HtmlElement]) -> str | None:
    """'box' when the element sits in an author box, 'other' in comments, sidebars,
    footers…, None inside the article."""
    box = False
    for anc in el.iterancestors():
        if anc.tag in ("body", "html"):
            break
        if anc in holders:
            continue
        if anc.tag in _NOT_BYLINE_TAGS:
            return "other"
        attrs = _class_words(anc)
        if attrs:
            if _NOT_BYLINE.search(attrs):
                return "other"
            if _AUTHOR_BOX.search(attrs):
                box = True
    return "box" if box else None


def _in_article(el: HtmlElement, holders: set[HtmlElement]) -> bool:
    """Inside a block that also holds the headline (not merely <body>)."""
    return any(anc in holders and anc.tag not in ("body", "html") for anc in el.iterancestors())


def _marked_elements(tree: HtmlElement) -> set[HtmlElement]:
    marked = set()
    for value in _MARK_ATTRS(tree):
        low = value.lower()
        if "author" in low or "byline" in low or value.attrname != "id" and (
                # id="username" is the login widget, not a byline
                "contributor" in low or "username" in low or "posted-by" in low
                or "submitted" in low):
            el = value.getparent()
            # itemprop="author" on an Organization: the publisher, which the markup rules judge
            if "organization" not in (el.get("itemtype") or "").lower():
                marked.add(el)
    return marked


def _visible_bylines(tree: HtmlElement, data: Structured | None = None
                     ) -> tuple[list[HtmlElement], list[HtmlElement]]:
    """Byline-like elements in document order: marked up ones (class/rel/itemprop) and short
    lines starting "By …"/"Von …"/"Posted by …", outside comments, author boxes and sidebars;
    and, apart, the marked elements inside author boxes within the article."""
    holders = _headline_holders(tree, data)
    marked = _marked_elements(tree)
    found: list[HtmlElement] = []
    boxed: list[HtmlElement] = []
    paragraphs = 0  # characters of <p> text so far: past the article's start, dated lines
    for el in tree.iter(*_SCANNED_TAGS):  # are a calendar's
        tag = el.tag
        if tag == "p" and paragraphs <= _RUNNING_TEXT:
            paragraphs += len(el.text_content())
        text = el.text
        if text is not None and (text.isspace() or not text):
            text = None
        is_marked = el in marked
        if not is_marked and text is None:
            continue
        if tag in _LABEL_TAGS and text and len(text.strip()) <= 40 and _BARE_LABEL.match(text) \
                and not (is_marked and _DESK_LABEL.match(text)):
            if len(el):  # "<small>Verfasst von: <strong>Name</strong> | date</small>"
                is_marked = True
            else:  # <dt>Auteur</dt><dd>Name</dd>, <span>Por</span><a>Name</a>
                sibling = el.getnext()
                while sibling is not None and sibling.tag == "br" and not (sibling.tail or "").strip():
                    sibling = sibling.getnext()
                if sibling is not None and sibling.tag != "br":
                    marked.add(sibling)
                    continue
                parent = el.getparent()
                tail = (el.tail or "").strip()
                if parent is None or parent.tag in _SKIP_TAGS or (parent.text or "").strip() \
                        or any((prev.tail or "").strip() or clean(prev.text_content())
                               for prev in el.itersiblings(preceding=True)):
                    continue
                # the label opens its parent, the name is the text after it:
                # <a><b>Von:</b><br/> Name</a>, <p><span>By</span> Jane Doe</p>
                el, tag, is_marked = parent, parent.tag, True
                if el in holders or (not tail and not any((c.tail or "").strip() for c in el)):
                    continue
                if len(clean(el.text_content())) > 100:
                    continue
        if not (is_marked or text and tag in _TEXT_BYLINE_TAGS
                and _text_byline(el, text, dated=paragraphs <= _RUNNING_TEXT)):
            continue
        if el in holders:
            continue
        attrs = _class_words(el)
        if attrs and _NOT_BYLINE.search(attrs):
            continue
        content = clean(el.text_content())
        if not content or len(content) > 200:
            continue
        where = _furniture(el, holders)
        if where is None and not (attrs and _AUTHOR_BOX.search(attrs)):
            found.append(el)
        elif where != "other" and is_marked and _in_article(el, holders):
            boxed.append(el)
    return found, boxed


def _spaced_text(el: HtmlElement) -> str:
    """Text with a space between child elements: "Jane Doe<span>Published …" must not glue
    into "DoePublished"."""
    return clean(" ".join(t for t in el.itertext() if t.strip()))


def _printed_byline(visible: list[HtmlElement]) -> str | None:
    for el in visible:
        text = clean(el.text_content())
        if _LABEL.match(text) and len(text) < 150:
            return text
    return clean(visible[0].text_content()) if visible else None


_NAME_PART = re.compile(r"(?:^|[-_\s])(?:fn|name|author-?name|authorname|display-?name)(?:$|[-_\s])",
                        re.IGNORECASE)


def _name_parts(el: HtmlElement) -> list[HtmlElement]:
    """The parts of a byline element that hold the name itself (hCard ``fn``, ``*-name``,
    itemprop=name): "Matthias <a class=author-twitter>handle</a>" gives only the name."""
    parts = []
    for sub in el.iterdescendants():
        if not isinstance(sub.tag, str):
            continue
        if (sub.get("itemprop") == "name" or _NAME_PART.search(sub.get("class") or "")) \
                and not any(p in parts for p in sub.iterancestors()):
            parts.append(sub)
    return parts


def _element_names(el: HtmlElement, site_keys: set[str]) -> list[str]:
    names: list[str] = []
    parts = _name_parts(el)
    if parts:
        label = _LABEL.match(clean(el.text or "")) and not _LABEL.match(_spaced_text(parts[0]))
        for part in parts:
            text = _spaced_text(part)
            for name in split_byline(("by " + text) if label else text, set()):
                if name not in names:
                    names.append(name)
    if not names:
        names = split_byline(_spaced_text(el), set())
    # "By Nada Tawfik, BBC News, New York": the site's name after a person ends the names
    for i, name in enumerate(names):
        if i and fold(name) in site_keys:
            return names[:i]
    return names


def _printed_names(visible: list[HtmlElement], site_keys: set[str]) -> list[str]:
    """Names of the first byline element that has any (all rel/itemprop=author ones in a
    row), hidden ones (a theme's ``rich-snippet-hidden`` vcard of the CMS account) after
    those shown.  The site's own name counts when the page prints it as the byline ("von
    creeny" on a blog named Creeny, "Von Presse Augsburg"): that is the credit the page
    gives."""
    names: list[str] = []
    ordered = sorted(visible, key=hidden)
    for i, el in enumerate(ordered):
        for name in _element_names(el, site_keys):
            if name not in names:
                names.append(name)
        if names and (el.get("rel") == "author" or el.get("itemprop") == "author"):
            continue
        if names:
            if all(_LOGIN_ONLY.match(n) for n in names):
                later = [o for o in ordered[i + 1:]  # not the next post's byline
                         if (o.tag, o.get("class")) != (el.tag, el.get("class"))]
                return _later_person(later, site_keys) or names
            break
    return names


# A CMS login as the submitted-by line ("Gespeichert von human am …"): lower case, one word.
_LOGIN_ONLY = re.compile(r"^[^\W\d_A-Z][\w.-]*$")


def _later_person(visible: list[HtmlElement], site_keys: set[str]) -> list[str]:
    """A later byline of the article that names people in full ("Blog Beitrag von Jane
    Doe" in the text under a CMS's "submitted by jdoe" line)."""
    for el in visible:
        names = _element_names(el, site_keys)
        if names and all(person_like(n) for n in names):
            return names
    return []


_BOX_NAME_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6", "strong", "b", "a", "span", "p", "div"})


def _box_names(boxed: list[HtmlElement], site_keys: set[str]) -> list[str]:
    """One person named in an author box inside the article: the box's name part, else its
    first short heading/strong/link line that is a name ("Autor" <h4>Jane Doe</h4> bio…)."""
    for el in boxed:
        names = _element_names(el, site_keys)
        if len(names) == 1 and fold(names[0]) not in site_keys:
            return names
        for sub in el.iterdescendants(*_BOX_NAME_TAGS):
            text = _spaced_text(sub)
            if not text or len(text) > 60:
                continue
            names = split_byline(text, site_keys)
            if len(names) == 1:
                return names
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


# The post author's own replies under the post: WordPress marks them ``bypostauthor``.
_POST_AUTHOR_COMMENT = etree.XPath(
    "(//*[contains(concat(' ', normalize-space(@class), ' '), ' bypostauthor ')])[1]"
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')][1]")


def _commenting_post_author(tree: HtmlElement) -> list[str]:
    """The name on the first comment the comment system marks as the post author's (on a
    personal blog the site's name too: that account wrote the post)."""
    for el in _POST_AUTHOR_COMMENT(tree)[:1]:
        names = split_byline(clean(el.text_content()), set())
        if len(names) == 1 and not _is_generic(names[0]):
            return names
    return []


_NON_WORD = re.compile(r"[\W_]+")
# Soft hyphens and zero-width characters: "Mat\xadthi\xadas" is printed as "Matthias".
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_BODY_TEXT = etree.XPath("//body//text()[not(ancestor::script or ancestor::style "
                         "or ancestor::noscript or ancestor::template)]")


def _words(text: str) -> str:
    return " " + _NON_WORD.sub(" ", _INVISIBLE.sub("", text).casefold()).strip() + " "


def _page_text(tree: HtmlElement) -> str:
    """The visible text of the page body as space-separated lower-case words."""
    return _words(" ".join(_BODY_TEXT(tree)))


# The types SEO plugins stamp on every post (Yoast, Rank Math): their author is the CMS
# account that saved the page (a web agency, a press-office clerk) unless the page prints it.
_CMS_DEFAULT_TYPES = frozenset({"article", "blogposting", "posting", "creativework_article",
                                "webpage"})


def _printed_somewhere(names: list[str], page_text: str) -> list[str]:
    """The names the page also prints somewhere in its body."""
    return [n for n in names if _words(n).strip() and _words(n) in page_text]


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
    found = {clean(m) for m in pattern.findall(" ".join(_BODY_TEXT(tree)))}
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


def person_like(name: str) -> bool:
    """"Simon Kohler", "Anne-Marie de la Tour": two to five words, capitalised given and
    family names, no desk, role or acronym word."""
    words = name.split()
    if not 2 <= len(words) <= 5 or not words[0][0].isupper() or not words[-1][0].isupper():
        return False
    if any(w.lower().strip(".,") in _GENERIC for w in words):
        return False
    # an acronym among other words is an organisation ("ACLU Racial Justice Program"); a name
    # set in capitals is styled so throughout ("JANE DOE")
    capitals = [len(w) > 1 and w.isupper() for w in words]
    return all(capitals) or not any(capitals)


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
    then the printed byline, then ``<meta name=author>``, then an author box.  A first name
    alone is completed with the full name the page gives it elsewhere."""
    page_text = cache(partial(_page_text, tree))  # read once, and only if a rule needs it
    names, byline = _authors(tree, data, site_keys, page_text)
    names = [name for name in names if not _the_site_itself(name, site_keys)]
    if names and not _printed_somewhere(names, page_text()):
        # named only in the markup, shown to no reader: the CMS account that saved the page
        # or a byline the site chose not to print
        return [], byline
    return [_full_name(name, tree, data) for name in names], byline


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


_FIRST_NAME_ONLY = re.compile(r"^[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+$")


def _full_name(name: str, tree: HtmlElement, data: Structured) -> str:
    """"Todd" (the CMS's display name) → "Todd Bates", when exactly one full name starting
    with it is printed as a name (an hCard ``fn``, a ``*-name`` element, ``itemprop=name``)
    or opens the description of the author's Person node ("Stefanus Stahl - engineer…")."""
    if not _FIRST_NAME_ONLY.match(name):
        return name
    found: set[str] = set()
    for value in _NAME_ELEMENTS(tree):
        text = clean(value.getparent().text_content())
        if text.startswith(name + " ") and len(text) <= 40 and person_like(text):
            found.add(text)
    for node in data.nodes():
        if "person" in type_names(node) and first_str(node.get("name")) == name:
            described = re.match(r"([^\W\d_][\w'’-]*(?:\s+[^\W\d_][\w'’.-]*){1,2})\s+[-–—,(]",
                                 first_str(node.get("description")) or "")
            if described and described.group(1).startswith(name + " ") \
                    and person_like(described.group(1)):
                found.add(described.group(1))
    return found.pop() if len(found) == 1 else name


_NAME_ELEMENTS = etree.XPath("//@itemprop[.='name']|//@class[contains(., 'name') or "
                             "contains(., 'fn')]")


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


_EMPHASIS = frozenset({"b", "strong", "i", "em"})
# Bold closing lines that are no signature: "Weitere Informationen", "Read More", "Mehr Infos".
_CLOSING_WORDS = re.compile(
    r"\b(?:weitere[nrs]?|mehr|infos?|informationen|links?|kontakt|quellen?|hinweise?|anzeige|"
    r"fazit|tipps?|lesen|siehe|auch|read|more|related|share|newsletter|comments?|kommentare?|"
    r"updates?|fotos?|bilder|videos?|galerie|teilen|see|also|sources?|notes?|disclaimer|"
    r"sponsored|werbung|credits?|contact|about|über|download|"
    r"\w+(?:ung|ungen|heit|keit|schaft|tion|tionen|ismus|ität))\b", re.IGNORECASE)
_SIGNATURE_BLOCKS = frozenset({"p", "div"})


def signature_author(tree: HtmlElement, text: str, site_keys: set[str]) -> list[str]:
    """The article signed at its end: the text's last line is a person's name alone, set
    in bold or italics as a paragraph of its own (``<p><b><i>Jane Doe</i></b></p>``), the
    way many regional papers and magazines sign pieces that print no byline above."""
    last = text.rstrip().rpartition("\n")[2].strip()
    if not last or len(last) > 50 or not person_like(last) or fold(last) in site_keys:
        return []
    if clean_name(last, site_keys) != last or _CLOSING_WORDS.search(last):
        return []
    for el in tree.iter(*_SIGNATURE_BLOCKS):
        if (el.text or "").strip() or len(el) != 1 or el[0].tag not in _EMPHASIS:
            continue
        if (el[0].tail or "").strip() or clean(el.text_content()) != last:
            continue
        return [last]
    return []

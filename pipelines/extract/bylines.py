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
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from .structured import Structured, type_names
from .text_utils import clean, fold

# Leading labels, in the languages the byline rules cover.
_LABEL = re.compile(
    r"^(?:[~©]\s*)?(?:about the author\b\s*[-–—:]?\s*|über (?:den|die) autor(?:in)?\b\s*[-–—:]?\s*|"
    r"(?:(?:written|posted|published|reported|text|story|words|report(?:ing)?|recipe|"
    r"photos?|geschrieben|verfasst|veröffentlicht|publiziert|erstellt|gespeichert|eingetragen|"
    r"beitrag|artikel|rezept|submitted|publié|escrito|scritto|geschreven|autor(?:in)?|auteur|"
    r"author(?:s)?|articolo|redacción)\s*)?"
    r"(?:by|von|par|por|di|door|texte?|text|autor(?:in)?|auteurs?|authors?|"
    r"author)\b\s*[:.]?\s*)",
    re.IGNORECASE,
)
# "Posted on 3 May 2024 by X" / "Veröffentlicht am 8. Februar 2022 von X": the name is after
# the date; without a "by"/"von" part such a line names nobody.
_POSTED = re.compile(r"^(?:posted|published|veröffentlicht|publiziert|erstellt|publié|"
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
    r"\s*(?:\||•|·|—|–|»|\s-\s|\s-$|\bupdated\b|\bpublished\b|\bposted\b|\blast\s+modified\b|"
    r"\baktualisiert\b|\bveröffentlicht\b|\bmis à jour\b|\bpublié\b|\bactualizado\b|"
    r"\bon\s+(?=\w+\s+\d)|\bam\s+\d|\ble\s+\d|\bel\s+\d|\bil\s+\d|\bop\s+\d|\bum\s+\d|"
    r"\b(?:mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+\d|"
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|"
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
     "des", "la", "le", "el", "il", "guest-author", "null", "none", "n/a"]
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
_COMPANY = re.compile(
    r"\b(?:gmbh|ag|e\.\s?v\.?|inc\.?|ltd\.?|llc|plc|s\.a\.|sas|sarl|s\.r\.l\.|b\.v\.|verlag|"
    r"ministerium|ministry|bundesamt)(?=\W|$)|\bfür\b", re.IGNORECASE)
_HANDLE = re.compile(r"(?<=\s)@\w+")
_ROLE_TAIL = re.compile(r"\s*\((?:[^)]*)\)\s*$")


def _looks_like_name(name: str, site_keys: set[str]) -> bool:
    if not (2 <= len(name) <= 70):
        return False
    if re.search(r"https?:|www\.|@|\.com\b|\.html?\b|[<>{}=()]", name, re.IGNORECASE):
        return False
    # digits only inside a user name ("r23"), never a date or a number on its own
    if re.search(r"\d", name) and (len(name.split()) > 1 or not re.fullmatch(r"[^\W\d_]+[\w.-]*", name)):
        return False
    words = name.split()
    if not 1 <= len(words) <= 6:
        return False
    if fold(name) in site_keys:
        return False
    if _COMPANY.search(name):  # publishers and agencies' legal names are not bylines
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
    half = len(words) // 2
    if len(words) % 2 == 0 and half and words[:half] == words[half:]:  # "jesusfreak jesusfreak"
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
    if _POSTED.match(text):
        posted_by = _POSTED_BY.search(text)
        if not posted_by:
            return []
        text = posted_by.group("rest")
    text = _LABEL.sub("", text)
    text = _LEAD_JUNK.sub("", text)
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
    real = [n for n in names if not _is_generic(n)]
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


_BYLINE_XPATH = (
    ".//*[@rel='author' or contains(@rel,'author') or @itemprop='author' or "
    "contains(@class,'byline') or contains(@class,'Byline') or contains(@id,'byline') or "
    "contains(@class,'author') or contains(@class,'Author') or contains(@class,'contributor') or "
    "contains(@class,'username') or contains(@class,'posted-by') or contains(@class,'submitted')]"
)
# Class/id words of blocks whose names are not the article's author: comments, author boxes
# (bio, avatar), teasers of other articles, sidebars and footers.  Matched on whole
# hyphen/underscore-separated parts of a class, so "right-sidebar" on a layout wrapper counts
# but only when that wrapper does not also hold the headline.
_NOT_BYLINE = re.compile(
    r"(?:^|[-_\s])(?:comments?|commentlist|comment-author|respond|reply|bio|biography|"
    r"about-?author|author-?box|authorbox|author-?info|author-?description|author-?bio|"
    r"author-?image|author-?img|author-?photo|author-?avatar|avatar|related|recent|popular|"
    r"sidebar|widget|footer|slider|carousel|share|sharing|newsletter|reviewer|"
    r"image-author|media-license|copyright|credit|caption|menu|breadcrumb)(?:$|[-_\s])",
    re.IGNORECASE,
)
_NOT_BYLINE_TAGS = frozenset({"aside", "footer", "nav", "form", "figure", "figcaption"})
_SKIP_TAGS = frozenset({"meta", "link", "script", "style", "img", "body", "html", "article",
                        "main", "section", "ul", "ol", "form", "input", "textarea", "label",
                        "button", "select", "option", "svg"})
# Short text that starts like a byline, for themes without byline classes.
_TEXT_BYLINE = re.compile(
    r"^\s*(?:(?:written|posted|published|submitted|geschrieben|verfasst|veröffentlicht|"
    r"gespeichert|eingetragen|beitrag|publié|escrito|publicado|scritto|pubblicato)\s+)?"
    r"(?:by|von|par|por|di|door)\s*:?\s+(?P<name>\S)|"
    r"^\s*(?:autor(?:in)?|author|auteur|text)\s*:\s*(?P<labelled>\S)",
    re.IGNORECASE,
)
_TEXT_BYLINE_TAGS = ("p", "span", "div", "small", "address", "li", "em", "strong", "b", "h4",
                     "h5", "h6", "td")


_BARE_LABEL = re.compile(r"^\s*(?:by|von|par|por|di|door|autor(?:in)?|author|auteur|autore|"
                         r"text|texte|verfasser(?:in)?|redaktion)\s*:?\s*$", re.IGNORECASE)


def _text_byline(el: HtmlElement) -> bool:
    """A short line "By Jane Doe …", not a sentence of the article that starts with
    "Von den …"/"By clicking …": a capitalised name follows, and the line is short."""
    match = _TEXT_BYLINE.match(el.text or "")
    if not match or (match.group("name") and not match.group("name").isupper()):
        return False
    text = clean(el.text_content())
    return len(text) <= 100 and not re.search(r"\w{3,}[.!?]\s+\w", text)


def _blocked_classes(el: HtmlElement) -> bool:
    attrs = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(attrs.strip()) and bool(_NOT_BYLINE.search(attrs))


def _headline_holders(tree: HtmlElement) -> set[HtmlElement]:
    """Elements that contain the page's headline: layout wrappers, never a sidebar or a
    comment list, whatever their classes say."""
    holders: set[HtmlElement] = set()
    for h1 in tree.iter("h1"):
        holders.update(h1.iterancestors())
    return holders


def _outside_article(el: HtmlElement, holders: set[HtmlElement]) -> bool:
    for anc in el.iterancestors():
        if anc.tag in ("body", "html"):
            break
        if anc in holders:
            continue
        if anc.tag in _NOT_BYLINE_TAGS or _blocked_classes(anc):
            return True
    return False


_LABEL_TAGS = frozenset({"dt", "span", "strong", "b", "div", "p"})


def _visible_bylines(tree: HtmlElement) -> list[HtmlElement]:
    """Byline-like elements in document order: marked up ones (class/rel/itemprop) and short
    lines starting "By …"/"Von …"/"Posted by …", outside comments, author boxes and sidebars."""
    holders = _headline_holders(tree)
    marked = set(tree.xpath(_BYLINE_XPATH))
    found = []
    for el in tree.iter(*_TEXT_BYLINE_TAGS, "a", "h3", "h2", "h1", "cite", "header", "dd", "dt"):
        text = el.text
        if text and len(text) <= 12 and el.tag in _LABEL_TAGS and not len(el) \
                and _BARE_LABEL.match(text):
            # <dt>Auteur</dt><dd>Name</dd>, <span>Por</span><a>Name</a>
            sibling = el.getnext()
            if sibling is not None:
                marked.add(sibling)
            continue
        if not (el in marked or text and el.tag in _TEXT_BYLINE_TAGS and _text_byline(el)):
            continue
        if _blocked_classes(el) or el in holders:
            continue
        content = clean(el.text_content())
        if not content or len(content) > 200 or _outside_article(el, holders):
            continue
        found.append(el)
    return found


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


def _printed_names(visible: list[HtmlElement], declared: set[str]) -> list[str]:
    """Names of the first byline element that has any (all rel/itemprop=author ones in a
    row).  The site's own name counts when the page prints it as the byline ("von creeny"
    on a blog named Creeny, "Von Presse Augsburg"): that is the credit the page gives."""
    names: list[str] = []
    for el in visible:
        for name in split_byline(_spaced_text(el), declared):
            if name not in names:
                names.append(name)
        if names and (el.get("rel") == "author" or el.get("itemprop") == "author"):
            continue
        if names:
            break
    return names


def _meta_names(data: Structured, site_keys: set[str]) -> list[str]:
    for raw in data.all_meta("author", "article:author", "parsely-author", "sailthru.author",
                             "dc.creator", "dcterms.creator", "byl", "byline"):
        names = split_byline(raw, site_keys)
        if names:
            return names
    return []


_NON_WORD = re.compile(r"[\W_]+")
_BODY_TEXT = etree.XPath("//body//text()[not(ancestor::script or ancestor::style "
                         "or ancestor::noscript or ancestor::template)]")


def _words(text: str) -> str:
    return " " + _NON_WORD.sub(" ", text.casefold()) + " "


def _page_text(tree: HtmlElement) -> str:
    """The visible text of the page body as space-separated lower-case words."""
    return _words(" ".join(_BODY_TEXT(tree)))


# The types SEO plugins stamp on every post (Yoast, Rank Math): their author is the CMS
# account that saved the page (a web agency, a press-office clerk) unless the page prints it.
_CMS_DEFAULT_TYPES = frozenset({"article", "blogposting", "posting", "creativework_article"})


def _printed_somewhere(names: list[str], tree: HtmlElement) -> list[str]:
    """The names the page also prints somewhere in its body."""
    if not names:
        return names
    page_text = _page_text(tree)
    return [n for n in names if _words(n).strip() and _words(n) in page_text]


_LOGIN = re.compile(r"^[^\W\d_]+(?:[._][^\W\d_]+)+$")


def _with_display_names(names: list[str], others: list[str]) -> list[str]:
    """"christian.stadtfeld" (a CMS login in the JSON-LD) → the printed "Christian P.
    Stadtfeld" whose first and last words match it."""
    out = []
    for name in names:
        if _LOGIN.match(name):
            parts = [fold(p) for p in re.split(r"[._]", name)]
            for other in others:
                words = [fold(w) for w in other.split()]
                if len(words) >= 2 and words[0] == parts[0] and words[-1] == parts[-1]:
                    name = other
                    break
        out.append(name)
    return out


def extract_authors(
    tree: HtmlElement, data: Structured, site_keys: set[str]
) -> tuple[list[str], str | None]:
    """Return ``(authors, byline_as_printed)``.

    JSON-LD first (a login there is replaced by the display name printed or in the meta),
    then the printed byline, then ``<meta name=author>``."""
    visible = _visible_bylines(tree)
    byline = _printed_byline(visible)
    printed_names = _printed_names(visible, set())
    meta_names = _meta_names(data, site_keys)
    article = data.article()
    unprinted: set[str] = set()
    if article is not None:
        names = _names_from_ld(article.get("author") or article.get("creator"), data, site_keys)
        names = _with_display_names(names, printed_names + meta_names)
        if not type_names(article) - _CMS_DEFAULT_TYPES:
            printed = _printed_somewhere(names, tree)
            unprinted = {fold(n) for n in names if n not in printed}
            names = printed
        if names:
            return names, byline
    if printed_names:
        return printed_names, byline
    # <meta name=author> alone is trusted, unless it only repeats that unprinted account
    return [n for n in meta_names if fold(n) not in unprinted], byline

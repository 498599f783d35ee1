"""Dates the page prints: with its headline (``shown_date``), labelled as the publication
anywhere in its text (``labelled_date``), and in an "originally published …" note
(``originally_published``).  Declared values and their arbitration are in ``dates``.

The date printed with the headline (dateline, byline row, "Published …"/"Updated …") is the
one a reader, and an archivist citing the page, takes as the article's date.  It is read from
the text right after the headline (or just before it: kicker rows), never from sidebars,
teasers or comments further down.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate, islice
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from .structured import Structured
from .text_utils import clean, first_str, hidden, hidden_self, original_url
from .urls import join_url, url_path

EARLIEST = datetime(1995, 1, 1)  # before it, a "date" on a news page is something else

def us_style(lang: str) -> bool:
    """Numeric dates read month first: English, except where English writes the day first."""
    lang = lang.lower()
    return lang.startswith("en") and lang[3:5] not in _DAY_FIRST_ENGLISH



_MONTHS = {
    1: "january jan janvier janv enero ene gennaio gen januari januar jänner jaenner janeiro",
    2: "february feb februar feber février fevrier févr fevr fév febrero febbraio februari"
       " fevereiro fev",
    3: "march mar märz maerz mär mrz mars marzo maart mrt março marco",
    4: "april apr avril avr abril abr aprile",
    5: "may mai mayo maggio mag mei maio",
    6: "june jun juni juin junio giugno giu junho",
    7: "july jul juli juillet juil julio luglio lug julho",
    8: "august aug août aout agosto ago augustus",
    9: "september sep sept septembre septiembre setiembre settembre set setembro",
    10: "october oct oktober okt octobre octubre ottobre ott outubro out",
    11: "november nov novembre noviembre novembro",
    12: "december dec dezember dez décembre decembre déc dic diciembre dicembre dezembro",
}
_MONTH_OF = {name: number for number, names in _MONTHS.items() for name in names.split()}
_MONTH = ("(" + "|".join(sorted(map(re.escape, _MONTH_OF), key=len, reverse=True))
          + r")(?![^\W\d_])\.?")
_YEAR = r"((?:19|20)\d{2})(?!\d)"
# "14 gennaio 20)": a dateline's two-digit year, closed by punctuation or the end of the text
_YEAR_OR_SHORT = r"((?:19|20)\d{2}(?!\d)|\d{2}(?=\s*(?:[)\]|,;]|$)))"
# a two-digit year may be glued to a time ("28.09.1912:44" = 28.09.19, 12:44)
_NUM_YEAR = r"((?:19|20)\d{2}(?![\d:])|\d{2}(?=\d{1,2}:\d{2})|\d{2}(?!\d))"
_VISIBLE_DATE = re.compile(
    r"(?<![\d.])(?P<d1>\d{1,2})(?:\.|er|st|nd|rd|th|º)?\s*(?:de\s+)?"
    + _MONTH.replace("(", "(?P<m1>", 1)
    + r",?\s*(?:de\s+)?" + _YEAR_OR_SHORT.replace("(", "(?P<y1>", 1)
    + r"|" + _MONTH.replace("(", "(?P<m2>", 1) + r"\s*(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+"
    + _YEAR.replace("(", "(?P<y2>", 1)
    + r"|(?<![\d.])(?P<d3>\d{1,2})\.\s?(?P<m3>\d{1,2})\.\s?" + _NUM_YEAR.replace("(", "(?P<y3>", 1)
    + r"|(?<![\d./-])(?P<y4>(?:19|20)\d{2})-(?P<m4>\d{1,2})-(?P<d4>\d{1,2})(?![\d-])"
    + r"|(?<![\d/])(?P<a5>\d{1,2})/(?P<b5>\d{1,2})/(?P<y5>(?:19|20)\d{2})(?!\d)"
    + r"|(?P<y6>(?:19|20)\d{2})\s*年\s*(?P<m6>\d{1,2})\s*月\s*(?P<d6>\d{1,2})\s*日",
    re.IGNORECASE,
)
# A month and day without a year ("24. Juni", "June 24", "[06月24日 11時30分]"): the year comes
# from the page's other evidence (``with_year``).  Month names that are also common words or
# weekday abbreviations ("mar": martes/mardi, "set", "out", "ago") are left out; a number after
# the day must be a time, not a year.
_AMBIGUOUS_MONTH_WORDS = frozenset({"mar", "set", "out", "ago"})
_YEARLESS_MONTH = ("(" + "|".join(sorted(map(re.escape, set(_MONTH_OF) - _AMBIGUOUS_MONTH_WORDS),
                                         key=len, reverse=True)) + r")(?![^\W\d_])\.?")
_NO_YEAR = r"(?!\d)(?![,\s]*(?:de\s+)?(?:19|20)?\d{2}(?![\d:hH.]))"
_YEARLESS_DATE = re.compile(
    r"(?<![\d.])(?P<d1>\d{1,2})(?:\.|er|st|nd|rd|th|º)?\s*(?:de\s+)?"
    + _YEARLESS_MONTH.replace("(", "(?P<m1>", 1) + _NO_YEAR
    + r"|(?<![^\W\d_])" + _YEARLESS_MONTH.replace("(", "(?P<m2>", 1)
    + r"\s*(?P<d2>\d{1,2})(?:st|nd|rd|th)?" + _NO_YEAR
    + r"|(?<![\d年])(?P<m3>\d{1,2})\s*月\s*(?P<d3>\d{1,2})\s*日",
    re.IGNORECASE,
)
_TIME = re.compile(r"\d{1,2}\s*(?:[:h時]\s*\d{2}\s*(?:分|uhr|h|am|pm|a\.m\.|p\.m\.)?)",
                   re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{2,}")
_UPDATED_LABEL = re.compile(
    r"(?<!\w)(?:updated|update|aktualisiert|aktualisierung|zuletzt|geändert|editiert|edited|"
    r"stand|mis\s+à\s+jour|modifié|actualizado|actualización|aggiornat[oa]|aggiornamento|"
    r"bijgewerkt|gewijzigd|revised|modified)\W{0,3}(?:\w+\W{1,3}){0,2}$", re.IGNORECASE)
_PUBLISHED_LABEL = re.compile(
    r"(?<!\w)(?:published|posted|veröffentlicht|erschienen|publiziert|publié|publicado|"
    r"pubblicato|gepubliceerd|originally|created|erstellt|erscheinungsdatum)"
    r"\W{0,3}(?:\w+\W{1,3}){0,2}$",
    re.IGNORECASE)
_OTHER_LABEL = re.compile(
    r"(?<!\w)(?:registriert|mitglied\s+seit|dabei\s+seit|joined|member\s+since|registered|inscrit|"
    r"registrado|iscritto|lid\s+sinds|geboren|born|termin|event|deadline|frist)"
    r"\W{0,3}(?:\w+\W{1,3})?$",
    re.IGNORECASE)
_TITLE_PARTS = re.compile(r"\s+[-|–—:·•»/]+\s+|\s*::\s*|\s*[|｜]\s*")
_AFTER_NODES = 40          # text nodes read after the headline, at most
_AFTER_CHARS = 1000        # the headline's block: standfirst, byline row, dateline
_BODY_STARTED = 300        # chars after which a heading ends the block (teasers, subheads)
_BEFORE_NODES = 40         # text nodes (empty ones too) read above the headline, at most
_BEFORE_CHARS = 150
_DATE_AT_MOST_AT = 30      # chars into its text node
_DAY_FIRST_ENGLISH = ("gb", "au", "nz", "ie", "in", "za")
_IN_SENTENCE = re.compile(r"\b(?:am|vom|bis|zum|ab|seit|on|from|until|since|to|du|au|"
                          r"el|del|desde|hasta|il|dal|al|op|van|tot)\W+$", re.IGNORECASE)
_TOKEN = re.compile(r"\w+")
_LABEL_WORDS = ("published", "posted", "veröffentlicht", "erschienen", "publiziert", "publié",
                "publicado", "pubblicato", "gepubliceerd", "gepostet")
_LABELLED_DATE = re.compile(
    r"(?<!\w)(?:published|posted|veröffentlicht|erschienen|publiziert|publié|publicado|"
    r"pubblicato|gepubliceerd)(?:\s+(?:on|am|le|el|il|op))?\W{0,3}(?P<date>" + _VISIBLE_DATE.pattern
    + r")|(?<!\w)(?:am|on)\s+(?P<date2>" + _VISIBLE_DATE.pattern.replace("?P<", "?P<x")
    + r")(?:\W{1,3}\w+){0,4}\W{1,3}(?:gepostet|veröffentlicht|publiziert|published|posted)\b",
    re.IGNORECASE)
_CODE = re.compile(r"function\s*\(|[{;]\s*$|\bdocument\.|\bwindow\.")  # script text the parser left
_CHROME_TAGS = frozenset({"nav", "footer", "menu"})  # an <aside> may hold the article's meta row
_CHROME = re.compile(r"\b(?:\w+[-_])?(?:nav|navigation|menu|sidebar|widget|comments?|related|"
                     r"teasers?|breadcrumbs?|footer)(?:[-_]\w+)?\b", re.IGNORECASE)
_COMMENTS = re.compile(r"comment|respond|reply|discussion", re.IGNORECASE)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_HEADING_CLASS = re.compile(r"(?<![\w-])h[1-4](?![\w-])")  # a teaser's "h2"-styled title


@dataclass
class Shown:
    day: str           # "" while only the month and day are known
    label: str | None  # "published", "updated" or None
    after: bool        # after the headline (else in the row just above it)
    month_day: tuple[int, int] | None = None  # printed without a year


def with_year(month: int, day: int, evidence: str) -> str | None:
    """A month and day printed without a year, placed in the year of ``evidence`` (an ISO date:
    a declared date, the URL's, htmldate's guess), or the year before when that would put it
    more than two months after the evidence ("24 December" on a page dated 3 January)."""
    try:
        base = date.fromisoformat(evidence[:10])
    except ValueError:
        return None
    for year in (base.year, base.year - 1):
        try:
            found = date(year, month, day)
        except ValueError:  # 29 February, or no such day
            continue
        if found <= base + timedelta(days=62):
            return found.isoformat() if found >= EARLIEST.date() else None
    return None


def _day_of(match: re.Match, english: bool) -> str | None:
    g = match.groupdict()
    try:
        if g["y1"]:
            y, m, d = int(g["y1"]), _MONTH_OF[g["m1"].lower()], int(g["d1"])
            if y < 100:
                y += 2000 if y < 70 else 1900
        elif g["y2"]:
            y, m, d = int(g["y2"]), _MONTH_OF[g["m2"].lower()], int(g["d2"])
        elif g["y3"]:
            y, m, d = int(g["y3"]), int(g["m3"]), int(g["d3"])
            if y < 100:
                y += 2000 if y < 70 else 1900
        elif g["y4"]:
            y, m, d = int(g["y4"]), int(g["m4"]), int(g["d4"])
        elif g["y5"]:
            a, b = int(g["a5"]), int(g["b5"])
            month_first = (english and a <= 12) or b > 12
            y, m, d = int(g["y5"]), (a if month_first else b), (b if month_first else a)
        else:
            y, m, d = int(g["y6"]), int(g["m6"]), int(g["d6"])
        found = date(y, m, d)
    except (ValueError, KeyError):
        return None
    if found < EARLIEST.date() or found.year > date.today().year + 1:
        return None
    return found.isoformat()


def headline_element(tree: HtmlElement, data: Structured) -> HtmlElement | None:
    """The printed headline: the heading (an <h1> on ties) closest to a declared title or to a
    part of one (titles carry the site name: "Headline - Site")."""
    titles = list(data.og.get("og:title", []))
    article = data.article()
    if article:
        titles.append(first_str(article.get("headline")) or "")
    title_el = tree.find(".//title")
    if title_el is not None:
        titles.append(title_el.text_content() or "")
    site = {clean(n).lower() for n in data.og.get("og:site_name", [])}
    wanted = []
    for title in filter(None, map(clean, titles)):
        for part in [title, *_TITLE_PARTS.split(title)]:
            words = frozenset(_TOKEN.findall(part.lower()))
            if words and part.lower() not in site and words not in wanted:
                wanted.append(words)
    if not wanted:
        return None
    best, best_score = None, 0.0
    for candidates in (tree.iter("h1"), tree.iter("h2", "h3")):
        for el in islice(candidates, 40):
            heading = set(_TOKEN.findall(_heading_text(el).lower()))
            if not heading or hidden(el) or _links_home(el):
                continue
            score = max(2 * len(heading & w) / (len(heading) + len(w)) for w in wanted)
            score += {"h1": 0.02, "h2": 0.01}.get(el.tag, 0.0)
            if score > best_score:
                best, best_score = el, score
        if best_score >= 0.6:
            return best
    return None


def _links_home(el: HtmlElement) -> bool:
    """A site logo set as a heading: its whole text is a link to the home page."""
    for anchor in el.iter("a"):
        href = original_url((anchor.get("href") or "").strip())
        if url_path(href) in ("", "/") and not href.startswith("#") \
                and clean(anchor.text_content()) == clean(el.text_content()):
            return True
    return False


def _heading_text(el: HtmlElement) -> str:
    """A heading's text without its ruby readings (the furigana over Japanese kanji)."""
    if el.find(".//rt") is None:
        return el.text_content()
    return "".join(el.xpath(".//text()[not(ancestor::rt or ancestor::rp)]"))



def _in_chrome(el: HtmlElement | None) -> bool:
    """Inside navigation, a sidebar, teasers, comments or the footer."""
    while el is not None and el.tag not in ("body", "article", "main"):
        attrs = f"{el.get('class') or ''} {el.get('id') or ''}"
        if el.tag in _CHROME_TAGS or _CHROME.search(attrs):
            return True
        el = el.getparent()
    return False


def _in_comments(el: HtmlElement | None) -> bool:
    """Inside a comment thread."""
    while el is not None and el.tag != "body":
        if _COMMENTS.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
            return True
        el = el.getparent()
    return False



def _is_heading(el: HtmlElement) -> bool:
    cls = el.get("class")
    return el.tag in _HEADINGS or bool(cls and "h" in cls and _HEADING_CLASS.search(cls))


def _inside(el: HtmlElement) -> Iterator[tuple[str, HtmlElement]]:
    """The visible text inside ``el`` in document order, each with the element showing it;
    a heading is announced by an empty text (the next item begins there)."""
    if hidden_self(el):
        return
    if _is_heading(el):
        yield "", el
    if el.text:
        yield el.text, el
    for child in el:
        yield from _inside(child)
        if child.tail:
            yield child.tail, el


def _following(el: HtmlElement) -> Iterator[tuple[str, HtmlElement]]:
    """The visible text after ``el`` (not inside it), nearest first."""
    while el is not None and el.tag not in ("body", "html"):
        parent = el.getparent()
        if el.tail and parent is not None:
            yield el.tail, parent
        for sibling in el.itersiblings():
            yield from _inside(sibling)
            if sibling.tail:
                yield sibling.tail, parent
        el = parent


def _preceding(el: HtmlElement) -> Iterator[tuple[str, HtmlElement]]:
    """The visible text before ``el`` (not its ancestors' own), nearest first."""
    while el is not None and el.tag not in ("body", "html"):
        parent = el.getparent()
        for sibling in el.itersiblings(preceding=True):
            if sibling.tail:
                yield sibling.tail, parent
            if not isinstance(sibling.tag, str):
                continue
            whole = sibling.text_content()
            if any(c.isdigit() for c in whole):
                yield from reversed(list(_inside(sibling)))
            else:  # no date in it: one block, for the length budget only
                yield whole, sibling
        if parent is not None and parent.text:
            yield parent.text, parent
        el = parent


def _dates_in(text: str, stream: str, english: bool) -> list[Shown]:
    """Dates at the head of one text node (a dateline, a byline row), with the label the text
    before them gives; a date deep inside running text is what the article is about."""
    out: list[Shown] = []
    if not any(c.isdigit() for c in text[:_DATE_AT_MOST_AT + 8]):
        return out
    for match in _VISIBLE_DATE.finditer(text[:_DATE_AT_MOST_AT + 40]):
        if match.start() > _DATE_AT_MOST_AT:
            break
        day = _day_of(match, english)
        if not day:
            continue
        before = (stream + " " + text[:match.start()])[-40:]
        if _OTHER_LABEL.search(before) or "©" in before:
            continue  # a member's join date, an event's date, a photo's credit
        label = ("updated" if _UPDATED_LABEL.search(before) else
                 "published" if _PUBLISHED_LABEL.search(before) else None)
        if label is None and len(text) > 100 and _IN_SENTENCE.search(before):
            continue  # "the summit opens on 5 May 2024 …"
        out.append(Shown(day, label, True))
    if not out:
        out = _yearless_in(text, stream)
    return out


def _yearless_in(text: str, stream: str) -> list[Shown]:
    """Month-and-day dates at the head of one text node (no full date in it)."""
    out: list[Shown] = []
    for match in _YEARLESS_DATE.finditer(text[:_DATE_AT_MOST_AT + 20]):
        if match.start() > _DATE_AT_MOST_AT:
            break
        g = match.groupdict()
        if g["m1"]:
            month, day = _MONTH_OF[g["m1"].lower()], int(g["d1"])
        elif g["m2"]:
            month, day = _MONTH_OF[g["m2"].lower()], int(g["d2"])
        else:
            month, day = int(g["m3"]), int(g["d3"])
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        before = (stream + " " + text[:match.start()])[-40:]
        if _OTHER_LABEL.search(before) or _IN_SENTENCE.search(before):
            continue  # "bis 3. April", "Am 1. Januar hat …": a date the text speaks of
        rest = _TIME.sub(" ", text[match.end():])
        if len(_WORD.findall(rest)) > 3:
            continue  # the date opens a sentence, not a dateline
        label = ("updated" if _UPDATED_LABEL.search(before) else
                 "published" if _PUBLISHED_LABEL.search(before) else None)
        out.append(Shown("", label, True, (month, day)))
    return out


def _settle(found: list[Shown], anchor: Callable[[], str | None] | None) -> list[Shown]:
    """Full dates if any; else the month-and-day ones given the year the page's other evidence
    (``anchor``) points to."""
    full = [shown for shown in found if shown.month_day is None]
    if full or not found or anchor is None:
        return full
    evidence = anchor()
    if not evidence:
        return []
    out = []
    for shown in found:
        day = with_year(*shown.month_day, evidence) if shown.month_day else None
        if day:
            out.append(Shown(day, shown.label, shown.after))
    return out


def _label_positions(low: str) -> list[int]:
    out: list[int] = []
    for word in _LABEL_WORDS:
        at = low.find(word)
        while at >= 0 and len(out) < 50:
            out.append(at)
            at = low.find(word, at + 1)
    return sorted(out)


def _text_stream(body: HtmlElement) -> tuple[list[Any], str, list[int]]:
    """The body's text nodes (no scripts or styles), their cleaned text joined by spaces, and
    where each starts in it (``bisect_right(starts, i) - 1`` is the node holding index i)."""
    texts = [t for t in body.xpath(".//text()[not(parent::script or parent::style)]")
             if not t.isspace()]
    cleaned = [clean(t) for t in texts]
    starts = list(accumulate((len(t) + 1 for t in cleaned), initial=0))
    return texts, " ".join(cleaned), starts


def labelled_date(tree: HtmlElement, lang: str = "") -> str | None:
    """A day the page labels as its publication anywhere in its text ("Erschienen am …",
    "Published on …", "… wurde am … gepostet"), outside comments."""
    body = tree.find("body")
    if body is None:
        return None
    everything = body.text_content().lower()  # scripts too: only a cheap first look
    if not any(word in everything for word in _LABEL_WORDS):
        return None
    texts, stream, starts = _text_stream(body)
    english = us_style(lang)
    for position in _label_positions(stream.lower()):
        match = _LABELLED_DATE.search(stream, max(0, position - 80), position + 80)
        if match is None:
            continue
        at = match.start("date") if match.group("date") else match.start("date2")
        date_match = _VISIBLE_DATE.match(stream, at)
        day = _day_of(date_match, english) if date_match else None
        if not day:
            continue
        owner = texts[bisect_right(starts, at) - 1].getparent()
        if owner is not None and not _in_comments(owner):
            return day
    return None


def shown_date(tree: HtmlElement, data: Structured, lang: str = "",
               anchor: Callable[[], str | None] | None = None) -> Shown | None:
    """The date printed with the headline: the first in the lines after it, one labelled as the
    publication date preferred; else the nearest in the row just above it (kicker lines).
    A date printed without its year ("24. Juni") takes it from ``anchor()``, the page's best
    other evidence, asked only then."""
    head = headline_element(tree, data)
    if head is None:
        return None
    english = us_style(lang)
    found: list[Shown] = []
    stream, chars = "", 0
    nodes = 0
    for text, owner in _following(head):
        if not text and _is_heading(owner) and chars >= _BODY_STARTED:
            break  # past the standfirst: a teaser's headline, or the body's subheads
        text = clean(text)
        if not text or _CODE.search(text):
            continue
        nodes += 1
        if nodes > _AFTER_NODES:
            break
        dates = _dates_in(text, stream, english)
        if dates and not _in_chrome(owner):
            found += dates
        stream = (stream + " " + text)[-80:]
        chars += len(text)
        if len(found) >= 3 or chars > _AFTER_CHARS:
            break
    found = _settle(found, anchor)
    if not found:
        chars = 0
        for text, owner in islice(_preceding(head), _BEFORE_NODES):
            text = clean(text)
            if not text:
                continue
            dates = _dates_in(text, "", english)
            if dates and not _in_chrome(owner):
                found.append(Shown(dates[0].day, dates[0].label, False, dates[0].month_day))
            chars += len(text)
            if found or chars > _BEFORE_CHARS:
                break
        found = _settle(found, anchor)
    if not found:
        return None
    return next((shown for shown in found if shown.label == "published"), found[0])


# ------------------------------------------------------------------ "originally published …"
# A note saying when the piece first appeared ("This article was originally published on March
# 3, 2015", "Cet article, initialement publié en avril 2017, a fait l'objet d'une mise à jour"):
# the page's declared publication was re-stamped on an update, its original one is the
# declared value in the stated month (or on the stated day).
_ORIGINALLY = re.compile(
    r"(?<!\w)(?:(?:originally|first)\s+(?:published|posted|appeared|ran)"
    r"|(?:initialement|originellement|originalement)\s+(?:publiée?s?|parue?s?)"
    r"|(?:publiée?s?|parue?s?)\s+(?:initialement|originellement|originalement"
    r"|pour\s+la\s+première\s+fois)"
    r"|(?:erschien|erschienen|veröffentlicht|publiziert)\s+(?:erstmals|ursprünglich|zuerst)"
    r"|(?:erstmals|ursprünglich|zuerst)\s+(?:erschienen|veröffentlicht|publiziert)"
    r"|(?P<adverb>erstmals|ursprünglich|zuerst)(?=\s+(?:am|im)\s)"
    r"|(?:publicad[oa]s?|aparecid[oa]s?)\s+(?:originalmente|originariamente|inicialmente"
    r"|por\s+primera\s+vez)"
    r"|(?:originalmente|originariamente|inicialmente)\s+(?:publicad[oa]s?|pubblicat[oaie])"
    r"|pubblicat[oaie]\s+(?:originariamente|originalmente|inizialmente|per\s+la\s+prima\s+volta)"
    r"|(?:oorspronkelijk|voor\s+het\s+eerst)\s+(?:gepubliceerd|verschenen)"
    r"|(?:gepubliceerd|verscheen|verschenen)\s+(?:oorspronkelijk|voor\s+het\s+eerst)"
    r")(?!\w)",
    re.IGNORECASE)
# a word every note above has (the regex is slow on a whole page's text)
_NOTE_STEMS = ("originally", "originellement", "originalement", "originalmente",
               "originariamente", "initialement", "inicialmente", "inizialmente", "erstmals",
               "ursprünglich", "zuerst", "oorspronkelijk")
_NOTE_FIRST = re.compile(r"(?:first|première|primera|prima|het)\s+(?:published|posted|appeared|"
                         r"ran|fois|vez|volta|eerst)")


def _has_note_word(lowered: str) -> bool:
    return any(stem in lowered for stem in _NOTE_STEMS) or bool(_NOTE_FIRST.search(lowered))


# after the note, a few words ("in The Review on", "le", "am") within its sentence, then the
# date: a full day, or a month and year
_NOTE_DATE = re.compile(
    r"(?:[\s,:]+(?:[^\W\d][^\s.!?;]*)){0,6}?[\s,:]+(?:(?P<full>" + _VISIBLE_DATE.pattern + r")|"
    + _MONTH.replace("(", "(?P<mm>", 1) + r",?\s+(?:de\s+|del\s+|di\s+)?"
    + _YEAR.replace("(", "(?P<my>", 1) + ")",
    re.IGNORECASE)
# "… am 3. März 2015 veröffentlicht": the German verb closes the sentence
_VERB_AFTER = re.compile(r"(?:\W+\w+){0,5}?\W+(?:erschienen|veröffentlicht|publiziert)(?!\w)",
                         re.IGNORECASE)
# the note speaks of the page itself ("This article …", "Dieser Beitrag …") or opens its sentence
_NOTE_SUBJECT = re.compile(
    r"(?:^|[.!?*(\[]\s*|\b(?:article|story|post|piece|column|essay|report|this|artikel|"
    r"beitrag|bericht|text|dieser|diese|dieses|billet|chronique|tribune|ce|cet|cette|artículo|"
    r"nota|reportaje|este|esta|articolo|pezzo|questo|questa|stuk|dit|deze)\b[^.!?]{0,40})$",
    re.IGNORECASE)


@dataclass
class Note:
    period: str      # "2017-04" or "2015-03-03"
    about_page: bool  # the note names the page itself, or opens its sentence


def originally_published(tree: HtmlElement, lang: str = "") -> Note | None:
    """The first "originally published …" note in the page's text (outside comments) that
    gives at least a month and year."""
    body = tree.find("body")
    if body is None:
        return None
    texts, stream, starts = _text_stream(body)
    # Cheap first looks before the slow regex: the words in the text it reads (a script's
    # text, often most of a page's, is left out), then, as before, in all the body's text.
    if not (_has_note_word(stream.lower()) and _has_note_word(body.text_content().lower())):
        return None
    english = us_style(lang)
    for note in _ORIGINALLY.finditer(stream):
        found = _NOTE_DATE.match(stream, note.end())
        if found is None:
            continue
        if found.group("full"):
            day = _day_of(found, english)  # the date's own groups are in the match
            if day is None:
                continue
            period = day
        else:
            period = f"{found['my']}-{_MONTH_OF[found['mm'].lower()]:02d}"
        if note.group("adverb") and not _VERB_AFTER.match(stream, found.end()):
            continue  # "zuerst im Mai 2017 …" without a publishing verb
        owner = texts[bisect_right(starts, note.start()) - 1].getparent()
        if owner is None or _in_comments(owner):
            continue
        head = stream[max(0, note.start() - 60):note.start()]
        return Note(period, bool(_NOTE_SUBJECT.search(head.rstrip())) or not head.strip())
    return None


# ------------------------------------------------------------------ the page's own teaser
_TEASER_CHARS = 300  # a list entry: headline, date, a line of standfirst
_TEASER_LEVELS = 4


def _page_key(href: str, base: str) -> str | None:
    joined = join_url(base, href)
    if joined is None:
        return None
    parts = urlsplit(joined)
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}?{parts.query}"


def listed_date(tree: HtmlElement, url: str, lang: str = "") -> str | None:
    """The day the site's own list entry for this page shows ("latest news" beside the
    article: its headline links here, a date beside it).  One day, or None when the entries
    linking here disagree."""
    body = tree.find("body")
    if body is None or not url:
        return None
    keys = {_page_key(url, url)}
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            keys.add(_page_key(link.get("href"), url))
    keys.discard(None)
    english = us_style(lang)
    days: set[str] = set()
    for anchor in body.iter("a"):
        href = anchor.get("href")
        if not href or href.startswith("#") or _page_key(href, url) not in keys:
            continue
        entry = anchor
        for _ in range(_TEASER_LEVELS):
            entry = entry.getparent()
            if entry is None or entry.tag == "body":
                break
            text = clean(entry.text_content())
            if len(text) > _TEASER_CHARS:
                break
            found = [_day_of(m, english) for m in _VISIBLE_DATE.finditer(text)]
            found = [day for day in found if day]
            if found:
                days.update(found)
                break
    return days.pop() if len(days) == 1 else None

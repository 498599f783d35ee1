"""Published / modified dates with time and offset.

trafilatura (through htmldate) keeps only the day, so the time-bearing sources (schema.org,
``article:published_time``, ``itemprop``, ``<time datetime>``) are read here. The date printed
with the headline arbitrates between them and a CMS's re-stamps; a date labelled as the
publication, then htmldate, are the last resorts.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from itertools import chain

from dateutil import parser as dateutil_parser
from lxml import etree
from lxml.html import HtmlElement

from .printed_dates import (
    EARLIEST,
    Note,
    labelled_date,
    listed_date,
    originally_published,
    shown_date,
    us_style,
)
from .structured import Structured
from .text_utils import clean, first_str, original_url

logger = logging.getLogger(__name__)

_PUBLISHED_META = (
    "article:published_time", "og:published_time", "article:published", "datepublished",
    "pubdate", "publishdate", "publish_date", "publish-date", "published_time", "published-date",
    "article.published", "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date",
    "date", "sailthru.date", "parsely-pub-date", "cxenseparse:recs:publishtime",
    "article_date_original", "originalpublicationdate", "citation_publication_date",
    "citation_date", "datecreated", "dc.date.created", "displaydate",
)
_MODIFIED_META = (
    "article:modified_time", "og:updated_time", "article:modified", "datemodified",
    "lastmod", "last-modified", "dc.date.modified", "dcterms.modified", "updated_time",
    "revised", "modified",
)
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
# Two fill-ins for the parts a string leaves out: a part dateutil filled in (it takes them
# from today) differs between the two readings.
_FILL_IN = (datetime(2001, 1, 1), datetime(2002, 2, 2))


def _parse_full_date(text: str, dayfirst: bool) -> datetime | None:
    """dateutil's reading of ``text``, or None when it gives no full date: "14:30" or
    "10:05 am" alone would otherwise be today at that time, "May 2023" a made-up day."""
    first, second = (dateutil_parser.parse(text, fuzzy=False, dayfirst=dayfirst, default=fill)
                     for fill in _FILL_IN)
    return first if first.date() == second.date() else None


# "10/05/2022", "10-05-2022 05:22 pm": day or month first (the dotted form is day-first)
_NUMERIC_DAY = re.compile(r"^(\d{1,2})([/-])(\d{1,2})\2(?:19|20)\d{2}(?!\d)")


def normalise_date(raw: str | None, dayfirst: bool | None = None) -> str | None:
    """Any common date string → ISO 8601 (date only when the source has no time).
    ``dayfirst`` reads a day/month-ambiguous "10/05/2022" (the page's order, see
    ``numeric_order``); without it such a value is read month first."""
    text = clean(raw)
    if not text or len(text) > 64:
        return None
    if re.fullmatch(r"\d{10}(?:\d{3})?", text):  # epoch seconds / milliseconds
        try:
            value = datetime.fromtimestamp(int(text[:10])).astimezone()
            return value.isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # dateutil's UnknownTimezoneWarning
                # "10.12.2022" is day-first wherever dots are used
                first = bool(re.match(r"^\d{1,2}\.\d{1,2}\.\d{2,4}", text)) or (
                    bool(dayfirst) and _NUMERIC_DAY.match(text) is not None)
                parsed = _parse_full_date(text, first)
        except (ValueError, OverflowError, TypeError):
            return None
        if parsed is None:
            return None
        value = parsed
    naive = value.replace(tzinfo=None)
    if naive < EARLIEST or naive.year > date.today().year + 1:
        return None
    if not _HAS_TIME.search(text) or (
        value.hour == value.minute == value.second == 0 and value.tzinfo is None
        and "T" not in text
    ):
        return value.date().isoformat()
    if value.microsecond:
        value = value.replace(microsecond=0)
    return value.isoformat()


def _from_ld(data: Structured, key: str, dayfirst: bool | None = None) -> str | None:
    article = data.article()
    nodes = [article] if article else []
    nodes += [n for n in data.nodes() if n is not article]
    for node in nodes:
        value = normalise_date(first_str(node.get(key)), dayfirst)
        if value:
            return value
    return None


def _from_meta(data: Structured, names: tuple[str, ...],
               dayfirst: bool | None = None) -> str | None:
    for name in names:
        for raw in data.meta.get(name, []):
            value = normalise_date(raw, dayfirst)
            if value:
                return value
    for name in names:
        for raw in data.og.get(name, []):
            value = normalise_date(raw, dayfirst)
            if value:
                return value
    return None


_ITEMPROP = etree.XPath("descendant::*/@itemprop[.=$prop]/..")
# Every <time> that is a pubdate, classed publish/entry-date or has a datetime, in page order.
_TIMES = etree.XPath(".//time[@pubdate or contains(@class,'publish')"
                     " or contains(@class,'entry-date') or @datetime]")


def _from_markup(tree: HtmlElement, prop: str, times: bool = True,
                 dayfirst: bool | None = None) -> str | None:
    for el in _ITEMPROP(tree, prop=prop):
        value = normalise_date(el.get("datetime") or el.get("content") or el.text_content(),
                               dayfirst)
        if value:
            return value
    if prop == "datePublished" and times:
        for el in _TIMES(tree):
            value = normalise_date(el.get("datetime") or el.text_content(), dayfirst)
            if value:
                return value
    return None


_URL_DAY = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|$|[-_])")


# <link rel> values naming the page itself: their address may carry its date, other links'
# (stylesheets, icons, prefetches, feeds, prev/next) do not
_OWN_ADDRESS = frozenset({"canonical", "amphtml", "shortlink"})


def _asset_urls(tree: HtmlElement) -> list[tuple[HtmlElement, str, str]]:
    """Every ``<script src>`` and ``<link href>`` other than the page's own address, with the
    attribute holding it."""
    out = []
    for el in tree.iter("link", "script"):
        attr = "src" if el.tag == "script" else "href"
        value = el.get(attr)
        if value is None or (el.tag == "link"
                             and _OWN_ADDRESS & set((el.get("rel") or "").lower().split())):
            continue
        out.append((el, attr, value))
    return out


def _from_htmldate(tree: HtmlElement, url: str, extensive: bool = True) -> str | None:
    """htmldate's original date.  Its text search reads the serialised page, attribute values
    included, so a stylesheet's or script's version string ("app.css?v=2022-06-15") would pass
    for a date: those URLs are taken off the tree for the call (htmldate works on its own copy)
    and put back after."""
    from htmldate import find_date

    assets = _asset_urls(tree)
    for el, attr, _ in assets:
        del el.attrib[attr]
    try:
        found = find_date(tree, url=original_url(url), original_date=True,
                          extensive_search=extensive, outputformat="%Y-%m-%d")
    except (ValueError, TypeError) as exc:
        logger.debug("htmldate failed on %s: %s", url, exc)
        return None
    finally:
        for el, attr, value in assets:
            el.set(attr, value)
    return found or None


def warm_up() -> None:
    """Build dateparser's locale tables now (see ``pipelines.extract.preload``): a string no
    locale reads makes it try, and so compile, every one."""
    from htmldate.extractors import get_external_parser

    get_external_parser().get_date_data("Jubiläum 2008 q")


def url_day(url: str) -> str | None:
    """The /2024/05/03/ day in an article URL, if any."""
    match = _URL_DAY.search(original_url(url))
    if not match:
        return None
    try:
        return date(*map(int, match.groups())).isoformat()
    except ValueError:
        return None


def to_local_day(published: str, day: str | None) -> str:
    """A UTC timestamp one day off the page's own day (its URL's /2019/01/01/) was stored in
    UTC by a site in another zone: re-express the same instant with the smallest whole-hour
    offset that lands on that day.  A UTC 22:00 or 23:00 sharp with no other evidence is a
    central-European midnight (a date-only value the CMS converted)."""
    try:
        value = datetime.fromisoformat(published)
    except ValueError:
        return published
    if value.utcoffset() != timedelta(0) or "T" not in published:
        return published
    target = date.fromisoformat(day) if day else None
    minutes = value.hour * 60 + value.minute
    if target == value.date() + timedelta(days=1) and value.hour >= 12:
        shift = -(-(24 * 60 - minutes) // 60)  # hours to reach the next midnight, rounded up
    elif target == value.date() - timedelta(days=1) and value.hour < 12:
        shift = -(minutes // 60 + 1)
    elif target is None and value.minute == value.second == 0 and value.hour in (22, 23):
        shift = 24 - value.hour
    else:
        return published
    return value.astimezone(timezone(timedelta(hours=shift))).isoformat()


def _declared_raw(tree: HtmlElement, data: Structured) -> Iterator[str]:
    """Every raw date value the page declares (schema.org, date metas, ``<time datetime>``)."""
    for node in data.nodes():
        for key in ("datePublished", "dateModified", "dateCreated", "uploadDate"):
            raw = first_str(node.get(key))
            if raw:
                yield raw
    for name in _STRONG_PUBLISHED_META + _PUBLISHED_META + _MODIFIED_META:
        yield from data.meta.get(name, [])
        yield from data.og.get(name, [])
    for el in tree.iter("time"):
        raw = el.get("datetime")
        if raw:
            yield raw



def numeric_order(tree: HtmlElement, data: Structured, lang: str) -> bool | None:
    """Whether the page's day/month-ambiguous declared values ("10/05/2022 05:22 pm") are day
    first: as a value of the same form with a day above 12 shows, else the reading nearest the
    page's other declared dates (a dateModified "2022/05/10 17:36" makes it 10 May), else the
    page language (month first only in US-style English).  None: nothing is ambiguous."""
    ambiguous: list[str] = []
    others: list[str] = []
    votes = 0
    for raw in {clean(raw) for raw in _declared_raw(tree, data)}:
        match = _NUMERIC_DAY.match(raw)
        if match is None:
            others.append(raw)
            continue
        first, second = int(match[1]), int(match[3])
        if first > 12 >= second:
            votes += 1
        elif second > 12 >= first:
            votes -= 1
        elif first != second:
            ambiguous.append(raw)
        else:  # "05/05/2022" reads the same both ways
            others.append(raw)
    if not ambiguous:
        return None
    if votes:
        return votes > 0
    days = [date.fromisoformat(value[:10]) for value in map(normalise_date, others) if value]

    def distance(dayfirst: bool) -> int:
        total = 0
        for raw in ambiguous:
            value = normalise_date(raw, dayfirst)
            if value is None:
                return 1 << 30
            total += min(abs((date.fromisoformat(value[:10]) - day).days) for day in days)
        return total

    if days:
        day_first, month_first = distance(True), distance(False)
        if day_first != month_first:
            return day_first < month_first
    return not us_style(lang)


_STRONG_PUBLISHED_META = ("article:published_time", "og:published_time", "datepublished",
                          "article:published", "parsely-pub-date", "sailthru.date")


def _published_candidates(tree: HtmlElement, data: Structured,
                          dayfirst: bool | None = None) -> Iterator[str]:
    """Every declared publication value, strongest sources first (lazily: the first on the
    printed day usually ends the search)."""
    for node in data.nodes():
        for key in ("datePublished", "dateCreated"):
            value = normalise_date(first_str(node.get(key)), dayfirst)
            if value:
                yield value
    for name in _STRONG_PUBLISHED_META + _PUBLISHED_META:
        for raw in data.meta.get(name, []) + data.og.get(name, []):
            value = normalise_date(raw, dayfirst)
            if value:
                yield value
    for el in tree.iter("time"):
        value = normalise_date(el.get("datetime"), dayfirst)
        if value:
            yield value


def _on_day(day: str, *sources: Iterable[str | None]) -> str | None:
    """The first value on ``day``, re-expressed in the page's zone when it is a UTC instant
    a few hours off it; a time-bearing value wins over a bare day."""
    bare = None
    for value in chain(*sources):
        if not value:
            continue
        value = to_local_day(value, day)
        if value[:10] == day:
            if "T" in value:
                return value
            bare = bare or value
    return bare


def _page_lang(tree: HtmlElement, data: Structured) -> str:
    return (tree.get("lang") or data.first_meta("content-language", "language") or "").strip()


def _created_metas(data: Structured, dayfirst: bool | None) -> Iterator[str]:
    """Date metas naming a creation or publication that the fixed lists do not
    ("dc:date.created", "dcterms:created")."""
    for name, values in data.meta.items():
        if ("creat" in name or "publi" in name) and "modif" not in name:
            for raw in values:
                value = normalise_date(raw, dayfirst)
                if value:
                    yield value


def _in_period(period: str, *sources: Iterable[str | None]) -> str | None:
    """The first value in ``period`` (a month "2017-04" or a day), a time-bearing value winning
    over a bare day."""
    if len(period) == 10:
        return _on_day(period, *sources)
    bare = None
    for value in chain(*sources):
        if value and value.startswith(period):
            if "T" in value:
                return value
            bare = bare or value
    return bare


def _original(note: Note, published: str | None, candidates: Iterable[str]) -> str | None:
    """The publication an "originally published" note points to: the declared value in its
    period, else, on a page declaring no publication at all, the day the note gives (when it
    speaks of the page); ``published`` when that is already in the period or earlier.  A page
    that declares only its re-publication keeps it: the site presents the piece anew."""
    if published and published[:len(note.period)] <= note.period:
        return published
    declared = list(candidates)
    match = _in_period(note.period, declared)
    if match:
        return match
    if len(note.period) == 10 and note.about_page and not declared:
        return note.period
    return published


def fetch_time(headers: Mapping[str, str] | None) -> datetime:
    """When the page was fetched: the response's ``Date`` header, else now (a page is never
    read before it was fetched)."""
    for name, value in (headers or {}).items():
        if name.lower() == "date" and value:
            try:
                sent = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                break
            if sent.tzinfo is None:  # "-0000": UTC, the RFC's "zone unknown"
                sent = sent.replace(tzinfo=timezone.utc)
            return sent
    return datetime.now(timezone.utc)


# The farthest any zone is ahead of UTC (Line Islands): a day or a wall-clock time without an
# offset is after the fetch only when it is after it even there.
_LATEST_OFFSET = timedelta(hours=14)


def after_fetch(value: str, fetched: datetime) -> bool:
    """Whether the ISO ``value`` (a day, a wall-clock time or an instant) is later than the
    fetch, wherever the page was written."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    if "T" not in value:
        return parsed.date() > (fetched.astimezone(timezone.utc) + _LATEST_OFFSET).date()
    if parsed.tzinfo is None:
        return parsed > (fetched.astimezone(timezone.utc) + _LATEST_OFFSET).replace(tzinfo=None)
    return parsed > fetched


def extract_dates(tree: HtmlElement, data: Structured, url: str,
                  fetched: datetime | None = None) -> tuple[str | None, str | None]:
    """The page's publication and modification.  A note that the piece was "originally
    published" in a month, or on a day, earlier than that makes the declared value in that
    period the publication (the note's own day on a page declaring none).  Neither is ever
    later than ``fetched`` (default: now): a later publication gives way to the first declared
    one that is not, else to none; a later modification is dropped."""
    lang = _page_lang(tree, data)
    order = numeric_order(tree, data, lang)
    published, modified = _arbitrate(tree, data, url, lang, order)
    note = originally_published(tree, lang)
    if note is not None:
        published = _original(note, published, chain(
            _published_candidates(tree, data, order), _created_metas(data, order)))
    fetched = fetched or datetime.now(timezone.utc)
    if published and after_fetch(published, fetched):
        published = next((value for value in _published_candidates(tree, data, order)
                          if not after_fetch(value, fetched)), None)
    if modified and after_fetch(modified, fetched):
        modified = None
    return published, modified


def _arbitrate(tree: HtmlElement, data: Structured, url: str, lang: str,
               order: bool | None) -> tuple[str | None, str | None]:
    """Strong sources (schema.org datePublished, article:published_time, itemprop) win unless
    the day printed with the headline differs: then the declared value on that day (a
    republished piece shows its dateModified), or an "Updated …" day newer than the declared
    one.  Without a strong source the printed day (else a day labelled as the publication
    anywhere) wins, weaker sources (generic date metas, <time>) lending it their time; htmldate,
    which weighs all the page's date evidence, is the last resort.  A day printed without its
    year takes it from the first of: the declared dates, the URL's, htmldate's."""
    strong = (_from_ld(data, "datePublished", order)
              or _from_meta(data, _STRONG_PUBLISHED_META, order)
              or _from_markup(tree, "datePublished", times=False, dayfirst=order))
    modified = (_from_ld(data, "dateModified", order) or _from_meta(data, _MODIFIED_META, order)
                or _from_markup(tree, "dateModified", dayfirst=order))
    weak = None if strong else (
        _from_meta(data, _PUBLISHED_META, order)
        or _from_markup(tree, "datePublished", dayfirst=order)
        or _from_ld(data, "dateCreated", order) or _from_ld(data, "uploadDate", order))
    from_url = url_day(url)
    guessed: list[str | None] = []

    def guess() -> str | None:  # htmldate, once
        if not guessed:
            guessed.append(_from_htmldate(tree, url))
        return guessed[0]

    shown = shown_date(tree, data, lang,
                       anchor=lambda: strong or weak or from_url or modified or guess())
    published: str | None
    if strong is None:
        printed = (shown.day if shown is not None
                   else labelled_date(tree, lang) or listed_date(tree, url, lang))
        if printed is not None:
            published = (_on_day(printed, [weak], _published_candidates(tree, data, order),
                                 [modified])
                         or printed)
            return published, not_a_modification(weak or published, modified)
        day = guess()
        if weak and (day is None or weak[:10] == day):
            published = weak
        else:
            published = day or weak
        return published, not_a_modification(published, modified)
    published = to_local_day(strong, from_url)
    if shown is not None and shown.after and shown.day != published[:10]:
        # the page prints another day with its headline: the declared value it matches, else
        # an "Updated …" line newer than the declared publication
        match = _on_day(shown.day, [strong], _published_candidates(tree, data, order), [modified])
        if match:
            published = match
        elif shown.label == "updated" and shown.day > published[:10]:
            published = shown.day
    elif ((shown is None or not shown.after) and from_url is None and modified
          and modified[:10] == published[:10]):
        # re-stamped on update: an earlier date the page shows is the original one
        day = _from_htmldate(tree, url, extensive=False)
        if day and day < published[:10]:
            published = day
    # the declared publication decides whether dateModified is a modification at all, also
    # when the printed day made the modification the published value
    return published, not_a_modification(strong, modified)


def not_a_modification(published: str | None, modified: str | None) -> str | None:
    """``modified`` unless it only repeats the publication instant (CMSs stamp
    dateModified = datePublished on articles never updated)."""
    if not published or not modified:
        return modified
    try:
        if datetime.fromisoformat(published) == datetime.fromisoformat(modified):
            return None
    except ValueError:
        return modified if published != modified else None
    return modified

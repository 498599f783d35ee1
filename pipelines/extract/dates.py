"""Published / modified dates with time and offset.

trafilatura (through htmldate) keeps only the day, so the time-bearing sources are read here:
schema.org datePublished/dateModified, article:published_time and kin, ``itemprop`` and
``<time datetime>``; htmldate is the last resort for the published day.
"""

from __future__ import annotations

import logging
import re
import warnings
from datetime import date, datetime, timedelta, timezone

from dateutil import parser as dateutil_parser
from lxml.html import HtmlElement

from .structured import Structured
from .text_utils import clean, first_str

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
_EARLIEST = datetime(1995, 1, 1)


def normalise_date(raw: str | None) -> str | None:
    """Any common date string → ISO 8601 (date only when the source has no time)."""
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
                dayfirst = bool(re.match(r"^\d{1,2}\.\d{1,2}\.\d{2,4}", text))
                value = dateutil_parser.parse(text, fuzzy=False, dayfirst=dayfirst)
        except (ValueError, OverflowError, TypeError):
            return None
    naive = value.replace(tzinfo=None)
    if naive < _EARLIEST or naive.year > date.today().year + 1:
        return None
    if not _HAS_TIME.search(text) or (
        value.hour == value.minute == value.second == 0 and value.tzinfo is None
        and "T" not in text
    ):
        return value.date().isoformat()
    if value.microsecond:
        value = value.replace(microsecond=0)
    return value.isoformat()


def _from_ld(data: Structured, key: str) -> str | None:
    article = data.article()
    nodes = [article] if article else []
    nodes += [n for n in data.nodes() if n is not article]
    for node in nodes:
        value = normalise_date(first_str(node.get(key)))
        if value:
            return value
    return None


def _from_meta(data: Structured, names: tuple[str, ...]) -> str | None:
    for name in names:
        for raw in data.meta.get(name, []):
            value = normalise_date(raw)
            if value:
                return value
    for name in names:
        for raw in data.og.get(name, []):
            value = normalise_date(raw)
            if value:
                return value
    return None


def _from_markup(tree: HtmlElement, prop: str, times: bool = True) -> str | None:
    for el in tree.xpath(f".//*[@itemprop='{prop}']"):
        value = normalise_date(el.get("datetime") or el.get("content") or el.text_content())
        if value:
            return value
    if prop == "datePublished" and times:
        for el in tree.xpath(".//time[@pubdate] | .//time[contains(@class,'publish')]"
                             " | .//time[contains(@class,'entry-date')]"
                             " | .//article//time[@datetime] | .//time[@datetime]"):
            value = normalise_date(el.get("datetime") or el.text_content())
            if value:
                return value
    return None


# Wayback copies: the archive's own timestamp is not the article's date.
_ARCHIVED = re.compile(r"^https?://web\.archive\.org/web/\d+[a-z_]*/(?=https?://|www\.)", re.IGNORECASE)
_URL_DAY = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|$|[-_])")


def original_url(url: str) -> str:
    return _ARCHIVED.sub("", url)


def _from_htmldate(tree: HtmlElement, url: str, extensive: bool = True) -> str | None:
    from htmldate import find_date

    try:
        found = find_date(tree, url=original_url(url), original_date=True,
                          extensive_search=extensive, outputformat="%Y-%m-%d")
    except (ValueError, TypeError) as exc:
        logger.debug("htmldate failed on %s: %s", url, exc)
        return None
    return found or None


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


_STRONG_PUBLISHED_META = ("article:published_time", "og:published_time", "datepublished",
                          "article:published", "parsely-pub-date", "sailthru.date")


def extract_dates(tree: HtmlElement, data: Structured, url: str) -> tuple[str | None, str | None]:
    """Strong sources (schema.org datePublished, article:published_time, itemprop) win; weaker
    ones (generic date metas, the first <time>) only lend their time to htmldate's day, which
    weighs all the page's date evidence."""
    published = (_from_ld(data, "datePublished") or _from_meta(data, _STRONG_PUBLISHED_META)
                 or _from_markup(tree, "datePublished", times=False))
    modified = (_from_ld(data, "dateModified") or _from_meta(data, _MODIFIED_META)
                or _from_markup(tree, "dateModified"))
    if published is None:
        weak = (_from_meta(data, _PUBLISHED_META) or _from_markup(tree, "datePublished")
                or _from_ld(data, "dateCreated") or _from_ld(data, "uploadDate"))
        day = _from_htmldate(tree, url)
        if weak and (day is None or weak[:10] == day):
            published = weak
        else:
            published = day or weak
        return published, not_a_modification(published, modified)
    from_url = url_day(url)
    published = to_local_day(published, from_url)
    if from_url is None and modified and modified[:10] == published[:10]:
        # re-stamped on update: an earlier date the page shows is the original one
        day = _from_htmldate(tree, url, extensive=False)
        if day and day < published[:10]:
            published = day
    return published, not_a_modification(published, modified)


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

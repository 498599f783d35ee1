"""From one HTTP response, as fetched, to an article record or the reason there is none.

The crawl and ``reextract`` both call :func:`decide` on the response exactly as it came off the
wire (Content-Encoding kept): one code path, so re-extracting a WARC with the same extractor
version gives the crawl's records, pointers included. It decodes as Scrapy would (bounded by
``DOWNLOAD_MAXSIZE``), extracts HTML only and validates the record against the JSON Schema.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from pipelines.extract import Extraction
from pipelines.extract.record import WordFloors, build
from pipelines.validate import SCHEMA_MINOR, SCHEMA_VERSION, article_id, record_errors
from archive.layout import key_from_name, site_of_key

# The capture renames framing headers that no longer describe the archived (dechunked) body;
# Scrapy saw the originals.
ORIG_PREFIX = "X-Archive-Orig-"


@dataclass(frozen=True)
class FetchedResponse:
    """One response as fetched (or as read back from a WARC): picklable."""

    url: str
    date: str  # when it was fetched (WARC-Date), the record's fetched_at
    status: int
    headers: list[tuple[str, str]]  # HTTP headers in wire order
    payload: bytes  # the body as received (Content-Encoding kept)
    pointer: dict[str, Any]  # {filename, offset, length, record_id, payload_digest}, key if known
    crawl_id: str
    site: str | None = None  # the site config's name


@dataclass(frozen=True)
class ExtractSettings:
    """The crawl settings that decide what gets extracted, read from the crawler's settings."""

    max_bytes: int
    download_maxsize: int
    metarefresh_enabled: bool
    metarefresh_maxdelay: float
    metarefresh_ignore_tags: tuple[str, ...]
    word_floors: WordFloors = WordFloors()

    @classmethod
    def from_settings(cls, settings: Any) -> ExtractSettings:
        """From a Scrapy ``Settings`` object (the crawler's, or ``crawler.run.crawl_settings``)."""
        return cls(
            max_bytes=settings.getint("EXTRACT_MAX_BYTES"),
            download_maxsize=settings.getint("DOWNLOAD_MAXSIZE"),
            metarefresh_enabled=settings.getbool("METAREFRESH_ENABLED"),
            metarefresh_maxdelay=settings.getfloat("METAREFRESH_MAXDELAY"),
            metarefresh_ignore_tags=tuple(settings.getlist("METAREFRESH_IGNORE_TAGS")),
            word_floors=WordFloors(
                without_markup=settings.getint("NEWSARCHIVE_ARTICLE_MIN_WORDS"),
                with_markup=settings.getint("NEWSARCHIVE_ARTICLE_MIN_WORDS_WITH_MARKUP"),
            ),
        )


class Outcome(NamedTuple):
    record: dict[str, Any] | None
    key: str  # the stats key: "articles/extracted" or why not
    detail: str | None = None  # what to log: an extraction error, schema violations


# Control bytes no text uses (tab, newlines, form feed and carriage return are 9-13).
_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])


def looks_binary(body: bytes, sample: int = 4096) -> bool:
    """True for bodies that are not text whatever their Content-Type says."""
    head = body[:sample]
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls / len(head) > 0.05


def build_record(item: Mapping[str, Any], extraction: Extraction, crawl_id: str) -> dict[str, Any]:
    """The JSONL record: the page's fields plus the fetch's (``item``: url, fetched_at,
    http_status, site, warc)."""
    record: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "schema_minor": SCHEMA_MINOR}
    record.update(extraction.record)
    record["url"] = item["url"]
    record["id"] = article_id(item["url"])
    record["fetched_at"] = item["fetched_at"]
    record["http_status"] = item["http_status"]
    record["crawl_id"] = crawl_id
    site = item["site"]
    pointer = dict(item["warc"] or {})
    if pointer:  # (no pointer: WARC capture off; the schema rejects the record)
        key = pointer.pop("key", None) or key_from_name(site, pointer.get("filename", ""))
        site = site or site_of_key(key)  # the key names it
        pointer = {"key": key, **pointer}
    record["site"] = site
    record["warc"] = pointer or None
    return record


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy ``Headers`` → ``(name, value)`` pairs, repeats kept."""
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() for value in values]


def _scrapy_headers(pairs: list[tuple[str, str]]) -> Any:
    from scrapy.http import Headers

    headers = Headers()
    for name, value in pairs:
        if name[: len(ORIG_PREFIX)].lower() == ORIG_PREFIX.lower():
            name = name[len(ORIG_PREFIX):]
        headers.appendlist(name, value.strip(" \t"))
    return headers


def _content_decoded(response: Any, max_size: int) -> Any:
    """HttpCompressionMiddleware.process_response, without a running crawler.

    Its decoding helpers are used as they are (private static methods of the middleware;
    gzip by ``pipelines.decompression``, with the same results), so gzip / x-gzip / deflate /
    br / zstd and the DOWNLOAD_MAXSIZE bound behave exactly as during a crawl that decodes in
    the middleware; raises ``IgnoreRequest`` where it would.
    """
    from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware as HCM
    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import TextResponse
    from scrapy.responsetypes import responsetypes

    from archive.upstream import _DecompressionMaxSizeExceeded
    from pipelines.decompression import decode

    content_encoding = response.headers.getlist("Content-Encoding")
    if not content_encoding:
        return response
    to_decode, to_keep = HCM._split_encodings(content_encoding)
    body = response.body
    try:
        for encoding in to_decode:
            body = decode(body, encoding, max_size)
    except _DecompressionMaxSizeExceeded as exc:
        raise IgnoreRequest("DOWNLOAD_MAXSIZE exceeded during decompression") from exc
    response.headers["Content-Encoding"] = to_keep
    respcls = responsetypes.from_args(headers=response.headers, url=response.url, body=body)
    kwargs: dict[str, Any] = {"body": body}
    if issubclass(respcls, TextResponse):
        kwargs["encoding"] = None
    response = response.replace(cls=respcls, **kwargs)
    if not to_keep:
        del response.headers["Content-Encoding"]
    return response


def _meta_refresh_redirects(response: Any, settings: ExtractSettings) -> bool:
    """Whether MetaRefreshMiddleware would have turned this page into a redirect."""
    from urllib.parse import urlsplit

    from pipelines.extract.urls import join_url

    from scrapy.http import HtmlResponse
    from scrapy.utils.response import get_meta_refresh

    if not settings.metarefresh_enabled or not isinstance(response, HtmlResponse):
        return False
    interval, url = get_meta_refresh(response, ignore_tags=list(settings.metarefresh_ignore_tags))
    if not url:
        return False
    target = join_url(response.url, url)
    if target is None or urlsplit(target).scheme not in ("http", "https"):
        return False
    return float(interval or 0) < settings.metarefresh_maxdelay


def decide(resp: FetchedResponse, settings: ExtractSettings) -> Outcome:
    """The record of this response, or None, with the stats key saying why."""
    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import HtmlResponse
    from scrapy.responsetypes import responsetypes

    if not 200 <= resp.status < 300:
        return Outcome(None, f"skipped/status/{resp.status}")
    headers = _scrapy_headers(resp.headers)
    respcls = responsetypes.from_args(headers=headers, url=resp.url, body=resp.payload)
    response = respcls(url=resp.url, status=resp.status, headers=headers, body=resp.payload)
    try:
        response = _content_decoded(response, settings.download_maxsize)
    except IgnoreRequest:
        return Outcome(None, "skipped/too_large_decompressed",
                       f"{resp.url}: larger than DOWNLOAD_MAXSIZE once decompressed")
    except (OSError, ValueError, EOFError) as exc:  # corrupt compressed body
        return Outcome(None, "skipped/undecodable", f"{resp.url}: cannot decode: {exc!r}")
    if _meta_refresh_redirects(response, settings):
        return Outcome(None, "skipped/meta_refresh")
    if not isinstance(response, HtmlResponse):
        # HTML article candidates only; feeds, sitemaps and robots.txt (TextResponse too)
        # went to other callbacks.
        return Outcome(None, "skipped/not_html")
    body = response.body
    if len(body) > settings.max_bytes:
        return Outcome(None, "skipped/too_large", f"{resp.url}: {len(body)} bytes, not extracted")
    if looks_binary(body):
        return Outcome(None, "skipped/binary", f"{resp.url}: binary content served as text")
    item_headers = {
        k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
    }
    try:
        extraction = Extraction(*build(body, resp.url, item_headers, articles_only=True,
                                       floors=settings.word_floors))
    except Exception:  # noqa: BLE001 -- a page must never stop the run; traceback to the log
        return Outcome(None, "articles/extract_failed",
                       f"Extraction failed for {resp.url}\n{traceback.format_exc().rstrip()}")
    if not extraction.is_article:
        reason = extraction.reason or "not-an-article"
        return Outcome(None, f"pages/non_articles/{reason}", f"{resp.url}: not an article ({reason})")
    item = {"url": resp.url, "fetched_at": resp.date, "http_status": resp.status,
            "site": resp.site, "warc": resp.pointer}
    record = build_record(item, extraction, resp.crawl_id)
    errors = record_errors(record)
    if errors:
        return Outcome(None, "articles/dropped/invalid_record",
                       f"invalid record for {resp.url}: {'; '.join(errors[:5])}")
    return Outcome(record, "articles/extracted")


def decide_batch(batch: list[FetchedResponse], settings: ExtractSettings) -> list[Outcome]:
    return [decide(resp, settings) for resp in batch]

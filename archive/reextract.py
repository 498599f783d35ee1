"""Re-extraction: article records rebuilt from archived responses, no network.

For one response record the crawl did, in this order: Scrapy's redirect and retry
middlewares let only 2xx responses through; HttpCompressionMiddleware decoded the
Content-Encoding and re-chose the response class; MetaRefreshMiddleware turned pages with a
short ``<meta http-equiv=refresh>`` into redirects; the spider handed HTML pages on (feeds,
sitemaps and robots.txt went to other callbacks);
``ArticleExtractionPipeline`` skipped too-large and binary bodies, ran ``extract_page`` and
dropped non-articles; ``SchemaValidationPipeline`` dropped invalid records.  ``decide``
repeats those steps with Scrapy's own helpers and settings, so for the same extractor version
the records equal the crawl's JSONL, pointers included.

Reading uses FastWARC; a file FastWARC cannot read is read with warcio.  The main process
reads records, worker processes do everything else (decoding, extraction), in batches.
Revisit records (identical-payload-digest) are resolved against the responses of all the
files given, by payload digest; unresolved ones are counted and skipped.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc.gz", ".warc")
ORIG_PREFIX = "X-Archive-Orig-"
BATCH_SIZE = 16


@dataclass(frozen=True)
class ArchivedResponse:
    """One response (or resolved revisit) record, as read from a WARC: picklable."""

    url: str
    date: str  # WARC-Date, used as fetched_at
    status: int
    headers: list[tuple[str, str]]  # HTTP headers in wire order
    payload: bytes  # the payload as archived (Content-Encoding kept)
    pointer: dict[str, Any]  # {filename, offset, length, record_id, payload_digest}
    crawl_id: str


@dataclass(frozen=True)
class ExtractSettings:
    """The crawl settings that decide what gets extracted (defaults: ``crawler.settings``)."""

    max_bytes: int
    download_maxsize: int
    metarefresh_enabled: bool
    metarefresh_maxdelay: float
    metarefresh_ignore_tags: tuple[str, ...]

    @classmethod
    def from_settings(cls, overrides: dict[str, Any] | None = None) -> ExtractSettings:
        from scrapy.settings import Settings

        settings = Settings()
        settings.setmodule("crawler.settings", priority="project")
        settings.update(overrides or {}, priority="cmdline")
        return cls(
            max_bytes=settings.getint("EXTRACT_MAX_BYTES"),
            download_maxsize=settings.getint("DOWNLOAD_MAXSIZE"),
            metarefresh_enabled=settings.getbool("METAREFRESH_ENABLED"),
            metarefresh_maxdelay=settings.getfloat("METAREFRESH_MAXDELAY"),
            metarefresh_ignore_tags=tuple(settings.getlist("METAREFRESH_IGNORE_TAGS")),
        )


@dataclass
class ReextractResult:
    records: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


# --- what the crawl did to one response ---------------------------------------------------


def _scrapy_headers(pairs: list[tuple[str, str]]) -> Any:
    from scrapy.http import Headers

    headers = Headers()
    for name, value in pairs:
        # The capture renamed framing headers that no longer describe the dechunked body;
        # Scrapy saw the originals.
        if name[: len(ORIG_PREFIX)].lower() == ORIG_PREFIX.lower():
            name = name[len(ORIG_PREFIX):]
        headers.appendlist(name, value.strip(" \t"))
    return headers


def _content_decoded(response: Any, max_size: int) -> Any:
    """HttpCompressionMiddleware.process_response, without a running crawler.

    Its decoding helpers are used as they are (private static methods of the middleware),
    so gzip / x-gzip / deflate / br / zstd and the DOWNLOAD_MAXSIZE bound behave exactly as
    during the crawl; raises ``scrapy.exceptions.IgnoreRequest`` where the crawl did.
    """
    from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware as HCM
    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import TextResponse
    from scrapy.responsetypes import responsetypes
    from scrapy.utils._compression import _DecompressionMaxSizeExceeded

    content_encoding = response.headers.getlist("Content-Encoding")
    if not content_encoding:
        return response
    to_decode, to_keep = HCM._split_encodings(content_encoding)
    body = response.body
    try:
        for encoding in to_decode:
            body = HCM._decode(body, encoding, max_size)
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
    from urllib.parse import urljoin, urlsplit

    from scrapy.http import HtmlResponse
    from scrapy.utils.response import get_meta_refresh

    if not settings.metarefresh_enabled or not isinstance(response, HtmlResponse):
        return False
    interval, url = get_meta_refresh(response, ignore_tags=list(settings.metarefresh_ignore_tags))
    if not url:
        return False
    if urlsplit(urljoin(response.url, url)).scheme not in ("http", "https"):
        return False
    return float(interval or 0) < settings.metarefresh_maxdelay


def decide(resp: ArchivedResponse, settings: ExtractSettings) -> tuple[dict[str, Any] | None, str]:
    """The record the crawl made of this response, or None; and a stats key saying why."""
    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import HtmlResponse
    from scrapy.responsetypes import responsetypes

    from pipelines.articles import build_record, extract_for_record, looks_binary
    from pipelines.validate import record_errors

    if not 200 <= resp.status < 300:
        return None, f"skipped/status/{resp.status}"
    headers = _scrapy_headers(resp.headers)
    respcls = responsetypes.from_args(headers=headers, url=resp.url, body=resp.payload)
    response = respcls(url=resp.url, status=resp.status, headers=headers, body=resp.payload)
    try:
        response = _content_decoded(response, settings.download_maxsize)
    except IgnoreRequest:
        return None, "skipped/too_large_decompressed"
    except (OSError, ValueError, EOFError) as exc:  # corrupt compressed body
        logger.warning("Cannot decode %s: %r", resp.url, exc)
        return None, "skipped/undecodable"
    if _meta_refresh_redirects(response, settings):
        return None, "skipped/meta_refresh"
    if not isinstance(response, HtmlResponse):
        # The crawl extracts HTML article candidates only; feeds, sitemaps and robots.txt
        # (TextResponse too) went to other callbacks.
        return None, "skipped/not_html"
    body = response.body
    if len(body) > settings.max_bytes:
        return None, "skipped/too_large"
    if looks_binary(body):
        return None, "skipped/binary"
    item_headers = {
        k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
    }
    try:
        extraction = extract_for_record(body, resp.url, item_headers)
    except Exception:  # a page must never stop the run, as in the crawl
        logger.exception("Extraction failed for %s", resp.url)
        return None, "articles/extract_failed"
    if not extraction.is_article:
        return None, f"pages/non_articles/{extraction.reason or 'not-an-article'}"
    item = {"url": resp.url, "fetched_at": resp.date, "warc": resp.pointer}
    record = build_record(item, extraction, resp.crawl_id)
    if record_errors(record):
        return None, "articles/dropped/invalid_record"
    return record, "articles/extracted"


def decide_batch(
    batch: list[ArchivedResponse], settings: ExtractSettings
) -> list[tuple[dict[str, Any] | None, str]]:
    """Runs in a worker process."""
    return [decide(resp, settings) for resp in batch]


# --- reading WARCs ----------------------------------------------------------------------


def warc_files(inputs: Iterable[Path]) -> list[Path]:
    """The WARC files among the inputs (directories searched recursively), sorted."""
    found: list[Path] = []
    for path in inputs:
        path = Path(path)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.name.endswith(WARC_SUFFIXES))
        else:
            found.append(path)
    return found


def warc_fields(block: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields.setdefault(name.strip(), value.strip())
    return fields


def dechunk(body: bytes) -> bytes:
    """Undo chunked transfer coding, as the HTTP client did; the body as is if not chunked."""
    out, pos = bytearray(), 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            return body
        try:
            size = int(body[pos:end].split(b";", 1)[0].strip(), 16)
        except ValueError:
            return body
        if size == 0:
            return bytes(out)
        out += body[end + 2 : end + 2 + size]
        pos = end + 2 + size + 2


def _payload(headers: list[tuple[str, str]], payload: bytes) -> bytes:
    chunked = any(
        k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers
    )
    return dechunk(payload) if chunked else payload


@dataclass
class RawRecord:
    """A response or revisit record read from a file, before its length is known."""

    kind: str  # "response" | "revisit"
    url: str
    date: str
    record_id: str
    payload_digest: str | None
    status: int
    headers: list[tuple[str, str]]
    payload: bytes
    offset: int
    length: int = 0
    refers_to: str | None = None


def _iter_fastwarc(path: Path) -> Iterator[RawRecord | dict[str, str]]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    wanted = WarcRecordType.response | WarcRecordType.revisit
    pending: RawRecord | None = None
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream, parse_http=False):
            if pending is not None:
                pending.length = record.stream_pos - pending.offset
                yield pending
                pending = None
            rtype = record.record_type
            if rtype == WarcRecordType.warcinfo:
                yield warc_fields(record.reader.read())
                continue
            if not rtype & wanted:
                continue
            headers = record.headers
            content_type = headers.get("Content-Type") or ""
            if not content_type.startswith("application/http"):
                continue
            record.parse_http()
            http = record.http_headers
            pending = RawRecord(
                kind="response" if rtype == WarcRecordType.response else "revisit",
                url=headers.get("WARC-Target-URI") or "",
                date=headers.get("WARC-Date") or "",
                record_id=headers.get("WARC-Record-ID") or "",
                payload_digest=headers.get("WARC-Payload-Digest"),
                status=http.status_code or 0,
                headers=list(http.astuples()),
                payload=record.reader.read(),
                offset=record.stream_pos,
                refers_to=headers.get("WARC-Refers-To"),
            )
        if pending is not None:
            pending.length = stream.seek(0, os.SEEK_END) - pending.offset
            yield pending


def _iter_warcio(path: Path) -> Iterator[RawRecord | dict[str, str]]:
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream, ensure_http_headers=False)
        for record in iterator:
            rtype = record.rec_type
            if rtype == "warcinfo":
                fields = warc_fields(record.content_stream().read())
                iterator.read_to_end(record)
                yield fields
                continue
            if rtype not in ("response", "revisit") or record.http_headers is None:
                iterator.read_to_end(record)
                continue
            warc = record.rec_headers
            http = record.http_headers
            payload = record.raw_stream.read()
            iterator.read_to_end(record)
            try:
                status = int(http.get_statuscode() or 0)
            except ValueError:
                status = 0
            yield RawRecord(
                kind=rtype,
                url=warc.get_header("WARC-Target-URI") or "",
                date=warc.get_header("WARC-Date") or "",
                record_id=warc.get_header("WARC-Record-ID") or "",
                payload_digest=warc.get_header("WARC-Payload-Digest"),
                status=status,
                headers=list(http.headers),
                payload=payload,
                offset=iterator.get_record_offset(),
                length=iterator.get_record_length(),
                refers_to=warc.get_header("WARC-Refers-To"),
            )


def fastwarc_reads(path: Path) -> bool:
    """Whether FastWARC reads the whole file (a cheap pass over the record headers)."""
    from fastwarc.warc import ArchiveIterator

    try:
        with open(path, "rb") as stream:
            count = sum(1 for _ in ArchiveIterator(stream, parse_http=False))
    except (OSError, ValueError) as exc:
        logger.info("FastWARC cannot read %s (%s): using warcio", path, exc)
        return False
    return count > 0 or path.stat().st_size == 0


def iter_records(path: Path, reader: str = "auto") -> Iterator[RawRecord | dict[str, str]]:
    """Response/revisit records of one file, and the fields of its warcinfo records."""
    use_fastwarc = reader == "fastwarc" or (reader == "auto" and fastwarc_reads(path))
    return _iter_fastwarc(path) if use_fastwarc else _iter_warcio(path)


def default_crawl_id(path: Path) -> str:
    name = path.name
    for suffix in WARC_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def archived_responses(
    paths: list[Path], reader: str, counts: Counter[str]
) -> Iterator[ArchivedResponse]:
    """All responses of the files in order, then the revisits that resolve to one of them.

    As in the crawl (``archive.capture``), a resolved revisit's record has the revisit's URL,
    date and HTTP headers, the original's payload, and a ``warc`` pointer to the original:
    the record that holds the payload.
    """
    originals: dict[str, tuple[Path, RawRecord]] = {}  # by record id
    by_digest: dict[tuple[str, str], str] = {}  # (url, payload digest) -> record id
    revisits: list[tuple[Path, RawRecord, str]] = []
    for path in paths:
        crawl_id = default_crawl_id(path)
        for item in iter_records(path, reader):
            if isinstance(item, dict):
                crawl_id = item.get("isPartOf") or crawl_id
                continue
            counts[f"records/{item.kind}"] += 1
            if item.kind == "revisit":
                revisits.append((path, item, crawl_id))
                continue
            if item.payload_digest:
                # only where to find it: the payload itself is read again if needed
                originals[item.record_id] = (path, replace(item, payload=b""))
                by_digest.setdefault((item.url, item.payload_digest), item.record_id)
                by_digest.setdefault(("", item.payload_digest), item.record_id)
            yield _archived(path, item, item.payload, crawl_id)
    for path, revisit, crawl_id in revisits:
        digest = revisit.payload_digest or ""
        record_id = (
            revisit.refers_to
            if revisit.refers_to in originals
            else by_digest.get((revisit.url, digest)) or by_digest.get(("", digest))
        )
        if record_id is None:
            counts["revisits/unresolved"] += 1
            logger.warning("Revisit of %s (%s): original not among the inputs",
                           revisit.url, revisit.refers_to or digest)
            continue
        counts["revisits/resolved"] += 1
        original_path, original = originals[record_id]
        payload = _payload_at(original_path, original.offset)
        resolved = replace(
            revisit,
            offset=original.offset,
            length=original.length,
            record_id=original.record_id,
            payload_digest=original.payload_digest,
        )
        yield _archived(original_path, resolved, payload, crawl_id)


def _archived(path: Path, raw: RawRecord, payload: bytes, crawl_id: str) -> ArchivedResponse:
    return ArchivedResponse(
        url=raw.url,
        date=raw.date,
        status=raw.status,
        headers=raw.headers,
        payload=_payload(raw.headers, payload),
        pointer={
            "filename": path.name,
            "offset": raw.offset,
            "length": raw.length,
            "record_id": raw.record_id,
            "payload_digest": raw.payload_digest,
        },
        crawl_id=crawl_id,
    )


def _payload_at(path: Path, offset: int) -> bytes:
    """The raw payload (as archived, before any decoding) of the record at ``offset``."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        return record.raw_stream.read()


# --- the run -------------------------------------------------------------------------------


def _batches(items: Iterable[ArchivedResponse], size: int) -> Iterator[list[ArchivedResponse]]:
    batch: list[ArchivedResponse] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def reextract(
    inputs: Iterable[Path],
    *,
    processes: int | None = None,
    settings: ExtractSettings | None = None,
    reader: str = "auto",
    counts: Counter[str] | None = None,
) -> Iterator[tuple[dict[str, Any] | None, str]]:
    """(record or None, stats key) for every response of the WARCs, in archive order.

    ``counts`` receives what reading found (records by type, revisits resolved or not).
    """
    paths = warc_files(inputs)
    settings = settings or ExtractSettings.from_settings()
    processes = processes or os.cpu_count() or 1
    counts = Counter() if counts is None else counts
    responses = archived_responses(paths, reader, counts)
    if processes == 1:
        for resp in responses:
            yield decide(resp, settings)
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["pipelines.extract", "archive.reextract"])
        in_flight: deque[Future[list[tuple[dict[str, Any] | None, str]]]] = deque()
        with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
            for batch in _batches(responses, BATCH_SIZE):
                in_flight.append(pool.submit(decide_batch, batch, settings))
                # bounded: a few batches per worker wait, not the whole archive
                while len(in_flight) >= processes * 3:
                    yield from in_flight.popleft().result()
            while in_flight:
                yield from in_flight.popleft().result()


def run_reextract(
    inputs: Iterable[Path],
    *,
    processes: int | None = None,
    settings: ExtractSettings | None = None,
    reader: str = "auto",
) -> ReextractResult:
    """Everything in memory: the records and the counts (tests, small archives)."""
    result = ReextractResult()
    outcomes = reextract(
        inputs, processes=processes, settings=settings, reader=reader, counts=result.counts
    )
    for record, key in outcomes:
        result.counts[key] += 1
        if record is not None:
            result.records.append(record)
    return result

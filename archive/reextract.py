"""Re-extraction: article records rebuilt from archived responses, no network.

Each response goes through ``pipelines.responses.decide``, as in the crawl, so for the same
extractor version the records equal the crawl's JSONL, pointers included. Damaged spans are
counted (``records/unreadable``) and skipped, not fatal; revisits are resolved by payload
digest against all the files given. Extraction runs in worker processes, in batches.
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

from archive.lead_images import LeadImagePointers
from archive.layout import key_from_path, site_of_key, warc_files_among, warc_stem
from archive.records import BROWSER_HEADER
from archive.warc_reading import Unreadable, UnreadableRecord, read_warc_file
from pipelines.responses import ExtractSettings, FetchedResponse, Outcome, decide, decide_batch
from pipelines.warc_keys import site_of_warcinfo

logger = logging.getLogger(__name__)

BATCH_SIZE = 16


@dataclass
class ReextractResult:
    records: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)


# --- reading WARCs ----------------------------------------------------------------------


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
class RenderedDom:
    """A browser capture's ``conversion`` record: the page's DOM after its scripts ran,
    which the crawl extracted from instead of the response it refers to."""

    refers_to: str
    dom: bytes
    content_type: str


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
    from_browser: bool = False  # written by a browser capture (archive.browser_capture)


def iter_records(path: Path, reader: str = "auto"
                 ) -> Iterator[RawRecord | RenderedDom | dict[str, str] | Unreadable]:
    """Response/revisit records of one file, the fields of its warcinfo records, and every
    span of it that could not be read (``archive.warc_reading``).  ``reader``: which HTTP
    parser to try first ("warcio", else FastWARC)."""
    prefer = "warcio" if reader == "warcio" else "fastwarc"
    for item in read_warc_file(path):
        if isinstance(item, Unreadable):
            yield item
            continue
        rtype = item.rec_type
        if rtype == "warcinfo":
            yield warc_fields(item.block)
            continue
        if rtype == "conversion" and item.header(BROWSER_HEADER) and item.header("WARC-Refers-To"):
            yield RenderedDom(refers_to=item.header("WARC-Refers-To") or "", dom=item.block,
                              content_type=item.header("Content-Type") or "text/html")
            continue
        if rtype not in ("response", "revisit") or not item.is_http:
            continue
        try:
            http = item.http(prefer)
        except UnreadableRecord as exc:
            yield Unreadable(item.offset, item.length, f"{item.record_id}: {exc}")
            continue
        yield RawRecord(
            kind=rtype,
            url=item.target_uri,
            date=item.header("WARC-Date") or "",
            record_id=item.record_id,
            payload_digest=item.header("WARC-Payload-Digest"),
            status=http.status,
            headers=http.headers,
            payload=http.payload,
            offset=item.offset,
            length=item.length,
            refers_to=item.header("WARC-Refers-To"),
            from_browser=bool(item.header(BROWSER_HEADER)),
        )


def default_crawl_id(path: Path) -> str:
    return warc_stem(path.name)


def archived_responses(
    paths: list[Path], reader: str, counts: Counter[str], lost: list[str] | None = None
) -> Iterator[FetchedResponse]:
    """All responses of the files in order, then the revisits that resolve to one of them.

    What cannot be read is counted (``records/unreadable``), logged and named in ``lost``
    (``file: bytes A-B: why``); reading carries on after it.

    As in the crawl (``archive.capture``), a resolved revisit's record has the revisit's URL,
    date and HTTP headers, the original's payload, and a ``warc`` pointer to the original:
    the record that holds the payload.
    """
    originals: dict[str, tuple[Path, RawRecord, str | None]] = {}  # by record id, with site
    by_digest: dict[tuple[str, str], str] = {}  # (url, payload digest) -> record id
    revisits: list[tuple[Path, RawRecord, str, str | None]] = []
    browser_held: list[RawRecord] = []
    for path in paths:
        crawl_id = default_crawl_id(path)
        site = site_of_key(key_from_path(path))
        for item in iter_records(path, reader):
            if isinstance(item, Unreadable):
                counts["records/unreadable"] += 1
                _lose(lost, f"{path}: {item}")
                continue
            if isinstance(item, dict):
                crawl_id = item.get("isPartOf") or crawl_id
                site = site or site_of_warcinfo(item)
                continue
            if isinstance(item, RenderedDom):
                # a rendered page: extracted from its DOM, as the crawl did; the exchanges
                # of its page load held back till now go out as they are
                counts["records/conversion"] += 1
                for held in browser_held:
                    yield _archived(path, *_rendered(held, item), crawl_id, site)
                browser_held.clear()
                continue
            counts[f"records/{item.kind}"] += 1
            if item.kind == "revisit":
                revisits.append((path, item, crawl_id, site))
                continue
            if item.payload_digest:
                # only where to find it: the payload itself is read again if needed
                originals[item.record_id] = (path, replace(item, payload=b""), site)
                by_digest.setdefault((item.url, item.payload_digest), item.record_id)
                by_digest.setdefault(("", item.payload_digest), item.record_id)
            if item.from_browser:
                browser_held.append(item)  # until the page's DOM says which is the page
                continue
            yield _archived(path, item, item.payload, crawl_id, site)
        for held in browser_held:  # a page load cut off before its DOM was written
            yield _archived(path, held, held.payload, crawl_id, site)
        browser_held.clear()
    for path, revisit, crawl_id, site in revisits:
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
        original_path, original, original_site = originals[record_id]
        payload = _payload_at(original_path, original.offset)
        if payload is None:
            counts["revisits/unreadable"] += 1
            _lose(lost, f"{path}: revisit {revisit.record_id}: its original "
                        f"{original_path}@{original.offset} can no longer be read")
            continue
        resolved = replace(
            revisit,
            offset=original.offset,
            length=original.length,
            record_id=original.record_id,
            payload_digest=original.payload_digest,
        )
        counts["revisits/resolved"] += 1
        yield _archived(original_path, resolved, payload, crawl_id, site or original_site)


def _rendered(response: RawRecord, dom: RenderedDom) -> tuple[RawRecord, bytes]:
    """The response as the crawl extracted it: its DOM (with the DOM's content type) when the
    conversion refers to it, else unchanged."""
    if response.record_id != dom.refers_to:
        return response, response.payload
    headers = [(n, v) for n, v in response.headers if n.lower() != "content-type"]
    return replace(response, headers=[*headers, ("Content-Type", dom.content_type)]), dom.dom


def _lose(lost: list[str] | None, what: str) -> None:
    logger.warning("Unreadable: %s", what)
    if lost is not None:
        lost.append(what)


def _archived(path: Path, raw: RawRecord, payload: bytes, crawl_id: str,
              site: str | None = None) -> FetchedResponse:
    return FetchedResponse(
        url=raw.url,
        date=raw.date,
        status=raw.status,
        headers=raw.headers,
        payload=_payload(raw.headers, payload),
        pointer={
            "key": key_from_path(path),  # None outside an archive layout: made from the name
            "filename": path.name,
            "offset": raw.offset,
            "length": raw.length,
            "record_id": raw.record_id,
            "payload_digest": raw.payload_digest,
        },
        crawl_id=crawl_id,
        site=site,
    )


def _payload_at(path: Path, offset: int) -> bytes | None:
    """The raw payload (as archived, before any decoding) of the record at ``offset``, or
    None if it cannot be read there."""
    item = next(iter(read_warc_file(path, start=offset)))
    if isinstance(item, Unreadable):
        return None
    try:
        return item.http().payload
    except UnreadableRecord:
        return None


# --- the run -------------------------------------------------------------------------------


def _batches(items: Iterable[FetchedResponse], size: int) -> Iterator[list[FetchedResponse]]:
    batch: list[FetchedResponse] = []
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
    settings: ExtractSettings,
    processes: int | None = None,
    reader: str = "auto",
    counts: Counter[str] | None = None,
    lost: list[str] | None = None,
) -> Iterator[Outcome]:
    """(record or None, stats key, detail) for every response of the WARCs, in archive order.

    ``settings`` come from the crawler's settings (``crawler.run.crawl_settings``);
    ``counts`` receives what reading found (records by type, revisits resolved or not,
    ``records/unreadable``), ``lost`` names every span that could not be read.
    """
    paths = warc_files_among(inputs)
    processes = processes or os.cpu_count() or 1
    counts = Counter() if counts is None else counts
    images = LeadImagePointers()
    responses = images.watch(archived_responses(paths, reader, counts, lost))
    for outcome in _decided(responses, processes, settings):
        yield from images.attach(outcome)
    yield from images.flush()


def _decided(responses: Iterator[FetchedResponse], processes: int, settings: ExtractSettings
             ) -> Iterator[Outcome]:
    if processes == 1:
        for resp in responses:
            yield decide(resp, settings)
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["pipelines.extract", "pipelines.extract.preload",
                                        "archive.reextract"])
        in_flight: deque[Future[list[Outcome]]] = deque()
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
    settings: ExtractSettings,
    processes: int | None = None,
    reader: str = "auto",
) -> ReextractResult:
    """Everything in memory: the records, the counts and what was lost (tests, small
    archives)."""
    result = ReextractResult()
    outcomes = reextract(inputs, processes=processes, settings=settings, reader=reader,
                         counts=result.counts, lost=result.lost)
    for record, key, _ in outcomes:
        result.counts[key] += 1
        if record is not None:
            result.records.append(record)
    return result

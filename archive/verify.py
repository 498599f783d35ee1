"""Fixity check of an archive (local directory or ``s3://`` URI): ``newsarchive verify``.

For every crawl manifest: each listed object has its size and SHA-256; each WARC reads whole
through ``archive.warc_reading`` (every record framed, digests confirmed by FastWARC, unreadable
spans named); each key is safe; each JSONL pointer reaches its response record. Each object is
streamed once: hash, gzip walk and WARC parse share the stream.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from archive.jsonl_gzip import stored_lines
from archive.layout import CRAWLS_PREFIX, archive_file_keys, is_jsonl_key, is_warc_key, key_problem, manifest_keys
from archive.storage import ObjectNotFoundError, Storage, StorageError, open_storage
from archive.warc_reading import (
    Unreadable,
    UnreadableRecord,
    WarcRecord,
    digest_matches,
    gzip_members,
    read_warc,
)

logger = logging.getLogger(__name__)

CHUNK = 1 << 20
MAX_FAILURES_PER_FILE = 20


@dataclass(frozen=True)
class Failure:
    key: str
    problem: str

    def __str__(self) -> str:
        return f"{self.key}: {self.problem}"


@dataclass
class VerifyReport:
    target: str
    manifests: list[str] = field(default_factory=list)
    objects: int = 0
    bytes: int = 0
    records: int = 0
    pointers: int = 0
    failures: list[Failure] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, key: str, problem: str) -> None:
        self.failures.append(Failure(key, problem))

    def summary(self) -> str:
        lines = [(
            f"{'OK' if self.ok else 'FAILED'} {self.target}: {len(self.manifests)} crawl "
            f"manifest(s), {self.objects} object(s) ({self.bytes} bytes), {self.records} WARC "
            f"record(s), {self.pointers} JSONL pointer(s) checked"
        )]
        lines += [f"  FAIL {failure}" for failure in self.failures]
        if self.unlisted:
            lines.append(f"  note: {len(self.unlisted)} object(s) in no manifest "
                         f"(an unfinished or failed crawl?), e.g. {self.unlisted[0]}")
        if self.failures:
            lines.append(f"{len(self.failures)} failure(s)")
        return "\n".join(lines)


def verify(target: str | Path | Storage, **storage_options: Any) -> VerifyReport:
    """Check the archive at ``target``; every problem found is a named :class:`Failure`.

    Raises :class:`~archive.storage.StorageConfigError` for a target that cannot be read at
    all (unknown scheme, missing directory).
    """
    if isinstance(target, (str, Path)):
        storage = open_storage(target, **storage_options)
        _require_local_dir(storage)
    else:
        storage = target
    report = VerifyReport(storage.uri)
    manifests = manifest_keys(storage)
    if not manifests:
        report.fail(CRAWLS_PREFIX, "no crawl manifest found: nothing to verify")
    listed: set[str] = set(manifests)
    crawls = {key: _read_manifest(storage, key, report) for key in manifests}
    # A revisit's JSONL pointer leads to the original record, in an earlier crawl's WARC.
    archive_warcs: dict[str, str] = {}
    for files in crawls.values():
        archive_warcs.update(_warc_names(files or []))
    for key, files in crawls.items():
        report.manifests.append(key)
        if files is not None:
            listed.update(_verify_crawl(storage, files, archive_warcs, report))
    report.unlisted = sorted(key for key in archive_file_keys(storage) if key not in listed)
    return report


def _require_local_dir(storage: Storage) -> None:
    root = getattr(storage, "root", None)
    if root is not None and not Path(root).is_dir():
        from archive.storage import StorageConfigError

        raise StorageConfigError(f"{root}: no such directory")


# --- one crawl -----------------------------------------------------------------------------


def _warc_names(files: list[dict[str, Any]]) -> dict[str, str]:
    """WARC file name → key, for the WARCs among a manifest's files."""
    names: dict[str, str] = {}
    for entry in files:
        if is_warc_key(entry["key"]):
            names.setdefault(PurePosixPath(entry["key"]).name, entry["key"])
    return names


def _verify_crawl(storage: Storage, files: list[dict[str, Any]], archive_warcs: dict[str, str],
                  report: VerifyReport) -> set[str]:
    """Check one crawl's listed ``files``; return their keys.  JSONL pointers resolve to
    this crawl's WARCs, else to those of any crawl in the archive (``archive_warcs``)."""
    warc_keys = {**archive_warcs, **_warc_names(files)}
    for entry in files:
        _verify_object(storage, entry, report)
    for entry in files:
        if is_jsonl_key(entry["key"]):
            _verify_pointers(storage, entry["key"], warc_keys, report)
    return {entry["key"] for entry in files}


def _read_manifest(storage: Storage, key: str, report: VerifyReport) -> list[dict[str, Any]] | None:
    try:
        manifest = json.loads(storage.read(key))
    except (ValueError, StorageError) as exc:
        report.fail(key, f"unreadable manifest: {exc}")
        return None
    if not isinstance(manifest, dict) or manifest.get("manifest_version") != 1:
        report.fail(key, "not a version 1 crawl manifest")
        return None
    files = manifest.get("files")
    if not isinstance(files, list):
        report.fail(key, "manifest has no 'files' list")
        return None
    good: list[dict[str, Any]] = []
    for number, entry in enumerate(files):
        if not (isinstance(entry, dict) and isinstance(entry.get("key"), str)
                and isinstance(entry.get("size"), int) and isinstance(entry.get("sha256"), str)):
            report.fail(key, f"files[{number}] lacks key, size or sha256")
            continue
        problem = key_problem(entry["key"])
        if problem:
            report.fail(key, f"files[{number}]: key {entry['key']!r} {problem}: not read")
            continue
        good.append(entry)
    return good


# --- objects ---------------------------------------------------------------------------------


def _verify_object(storage: Storage, entry: dict[str, Any], report: VerifyReport) -> None:
    key = entry["key"]
    try:
        info = storage.head(key)
    except StorageError as exc:
        report.fail(key, f"cannot be read: {exc}")
        return
    if info is None:
        report.fail(key, "missing")
        return
    report.objects += 1
    report.bytes += info.size
    if info.size != entry["size"]:
        report.fail(key, f"size {info.size}, manifest says {entry['size']}")
    try:
        with storage.open_read(key) as raw:
            tee = HashingReader(raw)
            if is_warc_key(key):
                _verify_warc(key, tee, report)
            elif key.endswith(".gz"):
                for span in gzip_members(tee, keep_data=False):
                    if not span.ok:
                        report.fail(key, f"bytes {span.start}-{span.end}: {span.problem}")
            tee.drain()
    except (StorageError, OSError) as exc:
        report.fail(key, f"read failed: {exc}")
        return
    if tee.size != entry["size"] and info.size == entry["size"]:
        report.fail(key, f"read {tee.size} bytes, manifest says {entry['size']}")
    if tee.sha256.hexdigest() != entry["sha256"]:
        report.fail(key, f"sha256 {tee.sha256.hexdigest()}, manifest says {entry['sha256']}")


class HashingReader(io.RawIOBase):
    """A read-only stream that hashes every byte passed through."""

    def __init__(self, raw: BinaryIO):
        super().__init__()
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self.raw.read(size if size is not None and size >= 0 else CHUNK)
        self.sha256.update(data)
        self.size += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def tell(self) -> int:
        return self.size

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


# --- WARC records ----------------------------------------------------------------------------


def _verify_warc(key: str, stream: BinaryIO | io.RawIOBase, report: VerifyReport) -> None:
    problems, records = warc_problems(stream)
    report.records += records
    for problem in problems[:MAX_FAILURES_PER_FILE]:
        report.fail(key, problem)
    if len(problems) > MAX_FAILURES_PER_FILE:
        report.fail(key, f"… and {len(problems) - MAX_FAILURES_PER_FILE} more record problems")


def warc_problems(stream: BinaryIO | io.RawIOBase) -> tuple[list[str], int]:
    """(problems, records read) of a whole WARC stream: every span that holds no readable
    record is a problem, and so is every digest that does not match."""
    problems: list[str] = []
    records = 0
    for item in read_warc(stream):
        if isinstance(item, Unreadable):
            problems.append(f"unreadable: {item}")
            continue
        if records == 0 and item.rec_type != "warcinfo":
            problems.append(f"first record is {item.rec_type or 'untyped'}, not warcinfo")
        records += 1
        problems.extend(check_record(item))
    if records == 0:
        problems.append("no WARC records")
    return problems, records


def check_record(record: WarcRecord) -> list[str]:
    """Digest problems of one record, checked by FastWARC (warcio for an HTTP message
    FastWARC cannot parse).

    The block digest is checked first over the raw block, then the HTTP headers are parsed
    and the payload digest checked: with ``parse_http=True`` FastWARC reports block digests
    of HTTP records as wrong.
    """
    from fastwarc import ArchiveIterator

    problems = []
    where = record.where()
    fast = next(iter(ArchiveIterator(io.BytesIO(record.raw), parse_http=False)), None)
    if fast is None:  # framed by our reader, refused by FastWARC: check by hand
        block_ok = digest_matches(record.header("WARC-Block-Digest") or "", record.block)
    elif record.header("WARC-Block-Digest"):
        block_ok = fast.verify_block_digest(consume=False)
    else:
        block_ok = True
    if record.header("WARC-Block-Digest") and block_ok is False:
        problems.append(f"block digest mismatch in {where}")
    declared = record.header("WARC-Payload-Digest")
    if record.rec_type == "response" and declared and record.is_http:
        try:
            if fast is None:
                raise OSError("FastWARC finds no record")
            fast.parse_http()
            payload_ok: bool | None = fast.verify_payload_digest(consume=False)
        except OSError:  # e.g. "Maximum header length exceeded": warcio reads it
            try:
                payload_ok = digest_matches(declared, record.http(prefer="warcio").payload)
            except UnreadableRecord as exc:
                problems.append(f"payload digest not checked in {where}: {exc}")
                return problems
        if payload_ok is False:
            problems.append(f"payload digest mismatch in {where}")
    return problems


# --- JSONL pointers --------------------------------------------------------------------------


def _verify_pointers(storage: Storage, key: str, warc_keys: dict[str, str],
                     report: VerifyReport) -> None:
    problems: list[str] = []
    try:
        for number, record in _jsonl_records(storage, key, problems):
            pointer = record.get("warc") if isinstance(record, dict) else None
            if pointer is None:
                continue
            report.pointers += 1
            problem = _check_pointer(storage, pointer, warc_keys)
            if problem:
                problems.append(f"line {number}: {problem}")
    except (StorageError, OSError, EOFError, zlib.error) as exc:
        problems.append(f"unreadable JSONL: {exc}")
    for problem in problems[:MAX_FAILURES_PER_FILE]:
        report.fail(key, problem)
    if len(problems) > MAX_FAILURES_PER_FILE:
        report.fail(key, f"… and {len(problems) - MAX_FAILURES_PER_FILE} more")


def _jsonl_records(storage: Storage, key: str, problems: list[str]) -> Iterator[tuple[int, Any]]:
    for number, value in stored_lines(storage, key):
        if isinstance(value, ValueError):
            problems.append(f"line {number}: not JSON ({value})")
        else:
            yield number, value


def _check_pointer(storage: Storage, pointer: Any, warc_keys: dict[str, str]) -> str | None:
    try:
        filename, offset, length = pointer["filename"], pointer["offset"], pointer["length"]
        record_id = pointer["record_id"]
    except (KeyError, TypeError):
        return "warc pointer lacks filename, offset, length or record_id"
    if not (isinstance(offset, int) and isinstance(length, int) and offset >= 0 and length > 0):
        return f"warc pointer has a bad offset/length ({offset!r}, {length!r})"
    warc_key = warc_keys.get(PurePosixPath(str(filename)).name)
    if warc_key is None:
        return f"warc pointer names {filename!r}, which no crawl manifest lists"
    where = f"{filename} @{offset}+{length}"
    try:
        data = storage.read_range(warc_key, offset, length)
    except ObjectNotFoundError:
        return f"{where}: the WARC is missing"
    if len(data) != length:
        return f"{where}: only {len(data)} bytes there"
    if warc_key.endswith(".gz"):
        bad = next((m for m in gzip_members(io.BytesIO(data), keep_data=False) if not m.ok), None)
        if bad is not None:
            return f"{where}: not whole gzip member(s): bytes {bad.start}-{bad.end}: {bad.problem}"
    return _check_pointed_record(where, data, record_id, pointer.get("payload_digest"))


def _check_pointed_record(where: str, data: bytes, record_id: str,
                          payload_digest: str | None) -> str | None:
    record = next(iter(read_warc(io.BytesIO(data))))
    if isinstance(record, Unreadable):
        return f"{where}: no WARC record there ({record.problem})"
    if record.rec_type != "response":
        return f"{where}: a {record.rec_type or 'untyped'} record, not a response"
    if record.record_id != record_id:
        return f"{where}: record {record.record_id}, not {record_id}"
    if payload_digest and record.header("WARC-Payload-Digest") != payload_digest:
        return f"{where}: payload digest {record.header('WARC-Payload-Digest')}, " \
               f"pointer says {payload_digest}"
    problems = check_record(record)
    return f"{where}: {problems[0]}" if problems else None

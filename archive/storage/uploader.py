"""Background uploads from a spool, and finishing what a dead process left pending.

Files go up on worker threads so the crawl never waits for storage.  Crawl manifests
(``crawls/…``) go last, and only when every other file of the spool is stored: a manifest
in storage means the crawl is complete.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.layout import is_manifest_key
from archive.storage import ObjectInfo, Storage, open_storage
from archive.storage.errors import (
    IntegrityError,
    ObjectExistsError,
    StorageError,
    TransientStorageError,
)
from archive.storage.spool import PendingUpload, Spool
from archive.recovery.spool import recover_spool

logger = logging.getLogger(__name__)


def failure_reason(exc: BaseException) -> str:
    """The stats suffix for ``s3/upload_failed/<reason>``."""
    if isinstance(exc, ObjectExistsError):
        return "exists"
    if isinstance(exc, IntegrityError):
        return "integrity"
    if isinstance(exc, TransientStorageError):
        return "unavailable"
    if isinstance(exc, StorageError):
        return "storage"
    return type(exc).__name__


class Uploader:
    """Upload :class:`PendingUpload` entries from ``spool`` to ``storage`` on ``workers``
    threads; ``join()`` waits; results in ``stored`` and ``failed`` (key → message)."""

    def __init__(self, storage: Storage, spool: Spool, *, workers: int = 2,
                 file_attempts: int = 2):
        self.storage = storage
        self.spool = spool
        self.file_attempts = max(file_attempts, 1)
        self.stored: dict[str, ObjectInfo] = {}
        self.failed: dict[str, str] = {}
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[PendingUpload, int] | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._work, name=f"newsarchive-upload-{n}", daemon=True)
            for n in range(max(workers, 1))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, entry: PendingUpload) -> None:
        with self._lock:
            self.failed.pop(entry.key, None)
        self._queue.put((entry, 1))

    def join(self) -> None:
        self._queue.join()

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            entry, attempt = item
            try:
                self._upload(entry, attempt)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _upload(self, entry: PendingUpload, attempt: int) -> None:
        key = entry.key
        try:
            info = self._put(entry)
        except TransientStorageError as exc:
            if attempt < self.file_attempts:
                logger.warning("upload of %s failed (%s); queued again", key, exc)
                self._queue.put((entry, attempt + 1))
                return
            self._failed(key, exc)
            return
        except Exception as exc:  # noqa: BLE001 - recorded, reported by finish(); the thread lives
            self._failed(key, exc)
            return
        try:
            self.spool.mark_done(key)
        except StorageError as exc:
            self._failed(key, exc)
            return
        self.spool.remove_file(key)
        with self._lock:
            self.stored[key] = info
            self.stats["s3/uploaded"] += 1
            self.stats["s3/bytes_uploaded"] += info.size
            self.stats[f"s3/verified_by/{info.verified_by}"] += 1
        logger.info("stored %s (%d bytes, verified by %s)", key, info.size, info.verified_by)

    def _put(self, entry: PendingUpload) -> ObjectInfo:
        path = self.spool.path(entry.key)
        if not path.exists():
            existing = self.storage.head(entry.key)
            if existing is not None and existing.size == entry.size \
                    and existing.sha256 == entry.sha256:
                return ObjectInfo(entry.key, entry.size, entry.sha256, verified_by="existing")
            raise IntegrityError(entry.key, "the spool file is gone and storage lacks it")
        return self.storage.put_file(
            entry.key, path, size=entry.size, sha256=entry.sha256,
            on_multipart=lambda upload_id: self.spool.mark_multipart(entry.key, upload_id))

    def _failed(self, key: str, exc: BaseException) -> None:
        reason = failure_reason(exc)
        with self._lock:
            self.failed[key] = f"{type(exc).__name__}: {exc}"
            self.stats[f"s3/upload_failed/{reason}"] += 1
        if isinstance(exc, StorageError):
            logger.error("upload of %s failed: %s; the file stays in the spool", key, exc)
        else:
            logger.error("upload of %s failed; the file stays in the spool", key, exc_info=exc)


def upload_in_order(uploader: Uploader, entries: Iterable[PendingUpload], *,
                    earlier_failures: bool = False) -> list[str]:
    """Upload everything, manifests last and only if all else (including earlier batches,
    ``earlier_failures``) was stored; → keys not stored."""
    entries = list(entries)
    last = [e for e in entries if is_manifest_key(e.key)]
    for entry in entries:
        if not is_manifest_key(entry.key):
            uploader.submit(entry)
    uploader.join()
    if not uploader.failed and not earlier_failures:
        for entry in last:
            uploader.submit(entry)
        uploader.join()
        held: list[str] = []
    else:
        held = [e.key for e in last]
        for key in held:
            logger.error("%s not uploaded: other files of this crawl are not stored yet", key)
    return sorted(set(uploader.failed) | set(held))


@dataclass
class PendingReport:
    spool: Path
    stored: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    unjournaled: list[str] = field(default_factory=list)
    aborted_uploads: int = 0
    # One line per interrupted crawl recovered in the spool (``archive.recovery.spool``).
    recovered: list[str] = field(default_factory=list)


def upload_pending(spool_dir: str | Path, *, workers: int = 2,
                   storage_factory: Callable[..., Storage] = open_storage,
                   defaults: dict[str, Any] | None = None,
                   **storage_options: Any) -> PendingReport:
    """Finish the uploads a crashed or failed run left in ``spool_dir``.

    A crawl killed mid-WARC is recovered first (:mod:`archive.recovery.spool`: its
    ``.open`` WARCs cut to whole records, indexed, a ``recovered`` manifest).  Stale
    multipart uploads are aborted and files uploaded again (verified; a copy already
    stored counts as done).  Storage options: ``defaults`` < what the journal recorded <
    ``storage_options``.
    """
    spool = Spool(spool_dir, min_free_bytes=0)
    spool.acquire()
    report = PendingReport(Path(spool_dir))
    try:
        report.recovered = recover_spool(spool)
        pending, done = spool.read_journal()
        report.unjournaled = sorted(
            k for k in spool.spooled_keys() if k not in pending and k not in done)
        for key in report.unjournaled:
            logger.warning("%s: in the spool but never recorded as closed; not uploaded", key)
        by_target: dict[str, list[PendingUpload]] = {}
        for entry in pending.values():
            by_target.setdefault(entry.target.get("uri", ""), []).append(entry)
        for uri, entries in by_target.items():
            if not uri:  # never guess a target: an empty URI would mean the current directory
                for entry in entries:
                    report.failed[entry.key] = "the journal does not name the target storage"
                continue
            _finish_target(spool, uri, entries, report, workers, storage_factory,
                           {**(defaults or {})}, storage_options)
    finally:
        if not spool.cleanup():
            spool.release()
    return report


def _finish_target(spool: Spool, uri: str, entries: list[PendingUpload], report: PendingReport,
                   workers: int, storage_factory: Callable[..., Storage],
                   defaults: dict[str, Any], overrides: dict[str, Any]) -> None:
    recorded = {k: v for k, v in entries[0].target.items() if k != "uri"}
    storage = storage_factory(uri, **{**defaults, **recorded, **overrides})
    abort = getattr(storage, "abort_uploads", None)
    if abort is not None:
        for entry in entries:
            try:
                report.aborted_uploads += abort(entry.key, entry.upload_ids)
            except StorageError as exc:
                logger.warning("%s: could not clear stale multipart uploads: %s", entry.key, exc)
    uploader = Uploader(storage, spool, workers=workers)
    try:
        not_stored = upload_in_order(uploader, entries)
    finally:
        uploader.close()
    report.stored.extend(sorted(uploader.stored))
    for key in not_stored:
        report.failed[key] = uploader.failed.get(key, "held back: other files not stored")

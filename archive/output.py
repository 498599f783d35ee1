"""Where a crawl's files go: a local directory, or a spool uploaded to storage.

Writers ask ``Output.local_path(key)`` where to write a file (keys: ``archive.layout``) and
call ``Output.file_closed(key)`` once it is whole.  A :class:`SpoolOutput` journals and
uploads in the background, the manifest last; ``finish()`` returns the keys not stored, left
in the spool for ``newsarchive upload --pending``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from archive.layout import is_manifest_key
from archive.storage import (
    Storage,
    open_storage,
    s3_options_from_settings,
    sha256_file,
    split_uri,
)
from archive.storage.spool import DEFAULT_MIN_FREE_BYTES, PendingUpload, Spool, new_spool_dir
from archive.storage.uploader import Uploader, upload_in_order

__all__ = [
    "LocalOutput",
    "Output",
    "SpoolOutput",
    "StoredFile",
    "open_output",
    "output_options_from_settings",
    "sha256_file",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str


class Output(Protocol):
    uri: str
    files: list[StoredFile]

    def local_path(self, key: str) -> Path: ...

    def file_closed(self, key: str, *, size: int | None = None,
                    sha256: str | None = None) -> StoredFile: ...

    def finish(self) -> list[str]: ...


def _closed(key: str, path: Path, size: int | None, sha256: str | None) -> StoredFile:
    actual = path.stat().st_size
    if size is not None and size != actual:
        raise ValueError(f"{key}: closed with {actual} bytes on disk, the writer says {size}")
    return StoredFile(key=key, size=actual, sha256=sha256 or sha256_file(path))


class LocalOutput:
    """Files are written straight into ``root`` under their keys."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.uri = str(self.root)
        self.files: list[StoredFile] = []

    def local_path(self, key: str) -> Path:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def file_closed(self, key: str, *, size: int | None = None,
                    sha256: str | None = None) -> StoredFile:
        """``size``/``sha256``: what a writer that hashed as it wrote already knows (saves
        re-reading a large file on the crawl's thread)."""
        path = self.root / key
        stored = _closed(key, path, size, sha256)
        self.files.append(stored)
        return stored

    def finish(self) -> list[str]:
        """Wait for outstanding work; return the keys that could not be stored."""
        return []


class SpoolOutput:
    """Files are written into a local spool and uploaded to ``storage`` in the background.

    ``file_closed`` hashes the file, journals it (fsynced) and queues the upload; it never
    waits for storage.  Each upload is verified (see :mod:`archive.storage.s3`) before the
    spool copy is deleted.  ``local_path`` raises :class:`~archive.storage.SpoolFullError`
    when the spool has less than ``min_free_bytes`` free, so the writer stops the crawl
    instead of producing a truncated file; a file that fails to journal is not reported as
    closed.
    """

    def __init__(
        self,
        storage: Storage,
        spool_dir: str | Path,
        *,
        workers: int = 2,
        min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
        check: bool = True,
    ):
        if check:
            storage.check()
        self.storage = storage
        self.uri = storage.uri
        self.target = storage.describe()
        self.spool = Spool(spool_dir, min_free_bytes)
        self.workers = workers
        self.files: list[StoredFile] = []
        self._last: list[PendingUpload] = []
        self._not_stored: set[str] = set()
        self._stats: Counter[str] = Counter()
        self._uploader: Uploader | None = None
        self._open()
        logger.info("output %s via spool %s", self.uri, self.spool.root)

    def _open(self) -> Uploader:
        """The live uploader, (re)acquiring the spool: files may follow a ``finish()``."""
        if self._uploader is None:
            self.spool.acquire()
            self.spool.write_target(self.target)
            self._uploader = Uploader(self.storage, self.spool, workers=self.workers)
        return self._uploader

    @property
    def spool_dir(self) -> Path:
        return self.spool.root

    @property
    def stats(self) -> Counter[str]:
        """``s3/uploaded``, ``s3/bytes_uploaded``, ``s3/upload_failed/<reason>``…"""
        stats = self._stats + (self._uploader.stats if self._uploader else Counter())
        stats["s3/retries"] = int(getattr(self.storage, "retries", 0))
        return stats

    def local_path(self, key: str) -> Path:
        self._open()
        self.spool.ensure_space()
        path = self.spool.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def file_closed(self, key: str, *, size: int | None = None,
                    sha256: str | None = None) -> StoredFile:
        """Journal and queue ``key``; ``size``/``sha256`` as for :class:`LocalOutput` (the
        upload re-hashes the file anyway and refuses it if they disagree)."""
        uploader = self._open()
        path = self.spool.path(key)
        stored = _closed(key, path, size, sha256)
        entry = PendingUpload(key, stored.size, stored.sha256, self.target)
        self.spool.mark_pending(entry)  # SpoolFullError here: not closed, not reported stored
        self.files.append(stored)
        self._not_stored.discard(key)
        if is_manifest_key(key):
            self._last.append(entry)
        else:
            uploader.submit(entry)
        return stored

    def finish(self) -> list[str]:
        """Wait for the uploads, then the manifests; return the keys not stored.

        May be called more than once (e.g. before and after writing the manifest); each
        call covers every file closed so far.  When all is stored the spool is removed;
        otherwise it is left, unlocked, for ``newsarchive upload --pending``.
        """
        uploader = self._uploader
        if uploader is None:
            return sorted(self._not_stored)
        try:
            uploader.join()
            self._not_stored.update(upload_in_order(
                uploader, self._last, earlier_failures=bool(self._not_stored)))
        finally:
            uploader.close()
            self._stats += uploader.stats
            self._uploader = None
            self._last = []
        if self._not_stored:
            logger.error("%d file(s) not stored; they stay in %s for `newsarchive upload "
                         "--pending %s`", len(self._not_stored), self.spool.root,
                         self.spool.root)
            self.spool.release()
        elif not self.spool.cleanup():
            self.spool.release()
        return sorted(self._not_stored)


class IndexBeforeClose:
    """The output as the WARC writer sees it when closed WARCs are indexed: closing is left
    to :func:`archive.cdxj.index_closed_warc` (``close_warc=True``), which reads the file first."""

    def __init__(self, output: Any):
        self.output = output

    def local_path(self, key: str) -> Path:
        path: Path = self.output.local_path(key)
        return path

    def file_closed(self, key: str) -> None:
        return None


def output_options_from_settings(settings: Mapping[str, Any] | Any) -> dict[str, Any]:
    """``open_output`` keyword arguments from ``STORAGE_*`` settings (unset ones omitted)."""
    options: dict[str, Any] = {"storage_options": s3_options_from_settings(settings)}
    if settings.get("STORAGE_SPOOL_DIR"):
        options["spool_root"] = settings.get("STORAGE_SPOOL_DIR")
    if min_free := settings.get("STORAGE_SPOOL_MIN_FREE"):
        options["min_free_bytes"] = int(min_free)
    if workers := settings.get("STORAGE_UPLOAD_WORKERS"):
        options["workers"] = int(workers)
    return options


def open_output(
    target: str | Path,
    *,
    storage_options: Mapping[str, Any] | None = None,
    spool_root: str | Path | None = None,
    spool_dir: str | Path | None = None,
    workers: int = 2,
    min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
    check: bool = True,
) -> LocalOutput | SpoolOutput:
    """The output for ``--out DIR`` (a path or ``file://`` URI) or ``--storage s3://…``.

    Object storage gets a fresh spool directory under ``spool_root`` (default
    ``~/.cache/newsarchive/spool``) unless ``spool_dir`` names one.  A storage that cannot be
    used raises :class:`~archive.storage.StorageConfigError` here, before the crawl starts.
    """
    text = str(target)
    scheme, path = split_uri(text)
    if scheme in ("", "file"):
        return LocalOutput(path)
    storage = open_storage(text, **dict(storage_options or {}))
    return SpoolOutput(storage, spool_dir or new_spool_dir(spool_root), workers=workers,
                       min_free_bytes=min_free_bytes, check=check)

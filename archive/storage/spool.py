"""The local spool: files waiting for upload, and a journal that outlives the process.

``files/<key>`` holds each closed file until storage has a verified copy; ``journal.jsonl``
(append-only, fsynced) records ``pending`` / ``multipart`` / ``done``; ``.lock`` is held by the
live owner. After a crash ``newsarchive upload --pending SPOOL`` finishes what the journal
lists (a torn last line is ignored). Targets are recorded without credentials.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.layout import default_spool_root, part_path
from archive.storage import check_key
from archive.storage.errors import SpoolBusyError, SpoolFullError

logger = logging.getLogger(__name__)

JOURNAL = "journal.jsonl"
FILES = "files"
LOCK = ".lock"
#: The target's public description, written when the spool is made: a crawl killed before
#: it closed any file has no journal, but ``upload --pending`` can still recover it.
TARGET = "target.json"
NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
DEFAULT_MIN_FREE_BYTES = 128 * 1024 * 1024


@dataclass
class PendingUpload:
    key: str
    size: int
    sha256: str
    target: dict[str, Any]
    upload_ids: list[str] = field(default_factory=list)


def new_spool_dir(root: str | Path | None = None) -> Path:
    """A fresh spool directory under ``root`` for one run (several runs may share a root)."""
    base = Path(root) if root else default_spool_root()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return base / f"{stamp}-{os.getpid()}-{os.urandom(3).hex()}"


def find_spools(root: str | Path) -> list[Path]:
    """``root`` if it is a spool, else the spools directly inside it."""
    root = Path(root)
    if is_spool(root):
        return [root]
    if not root.is_dir():
        return []
    return sorted(child for child in root.iterdir() if is_spool(child))


def is_spool(path: Path) -> bool:
    return (path / JOURNAL).exists() or (path / TARGET).exists()


class Spool:
    def __init__(self, root: str | Path, min_free_bytes: int = DEFAULT_MIN_FREE_BYTES):
        self.root = Path(root)
        self.min_free_bytes = min_free_bytes
        self.files_dir = self.root / FILES
        self.journal_path = self.root / JOURNAL
        self._lock_fd: int | None = None
        self._journal_fd: int | None = None
        self._write_lock = threading.Lock()

    # --- ownership -------------------------------------------------------------------------

    def acquire(self) -> None:
        """Own the spool, or raise :class:`SpoolBusyError` if a live process does."""
        try:
            self.files_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _as_storage_error(exc, f"cannot create spool {self.root}") from exc
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise SpoolBusyError(f"spool {self.root} is in use by process {holder}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def release(self) -> None:
        with self._write_lock:
            if self._journal_fd is not None:
                os.close(self._journal_fd)
                self._journal_fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing drops the flock
            self._lock_fd = None

    # --- files -----------------------------------------------------------------------------

    def path(self, key: str) -> Path:
        return self.files_dir / check_key(key)

    def free_bytes(self) -> int:
        stat = os.statvfs(self.root)
        return stat.f_bavail * stat.f_frsize

    def ensure_space(self) -> None:
        free = self.free_bytes()
        if free < self.min_free_bytes:
            raise SpoolFullError(
                f"spool {self.root} has {free} bytes free, below the {self.min_free_bytes} "
                "needed to keep writing (free space, or set STORAGE_SPOOL_DIR elsewhere)")

    def remove_file(self, key: str) -> None:
        path = self.path(key)
        path.unlink(missing_ok=True)
        for parent in path.parents:  # prune now-empty directories up to files/
            if parent == self.files_dir or not parent.is_relative_to(self.files_dir):
                break
            try:
                parent.rmdir()
            except OSError:
                break

    def spooled_keys(self) -> Iterator[str]:
        for dirpath, _, filenames in os.walk(self.files_dir):
            for name in filenames:
                yield (Path(dirpath) / name).relative_to(self.files_dir).as_posix()

    # --- the journal -----------------------------------------------------------------------

    def _append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n").encode()
        with self._write_lock:
            try:
                if self._journal_fd is None:
                    self._journal_fd = os.open(self.journal_path,
                                               os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                written = os.write(self._journal_fd, line)
                if written != len(line):
                    raise OSError(errno.ENOSPC, "short write to the journal")
                os.fsync(self._journal_fd)
            except OSError as exc:
                raise _as_storage_error(exc, f"cannot write the spool journal {self.journal_path}") \
                    from exc

    def write_target(self, target: dict[str, Any]) -> None:
        """Record the target once (atomically); public configuration only."""
        path = self.root / TARGET
        if path.exists():
            return
        partial = part_path(path)
        try:
            partial.write_text(json.dumps(target, sort_keys=True) + "\n", "utf-8")
            os.replace(partial, path)
        except OSError as exc:
            raise _as_storage_error(exc, f"cannot write {path}") from exc

    def read_target(self) -> dict[str, Any] | None:
        """The recorded target: ``target.json``, else that of the first journaled file."""
        try:
            target = json.loads((self.root / TARGET).read_text("utf-8"))
            if isinstance(target, dict) and target.get("uri"):
                return target
        except (OSError, ValueError):
            pass
        for entry in self.closed_files().values():
            if entry.target.get("uri"):
                return entry.target
        return None

    def closed_files(self) -> dict[str, PendingUpload]:
        """Every file ever journaled as closed (stored since or not), by key."""
        entries: dict[str, PendingUpload] = {}
        try:
            lines = self.journal_path.read_bytes().splitlines()
        except FileNotFoundError:
            return entries
        for line in lines:
            try:
                record = json.loads(line)
                if record["op"] == "pending":
                    entries[record["key"]] = PendingUpload(
                        record["key"], int(record["size"]), record["sha256"],
                        dict(record.get("target") or {}))
            except (ValueError, KeyError, TypeError):
                continue
        return entries

    def mark_pending(self, entry: PendingUpload) -> None:
        self._append({"op": "pending", "key": entry.key, "size": entry.size,
                      "sha256": entry.sha256, "target": entry.target})

    def mark_multipart(self, key: str, upload_id: str) -> None:
        self._append({"op": "multipart", "key": key, "upload_id": upload_id})

    def mark_done(self, key: str) -> None:
        self._append({"op": "done", "key": key})

    def read_journal(self) -> tuple[dict[str, PendingUpload], set[str]]:
        """(pending uploads by key, keys done) replayed from the journal."""
        pending: dict[str, PendingUpload] = {}
        done: set[str] = set()
        try:
            lines = self.journal_path.read_bytes().splitlines()
        except FileNotFoundError:
            return pending, done
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
                op, key = record["op"], record["key"]
            except (ValueError, KeyError, TypeError):
                logger.warning("%s line %d: unreadable journal record ignored",
                               self.journal_path, number)
                continue
            if op == "pending":
                pending[key] = PendingUpload(key, int(record["size"]), record["sha256"],
                                             dict(record.get("target") or {}))
                done.discard(key)
            elif op == "multipart" and key in pending:
                pending[key].upload_ids.append(record["upload_id"])
            elif op == "done":
                pending.pop(key, None)
                done.add(key)
        return pending, done

    def cleanup(self) -> bool:
        """Remove the spool if nothing is pending and no unjournaled file is left."""
        pending, done = self.read_journal()
        if pending:
            return False
        for key in list(self.spooled_keys()):
            if key in done:
                self.remove_file(key)
        if any(True for _ in self.spooled_keys()):
            return False
        self.release()
        shutil.rmtree(self.root, ignore_errors=True)
        return True


def _as_storage_error(exc: OSError, what: str) -> Exception:
    if exc.errno in NO_SPACE:
        return SpoolFullError(f"{what}: {os.strerror(exc.errno or errno.ENOSPC)}")
    from archive.storage.errors import StorageError

    return StorageError(f"{what}: {exc}")

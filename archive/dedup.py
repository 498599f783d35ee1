"""Revisit deduplication across crawls: URL + payload digest → the record holding the payload.

A payload already archived for the same URL is written as an identical-payload-digest
``revisit`` instead of a second copy. The index (``state/dedup.sqlite``) is shared by every
crawl into the output; an entry counts only once its WARC is closed (or within the file being
written, or once recovery confirms it), so a revisit never refers to a lost record.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, Self, TypeVar

from archive.added_urls import AddedUrls
from archive.layout import DEDUP_STATE_KEY, default_spool_root, storage_dedup_state_path
from archive.sqlite_transaction import connect_shared, transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payloads (
    url TEXT NOT NULL,
    digest TEXT NOT NULL,
    record_id TEXT NOT NULL,
    date TEXT NOT NULL,
    filename TEXT NOT NULL,
    offset INTEGER NOT NULL,
    length INTEGER NOT NULL,
    pending INTEGER NOT NULL,
    PRIMARY KEY (url, digest, record_id)
);
CREATE INDEX IF NOT EXISTS payloads_by_file ON payloads (filename) WHERE pending = 1;
"""


P = ParamSpec("P")
R = TypeVar("R")


def _locked(method: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        with args[0]._lock:  # type: ignore[attr-defined]
            return method(*args, **kwargs)
    return call


@dataclass(frozen=True)
class Original:
    """The response record that holds a payload: what a revisit refers to."""

    url: str
    digest: str
    record_id: str
    date: str  # its WARC-Date, as written
    filename: str
    offset: int
    length: int

    def pointer(self) -> dict:
        """The JSONL ``warc`` pointer of the record (``WarcPointer.to_dict`` shape)."""
        return {
            "filename": self.filename,
            "offset": self.offset,
            "length": self.length,
            "record_id": self.record_id,
            "payload_digest": self.digest,
        }


class DedupIndex:
    """The on-disk index; safe to share between processes (SQLite WAL, short transactions)
    and between threads (a lock: the crawl looks payloads up on its record threads)."""

    def __init__(self, path: Path | str):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A lost tail is harmless: the WARC files stay the truth.
        self._db = connect_shared(path, _SCHEMA, check_same_thread=False)
        self._lock = threading.RLock()
        self._writing: set[str] = set()
        # Entries of the files being written, saved ``SAVE_EVERY`` at a time (one commit
        # per entry cost the crawl's thread more than the WARC writing itself); read here
        # as if saved.  Lost with a killed process: harmless, as above.
        self._unsaved: list[tuple[str, str, str, str, str, int, int]] = []
        # Opened empty: only URLs added since can be found (``archive.added_urls``).
        empty = self._db.execute("SELECT 1 FROM payloads LIMIT 1").fetchone() is None
        self._added: AddedUrls | None = AddedUrls(self._db, path) if empty else None

    SAVE_EVERY = 64

    @_locked
    def close(self) -> None:
        self.save()
        self._db.close()

    @_locked
    def save(self) -> None:
        """Write the entries not yet written, in one transaction."""
        if not self._unsaved:
            return
        rows, self._unsaved = self._unsaved, []
        with transaction(self._db):
            self._db.executemany(
                "INSERT OR IGNORE INTO payloads VALUES (?, ?, ?, ?, ?, ?, ?, 1)", rows)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_locked
    def lookup(self, url: str, digest: str) -> Original | None:
        """The earliest usable record of this payload at this URL, if any."""
        return next((o for o in self.originals_of(url) if o.digest == digest), None)

    @_locked
    def originals_of(self, url: str) -> list[Original]:
        """Every usable record of a payload at this URL, earliest first."""
        if self._added is not None and self._added.surely_absent(url):
            return []
        rows = self._db.execute(
            "SELECT url, digest, record_id, date, filename, offset, length, pending"
            " FROM payloads WHERE url = ? ORDER BY date",
            (url,),
        ).fetchall()
        found = [Original(*fields) for *fields, pending in rows
                 if not pending or fields[4] in self._writing]
        unsaved = [Original(*row) for row in self._unsaved if row[0] == url]
        if unsaved:
            found = sorted(found + unsaved, key=lambda original: original.date)
        return found

    def add(self, original: Original) -> None:
        """Index a response record just written to the ``.open`` file ``original.filename``.

        Not locked: the crawl's thread calls it per page and would wait out look-ups on the
        record threads.  Only that thread adds, and an append is atomic; ``save`` (locked)
        swaps the list out, so a look-up sees each entry in the list or in the database."""
        self._writing.add(original.filename)
        if self._added is not None:
            self._added.add(original.url)
        self._unsaved.append((original.url, original.digest, original.record_id, original.date,
                              original.filename, original.offset, original.length))
        if len(self._unsaved) >= self.SAVE_EVERY:
            self.save()

    @_locked
    def file_closed(self, filename: str) -> None:
        """The file is complete: its records may now be referred to by any crawl."""
        self.save()
        self._db.execute("UPDATE payloads SET pending = 0 WHERE filename = ?", (filename,))
        self._writing.discard(filename)

    @_locked
    def confirm_recovered(self, filename: str, record_ids: Iterable[str],
                          survivors: Iterable[Original] = ()) -> int:
        """After ``archive.recovery``: keep the entries whose records survived, drop the rest,
        and add the ``survivors`` (response records read back from the file) the killed crawl
        had not saved yet.  Returns how many entries of the file now count."""
        kept = set(record_ids)
        self.save()
        self._added = None  # survivors are added below
        rows = self._db.execute(
            "SELECT record_id FROM payloads WHERE filename = ? AND pending = 1", (filename,)
        ).fetchall()
        confirmed = 0
        with transaction(self._db):
            for (record_id,) in rows:
                if record_id in kept:
                    self._db.execute(
                        "UPDATE payloads SET pending = 0 WHERE filename = ? AND record_id = ?",
                        (filename, record_id),
                    )
                    confirmed += 1
                else:
                    self._db.execute(
                        "DELETE FROM payloads WHERE filename = ? AND record_id = ?",
                        (filename, record_id),
                    )
            for original in survivors:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO payloads VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                    (original.url, original.digest, original.record_id, original.date,
                     filename, original.offset, original.length),
                )
                confirmed += cursor.rowcount
        return confirmed


def dedup_state_path(output: Any, spool_root: str | Path | None) -> Path:
    """Where the revisit index lives: in a local output, else in a per-target state dir.

    A storage output's spool is removed once uploaded, so its index lives beside the spools
    (``spool_root``, the setting ``STORAGE_SPOOL_DIR``, or ``~/.cache/newsarchive``), keyed by
    the storage URI.
    """
    from archive.output import LocalOutput

    if isinstance(output, LocalOutput):
        return output.local_path(DEDUP_STATE_KEY)
    path = storage_dedup_state_path(Path(spool_root or default_spool_root()),
                                    str(getattr(output, "uri", "storage")))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path

"""The seen-store: per site, what the archive holds of each article, keyed by its fetched URL.

An entry holds the last fetch's validators (digest, ``ETag``, ``Last-Modified``) and the last
recorded revision; ``crawler.incremental`` and ``pipelines.revisions`` consult it. Local archives
keep a SQLite file per site, Redis workers a hash (``RedisSeenStore``). An unreadable store is
set aside and rebuilt from the archive, never left silently empty (that would refetch all).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from archive.added_urls import AddedUrls
from archive.jsonl_gzip import stored_lines
from archive.layout import CRAWLS_PREFIX, is_crawl_manifest_key, site_articles_prefix
from archive.records import sha1_digest
from archive.sqlite_transaction import connect_shared, is_lock_error, transaction

logger = logging.getLogger(__name__)

# request.meta key of a conditional re-check: the entry's url, payload digest and WARC
# pointer, so that a 304 is archived as a revisit of that capture (archive.capture).
RECHECK_META_KEY = "newsarchive_recheck"
_ATTRIBUTE = "_newsarchive_seen_store"


def text_digest(text: str) -> str:
    """The digest of an extracted text or title, as WARC digests are written."""
    return sha1_digest(text.encode("utf-8"))


def parse_time(text: Any) -> float | None:
    """Seconds since the epoch of an ISO 8601 date or date-time (UTC when no offset)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass
class SeenEntry:
    """One article URL.  ``text_digest`` is None until a record of it was written: such an
    entry (a page fetched that was not, or not yet, an article) is not a known article."""

    url: str
    payload_digest: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    checked_at: float | None = None  # last fetch or re-check, seconds since the epoch
    revision: int | None = None
    first_seen: str | None = None  # ISO 8601, fetched_at of revision 1
    captured_at: str | None = None  # ISO 8601, fetched_at of the last revision
    published: float | None = None  # the record's published date, seconds since the epoch
    text_digest: str | None = None
    title_digest: str | None = None
    warc: dict[str, Any] | None = None  # the last revision's JSONL warc pointer

    @property
    def known(self) -> bool:
        return self.text_digest is not None


_COLUMNS = [f.name for f in fields(SeenEntry)]
RESPONSE_FIELDS = ("payload_digest", "etag", "last_modified", "checked_at")
CAPTURE_FIELDS = ("revision", "first_seen", "captured_at", "published", "text_digest",
                  "title_digest", "warc")


class SeenStore(Protocol):
    def get(self, url: str) -> SeenEntry | None: ...

    def update(self, url: str, values: dict[str, Any]) -> None:
        """Set some fields of the entry of ``url`` (created when missing)."""

    def count(self) -> int: ...

    def prune(self, max_urls: int) -> int:
        """Forget the least recently checked entries beyond ``max_urls``; how many went."""

    def load(self, entries: Iterable[SeenEntry]) -> int: ...

    def close(self) -> None: ...


def attach_seen_store(crawler: Any, store: SeenStore | None) -> None:
    setattr(crawler, _ATTRIBUTE, store)


def attached_seen_store(crawler: Any) -> SeenStore | None:
    """The store the incremental middleware opened for this crawl, if any."""
    return getattr(crawler, _ATTRIBUTE, None)


class SeenStoreError(Exception):
    """The store failed while in use (disk full, Redis gone): the crawl goes on without it."""


class CorruptSeenStore(Exception):
    """The SQLite file is not a readable seen-store."""


def guarded(method: Any) -> Any:
    """Store errors (SQLite's, Redis's) as ``SeenStoreError``, so callers catch one type."""
    import functools

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except SeenStoreError:
            raise
        except (sqlite3.Error, OSError, ValueError) as exc:
            raise SeenStoreError(str(exc)) from exc
        except Exception as exc:
            if type(exc).__module__.startswith("redis"):
                raise SeenStoreError(str(exc)) from exc
            raise
    return call


_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    url TEXT PRIMARY KEY,
    payload_digest TEXT,
    etag TEXT,
    last_modified TEXT,
    checked_at REAL,
    revision INTEGER,
    first_seen TEXT,
    captured_at TEXT,
    published REAL,
    text_digest TEXT,
    title_digest TEXT,
    warc TEXT
) WITHOUT ROWID;
"""


class SqliteSeenStore:
    """The local store; shared safely by the processes crawling one archive (WAL)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = connect_shared(self.path, _SCHEMA)
            (result,) = self._db.execute("PRAGMA quick_check").fetchone()
            names = [row[1] for row in self._db.execute("PRAGMA table_info(articles)")]
            empty = (names == _COLUMNS and self._db.execute(
                "SELECT 1 FROM articles LIMIT 1").fetchone() is None)
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            if isinstance(exc, sqlite3.OperationalError) and is_lock_error(exc):
                raise  # held by another process past LOCK_WAIT: not a reason to set it aside
            raise CorruptSeenStore(f"{self.path}: {exc}") from None
        if result != "ok" or names != _COLUMNS:
            self._close_quietly()
            raise CorruptSeenStore(f"{self.path}: {result if result != 'ok' else 'unknown layout'}")
        # Updates saved ``SAVE_EVERY`` URLs at a time in one transaction (a commit per page
        # cost the crawl's thread more than the lookups), read here as if saved.  A killed
        # crawl loses at most those: the next one fetches them again.
        self._unsaved: dict[str, dict[str, Any]] = {}
        # Opened empty: only URLs updated since can be found (``archive.added_urls``).
        self._added: AddedUrls | None = AddedUrls(self._db, self.path) if empty else None

    SAVE_EVERY = 64

    def _close_quietly(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            try:
                db.close()
            except sqlite3.Error:
                logger.debug("closing %s failed", self.path)

    @guarded
    def get(self, url: str) -> SeenEntry | None:
        if self._added is not None and self._added.surely_absent(url):
            return None
        row = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM articles WHERE url = ?", (url,)).fetchone()
        unsaved = self._unsaved.get(url)
        if row is None and unsaved is None:
            return None
        values = dict(zip(_COLUMNS, row)) if row is not None else dict.fromkeys(_COLUMNS)
        values["warc"] = json.loads(values["warc"]) if values["warc"] else None
        values.update(unsaved or {})
        values["url"] = url
        return SeenEntry(**values)

    @guarded
    def update(self, url: str, values: dict[str, Any]) -> None:
        known = {name: value for name, value in values.items()
                 if name in _COLUMNS and name != "url"}
        if self._added is not None:
            self._added.add(url)
        self._unsaved.setdefault(url, {}).update(known)
        if len(self._unsaved) >= self.SAVE_EVERY:
            self.save()

    @guarded
    def save(self) -> None:
        """Write the updates not yet written, in one transaction."""
        if not self._unsaved:
            return
        updates, self._unsaved = self._unsaved, {}
        with transaction(self._db):
            for url, values in updates.items():
                self._write(url, values)

    def _write(self, url: str, values: dict[str, Any]) -> None:
        names = list(values)
        params = [json.dumps(values[n], separators=(",", ":"))
                  if n == "warc" and values[n] is not None else values[n] for n in names]
        self._db.execute(
            f"INSERT INTO articles (url, {', '.join(names)}) VALUES (?{', ?' * len(names)})"
            f" ON CONFLICT (url) DO UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in names)}",
            (url, *params))

    @guarded
    def count(self) -> int:
        self.save()
        (total,) = self._db.execute("SELECT count(*) FROM articles").fetchone()
        return int(total)

    @guarded
    def has_known(self) -> bool:
        """Whether any entry is a known article (a record of it was written)."""
        self.save()
        return self._db.execute(
            "SELECT 1 FROM articles WHERE text_digest IS NOT NULL LIMIT 1").fetchone() is not None

    @guarded
    def prune(self, max_urls: int) -> int:
        # (no index on checked_at: a sort when over the limit costs less than ~90 bytes a URL)
        excess = self.count() - max_urls
        if excess <= 0:
            return 0
        self._db.execute(
            "DELETE FROM articles WHERE url IN (SELECT url FROM articles"
            " ORDER BY checked_at LIMIT ?)", (excess,))
        return excess

    @guarded
    def load(self, entries: Iterable[SeenEntry]) -> int:
        loaded = 0
        self.save()
        self._added = None  # found by queries from now on
        with transaction(self._db):
            for entry in entries:
                values = asdict(entry)
                values.pop("url")
                self._write(entry.url, values)
                loaded += 1
        return loaded

    def close(self) -> None:
        try:
            self.save()
        finally:
            self._db.close()


def set_aside(path: Path, reason: str = "corrupt") -> Path:
    """Rename a store (and its WAL files) out of the way; returns the new name."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    aside = path.with_name(f"{path.name}.{reason}-{stamp}")
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.rename(aside.with_name(aside.name + suffix))
    path.rename(aside)
    return aside


# KEYS: entries hash, check-time sorted set; ARGV: url, JSON of the fields to set, check time
# (or '' to leave it).  One script, so two workers updating one entry never lose a field.
_MERGE = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
local entry = current and cjson.decode(current) or {}
for name, value in pairs(cjson.decode(ARGV[2])) do entry[name] = value end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) end
return 1
"""


class RedisSeenStore:
    """The store of workers on a shared frontier: a hash ``<prefix>:known`` (URL → JSON
    entry), a sorted set ``<prefix>:known:checked`` (URL by check time, for the retention
    limit) and ``<prefix>:known:created``, whose absence next to an archive with earlier
    crawls means Redis lost the store."""

    def __init__(self, server: Any, prefix: str):
        self.server = server
        self.key = f"{prefix}:known"
        self.order_key = f"{prefix}:known:checked"
        self.created_key = f"{prefix}:known:created"
        self._merge = server.register_script(_MERGE)

    @guarded
    def exists(self) -> bool:
        return bool(self.server.exists(self.created_key))

    @guarded
    def mark_created(self) -> None:
        self.server.set(self.created_key, str(int(time.time())), nx=True)

    @guarded
    def get(self, url: str) -> SeenEntry | None:
        raw = self.server.hget(self.key, url)
        if raw is None:
            return None
        values = json.loads(raw)
        if not isinstance(values, dict):
            return None
        fields = {k: v for k, v in values.items() if k in _COLUMNS and k != "url"}
        return SeenEntry(url=url, **fields)

    @guarded
    def update(self, url: str, values: dict[str, Any]) -> None:
        values = {k: v for k, v in values.items() if k != "url"}
        checked = values.get("checked_at")
        self._merge(keys=[self.key, self.order_key],
                    args=[url, json.dumps(values), "" if checked is None else repr(checked)])

    @guarded
    def count(self) -> int:
        return int(self.server.hlen(self.key))

    @guarded
    def prune(self, max_urls: int) -> int:
        excess = int(self.server.zcard(self.order_key)) - max_urls
        if excess <= 0:
            return 0
        urls = self.server.zrange(self.order_key, 0, excess - 1)
        if urls:
            self.server.hdel(self.key, *urls)
            self.server.zrem(self.order_key, *urls)
        return len(urls)

    @guarded
    def load(self, entries: Iterable[SeenEntry]) -> int:
        loaded = 0
        for entry in entries:
            values = asdict(entry)
            values.pop("url")
            self.update(entry.url, values)
            loaded += 1
        return loaded

    def close(self) -> None:
        return None


def rebuild_entries(storage: Any, site: str) -> Iterator[SeenEntry]:
    """The entries an archive's records imply: every JSONL file listed by a manifest of
    ``site`` (``crawls/*.json``), oldest crawl first; the validators (ETag, Last-Modified)
    are read from the response record each last revision points to."""
    entries: dict[str, SeenEntry] = {}
    for manifest in _site_manifests(storage, site):
        for key in _jsonl_keys(manifest, site):
            for record in _jsonl_records(storage, key):
                _apply(entries, record)
    for entry in entries.values():
        entry.etag, entry.last_modified = archived_validators(storage, entry.warc)
        yield entry


def archived_validators(storage: Any, pointer: dict[str, Any] | None
                        ) -> tuple[str | None, str | None]:
    """ETag and Last-Modified of the archived response a JSONL pointer reaches (None, None
    when it cannot be read: the first re-check is then unconditional)."""
    from archive.layout import key_problem

    key = (pointer or {}).get("key")
    offset, length = (pointer or {}).get("offset"), (pointer or {}).get("length")
    if key_problem(key) or not isinstance(offset, int) or not isinstance(length, int):
        return None, None
    try:
        data = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(
            storage.read_range(key, offset, length), 256 * 1024)
    except (OSError, zlib.error, ValueError) as exc:
        logger.debug("no validators from %s: %s", key, exc)
        return None, None
    _, _, http = data.partition(b"\r\n\r\n")
    found: dict[bytes, str] = {}
    for line in http.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"etag", b"last-modified"):
            found[name.strip().lower()] = value.strip().decode("latin-1")
    return found.get(b"etag"), found.get(b"last-modified")


def has_earlier_records(storage: Any, site: str) -> bool:
    """Whether a manifest of ``site`` lists a JSONL file: then an empty store is lost."""
    return any(_jsonl_keys(manifest, site) for manifest in _each_site_manifest(storage, site))


def _jsonl_keys(manifest: dict[str, Any], site: str) -> list[str]:
    keys = (f.get("key") for f in manifest.get("files") or [] if isinstance(f, dict))
    return [key for key in keys if isinstance(key, str) and key.startswith(site_articles_prefix(site))]


def _site_manifests(storage: Any, site: str) -> list[dict[str, Any]]:
    found = list(_each_site_manifest(storage, site))
    found.sort(key=lambda m: (str(m.get("started_at") or ""), str(m.get("crawl_id") or "")))
    return found


def _each_site_manifest(storage: Any, site: str) -> Iterator[dict[str, Any]]:
    for info in storage.list(CRAWLS_PREFIX):
        if not is_crawl_manifest_key(info.key):
            continue
        try:
            manifest = json.loads(storage.read(info.key))
        except (ValueError, UnicodeDecodeError) as exc:
            logger.warning("Seen-store rebuild: skipped %s: %s", info.key, exc)
            continue
        if isinstance(manifest, dict) and any(
                isinstance(s, dict) and s.get("name") == site for s in manifest.get("sites") or []):
            yield manifest


def _jsonl_records(storage: Any, key: str) -> Iterator[dict[str, Any]]:
    try:
        for _, record in stored_lines(storage, key):
            if isinstance(record, dict) and isinstance(record.get("url"), str):
                yield record
    except (OSError, EOFError, zlib.error) as exc:
        logger.warning("Seen-store rebuild: skipped the rest of %s: %s", key, exc)


def _apply(entries: dict[str, SeenEntry], record: dict[str, Any]) -> None:
    url = record["url"]
    digest = text_digest(str(record.get("text") or ""))
    title = text_digest(str(record.get("title") or ""))
    entry = entries.get(url)
    fetched_at = record.get("fetched_at")
    if entry is None:
        entry = entries[url] = SeenEntry(url=url, revision=0,
                                         first_seen=record.get("first_seen") or fetched_at)
    elif entry.text_digest == digest and entry.title_digest == title:
        entry.checked_at = parse_time(fetched_at) or entry.checked_at
        return
    entry.revision = int(record.get("revision") or (entry.revision or 0) + 1)
    entry.captured_at = fetched_at
    entry.checked_at = parse_time(fetched_at)
    entry.published = parse_time(record.get("published"))
    entry.text_digest, entry.title_digest = digest, title
    entry.warc = record.get("warc") if isinstance(record.get("warc"), dict) else None
    entry.payload_digest = (entry.warc or {}).get("payload_digest")

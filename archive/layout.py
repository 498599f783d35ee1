"""The layout of an archive: every key and path of its files, and every way of listing them.

WARCs, CDXJ indexes and article JSONL live under ``warc/``, ``indexes/`` and ``articles/``, then
``<site>/<YYYY>/<MM>/<DD>/``; crawl manifests (written last) under ``crawls/``, the revisit
index and live-crawl locks under ``state/``. A file written whole is first ``<key>.part``.
Keys read from data (manifests, listings) are checked by :func:`key_problem` before use.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path, PurePath, PurePosixPath

from archive.crawl_id import crawl_date

WARC_PREFIX = "warc/"
INDEX_PREFIX = "indexes/"
ARTICLES_PREFIX = "articles/"
CRAWLS_PREFIX = "crawls/"
ARCHIVE_PREFIXES = (WARC_PREFIX, INDEX_PREFIX, ARTICLES_PREFIX)

WARC_SUFFIX = ".warc.gz"
WARC_SUFFIXES = (WARC_SUFFIX, ".warc")
OPEN_SUFFIX = ".open"
INDEX_SUFFIX = ".cdxj"
JSONL_SUFFIX = ".jsonl.gz"
JSONL_SUFFIXES = (JSONL_SUFFIX, ".jsonl")
MANIFEST_SUFFIX = ".json"
PART_SUFFIX = ".part"

DEDUP_STATE_KEY = "state/dedup.sqlite"
SEEN_STATE_DIR = "state/seen"  # one seen-store per site (archive.seen_store)
LIVE_DIR = "state/live"
LOCK_SUFFIX = ".lock"

_LAYOUT_PARTS = 6  # warc / site / YYYY / MM / DD / file
_DATE_PART = re.compile(r"^\d+$")
_SITE = re.compile(r"^[a-z0-9_-]+$")
_WARC_NAME = re.compile(r"^(?P<crawl_id>.+)-(?P<serial>\d+)\.warc\.gz$")


# --- keys ------------------------------------------------------------------------------------


def warc_key(site: str, crawl_id: str, serial: int, opened: datetime) -> str:
    """The key of a crawl's ``serial``-th WARC, dated the day it was opened."""
    return f"{WARC_PREFIX}{site}/{opened:%Y/%m/%d}/{crawl_id}-{serial:05d}{WARC_SUFFIX}"


def index_key_for(warc_key: str) -> str:
    """The CDXJ index key of a WARC key: ``warc/…/<name>.warc.gz`` → ``indexes/…/<name>.cdxj``."""
    if not warc_key.startswith(WARC_PREFIX):
        raise ValueError(f"not a WARC key (expected warc/...): {warc_key!r}")
    rest = warc_key[len(WARC_PREFIX):]
    for suffix in WARC_SUFFIXES:
        if rest.endswith(suffix):
            return INDEX_PREFIX + rest[: -len(suffix)] + INDEX_SUFFIX
    raise ValueError(f"not a WARC file name (expected .warc.gz or .warc): {warc_key!r}")


def index_name_for(warc_name: str) -> str:
    """The index file name of a WARC file name."""
    return warc_name.removesuffix(WARC_SUFFIX) + INDEX_SUFFIX


def articles_key(site: str, crawl_id: str) -> str:
    return f"{ARTICLES_PREFIX}{site}/{crawl_date(crawl_id):%Y/%m/%d}/{crawl_id}{JSONL_SUFFIX}"


def site_articles_prefix(site: str) -> str:
    return f"{ARTICLES_PREFIX}{site}/"


def manifest_key(crawl_id: str) -> str:
    return f"{CRAWLS_PREFIX}{crawl_id}{MANIFEST_SUFFIX}"


def is_manifest_key(key: str) -> bool:
    """A key under ``crawls/``: uploaded last, once every other file is stored."""
    return key.startswith(CRAWLS_PREFIX)


def is_crawl_manifest_key(key: str) -> bool:
    """Exactly a crawl manifest's key, ``crawls/<crawl_id>.json``."""
    return is_manifest_key(key) and key.endswith(MANIFEST_SUFFIX) and key.count("/") == 1


def part_path(path: Path) -> Path:
    """Where a file written whole is written first."""
    return path.with_name(path.name + PART_SUFFIX)


def copy_temp_path(dest: Path) -> Path:
    """A hidden, unique name beside ``dest`` for a copy that is renamed when whole."""
    return dest.with_name(f".{dest.name}{PART_SUFFIX}-{uuid.uuid4().hex}")


def open_path(path: Path) -> Path:
    """Where a WARC is written until it is closed."""
    return Path(str(path) + OPEN_SUFFIX)


def final_path(open_warc: Path) -> Path:
    return Path(str(open_warc).removesuffix(OPEN_SUFFIX))


def closed_name(name: str) -> str:
    """A WARC file name without its ``.open`` suffix."""
    return name.removesuffix(OPEN_SUFFIX)


def warc_stem(name: str) -> str:
    """A WARC file name without its ``.warc.gz`` / ``.warc`` suffix."""
    for suffix in WARC_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def crawl_id_of(name: str) -> str:
    """``<crawl_id>-<serial>.warc.gz[.open]`` → ``<crawl_id>``."""
    return name.split(".warc", 1)[0].rsplit("-", 1)[0]


def belongs_to(key: str, crawl_id: str) -> bool:
    """Whether ``key`` is one of the files of crawl ``crawl_id``."""
    name = PurePosixPath(key).name
    return name.startswith((f"{crawl_id}-", f"{crawl_id}."))


def is_warc_key(key: str) -> bool:
    return key.endswith(WARC_SUFFIXES)


def is_jsonl_key(key: str) -> bool:
    return key.endswith(JSONL_SUFFIXES)


def file_kind(key: str) -> str:
    top = key.split("/", 1)[0]
    return {"warc": "warc", "indexes": "cdxj", "articles": "jsonl", "crawls": "manifest"}.get(top, "other")


def site_of_key(key: str | None) -> str | None:
    return key.split("/")[1] if key else None


def key_from_path(path: str | PurePath) -> str | None:
    """The key of a WARC file that sits in an archive layout (``…/warc/<site>/Y/M/D/f``)."""
    parts = PurePath(path).parts[-_LAYOUT_PARTS:]
    if len(parts) < _LAYOUT_PARTS or parts[0] != "warc" or not _SITE.match(parts[1]):
        return None
    if not all(_DATE_PART.match(p) for p in parts[2:5]):
        return None
    return "/".join(parts)


def key_from_name(site: str | None, filename: str) -> str | None:
    """The key of one of newsarchive's WARCs from its name: the file opened on the day its
    crawl started (true unless a crawl rotated files after midnight UTC)."""
    match = _WARC_NAME.match(filename)
    if not site or not _SITE.match(site) or match is None:
        return None
    crawl_id = crawl_id_of(filename)
    try:
        started = crawl_date(crawl_id)
    except ValueError:
        return None
    key = warc_key(site, crawl_id, int(match["serial"]), started)
    return key if key.endswith("/" + filename) else None


def key_problem(key: object) -> str | None:
    """Why ``key`` (from a manifest or a listing) may not be used as a relative path inside
    an archive, or None when it may."""
    if not isinstance(key, str) or not key:
        return "not a non-empty string"
    if "\0" in key:
        return "contains a NUL byte"
    if "\\" in key:
        return "contains a backslash"
    if key.startswith("/") or (len(key) > 1 and key[1] == ":"):
        return "is absolute"
    if any(part in ("..", ".") for part in key.split("/")):
        return "has a '.' or '..' part"
    if "//" in key or key.endswith("/"):
        return "has an empty part"
    return None


# --- state -----------------------------------------------------------------------------------


def crawl_lock_path(root: Path, crawl_id: str) -> Path:
    return Path(root) / LIVE_DIR / f"{crawl_id}{LOCK_SUFFIX}"


def storage_state_dir(spool_root: Path, uri: str) -> Path:
    """The state directory (revisit index) of a storage target: beside the spool root, so
    it outlives the spools, one per target URI."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", uri)
    return Path(spool_root).parent / "state" / name


def storage_dedup_state_path(spool_root: Path, uri: str) -> Path:
    return storage_state_dir(spool_root, uri) / PurePosixPath(DEDUP_STATE_KEY).name


def seen_state_key(site: str) -> str:
    return f"{SEEN_STATE_DIR}/{site}.sqlite"


def storage_seen_state_path(spool_root: Path, uri: str, site: str) -> Path:
    """A storage target's seen-store of ``site``: beside its revisit index."""
    return storage_state_dir(spool_root, uri) / PurePosixPath(seen_state_key(site)).relative_to("state")


def default_spool_root() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "newsarchive" / "spool"


# --- listing a local archive -----------------------------------------------------------------


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.is_file())


def _crawl_files(root: Path, top: str, suffix: str, crawl_id: str | None) -> list[Path]:
    """The files named ``*<suffix>`` under ``root/<top>`` (of one crawl, when given)."""
    found = _files(Path(root) / top, f"**/*{suffix}")
    crawl_of = jsonl_crawl_id if top == "articles" else crawl_id_of
    return found if crawl_id is None else [p for p in found if crawl_of(p.name) == crawl_id]


def _site_files(root: Path, top: str, suffix: str) -> list[tuple[str, Path]]:
    """(site, path) of the files named ``*<suffix>`` in the ``<top>/<site>/…`` layout."""
    folder = Path(root) / top
    return [(p.relative_to(folder).parts[0], p) for p in _files(folder, f"*/**/*{suffix}")]


def warc_files(root: Path, crawl_id: str | None = None) -> list[Path]:
    """The closed WARCs under ``root/warc`` (of one crawl, when given)."""
    return _crawl_files(root, "warc", WARC_SUFFIX, crawl_id)


def open_warc_files(root: Path, crawl_id: str | None = None) -> list[Path]:
    """The ``.open`` WARCs under ``root/warc`` (of one crawl, when given)."""
    return _crawl_files(root, "warc", WARC_SUFFIX + OPEN_SUFFIX, crawl_id)


def articles_files(root: Path, crawl_id: str | None = None) -> list[Path]:
    """The JSONL files under ``root/articles`` (of one crawl, when given)."""
    return _crawl_files(root, "articles", JSONL_SUFFIX, crawl_id)


def site_warc_files(root: Path) -> list[tuple[str, Path]]:
    """(site, path) of every closed WARC in the ``warc/<site>/…`` layout."""
    return _site_files(root, "warc", WARC_SUFFIX)


def site_articles_files(root: Path) -> list[tuple[str, Path]]:
    """(site, path) of every JSONL file in the ``articles/<site>/…`` layout."""
    return _site_files(root, "articles", JSONL_SUFFIX)


def jsonl_crawl_id(name: str) -> str:
    return name.removesuffix(JSONL_SUFFIX)


def manifested_crawl_ids(root: Path) -> set[str]:
    return {p.stem for p in _files(Path(root) / "crawls", f"*{MANIFEST_SUFFIX}")}


def stale_parts(root: Path, crawl_id: str) -> list[Path]:
    """Files a crawl (or an earlier recovery of it) was writing whole when killed."""
    patterns = [f"indexes/**/{crawl_id}-*{INDEX_SUFFIX}{PART_SUFFIX}",
                f"articles/**/{crawl_id}{JSONL_SUFFIX}{PART_SUFFIX}",
                f"crawls/{crawl_id}{MANIFEST_SUFFIX}{PART_SUFFIX}"]
    return [p for pattern in patterns for p in _files(Path(root), pattern)]


def locked_crawl_ids(root: Path) -> list[str]:
    """Crawl ids with a lock file (held or left behind)."""
    return sorted(p.name.removesuffix(LOCK_SUFFIX)
                  for p in _files(Path(root) / LIVE_DIR, f"*{LOCK_SUFFIX}"))


def warc_files_among(inputs: Iterable[Path]) -> list[Path]:
    """The WARC files among the inputs (directories searched recursively), sorted."""
    found: list[Path] = []
    for path in inputs:
        path = Path(path)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.name.endswith(WARC_SUFFIXES))
        else:
            found.append(path)
    return found


def key_of(root: Path, path: Path) -> str:
    """The key of a file under ``root``."""
    return path.relative_to(root).as_posix()


# --- listing a storage -----------------------------------------------------------------------


def manifest_keys(storage: object) -> list[str]:
    """The keys of the crawl manifests a storage lists."""
    return [info.key for info in storage.list(CRAWLS_PREFIX)  # type: ignore[attr-defined]
            if info.key.endswith(MANIFEST_SUFFIX)]


def archive_file_keys(storage: object) -> list[str]:
    """The keys of the crawl files (WARCs, indexes, JSONL) a storage lists, ``.open`` WARCs
    left out; anything else (``state/``, manifests) is not listed."""
    return [info.key for prefix in ARCHIVE_PREFIXES
            for info in storage.list(prefix)  # type: ignore[attr-defined]
            if not info.key.endswith(OPEN_SUFFIX)]

"""Recovery of the interrupted crawls of a local output (kill -9, power loss).

A crawl is interrupted when it left files but no manifest, and no live process holds its
lock (``archive.crawl_lock``).  Its ``.open`` WARCs are cut (``warc_files``), every WARC is
indexed, its JSONL cut to the lines whose WARC pointers survived (``archive.jsonl_gzip``),
and a ``recovered`` manifest lists them.  Every step may be killed and run again.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path, PurePosixPath

from archive.cdxj import write_index
from archive.crawl_lock import CrawlLock
from archive.jsonl_gzip import cut_jsonl
from archive.layout import (
    DEDUP_STATE_KEY,
    OPEN_SUFFIX,
    closed_name,
    articles_files,
    crawl_id_of,
    index_key_for,
    jsonl_crawl_id,
    key_of,
    locked_crawl_ids,
    manifest_key,
    manifested_crawl_ids,
    open_warc_files,
    stale_parts,
    warc_files,
)
from archive.manifest import recovered_manifest, write_manifest_file
from archive.output import LocalOutput, StoredFile, sha256_file
from archive.recovery.warc_files import (
    confirm_survivors,
    cut_open_warc,
    finish_open_warc,
    held_by_a_writer,
    parse_record,
    whole_members,
)

logger = logging.getLogger(__name__)


def recover_interrupted_crawls(output: LocalOutput) -> list[str]:
    """Recover every interrupted crawl in ``output``; return one line for each."""
    root = Path(output.root)
    messages = []
    for crawl_id in candidate_crawl_ids(root):
        lock = CrawlLock.for_crawl(root, crawl_id)
        if not lock.try_acquire():
            continue  # alive
        try:
            message = recover_crawl(root, crawl_id)
        except Exception as exc:  # noqa: BLE001 -- one bad crawl must not stop the next one
            # left as it is, for the next run or a person
            logger.error("Could not recover interrupted crawl %s: %s", crawl_id, exc)
            message = f"could not recover interrupted crawl {crawl_id}: {exc}"
        finally:
            lock.release()
        if message:
            messages.append(message)
    return messages


def candidate_crawl_ids(root: Path) -> list[str]:
    """Crawls that may be interrupted: no manifest, ``.open`` WARCs left, or a lock file
    (a crawl killed just after writing its manifest leaves one to remove)."""
    ids = {crawl_id_of(p.name) for p in warc_files(root)}
    ids |= {jsonl_crawl_id(p.name) for p in articles_files(root)}
    with_open = {crawl_id_of(p.name) for p in open_warc_files(root)}
    return sorted((ids - manifested_crawl_ids(root)) | with_open | set(locked_crawl_ids(root)))


def recover_crawl(root: Path, crawl_id: str) -> str | None:
    """Recover one crawl whose lock the caller holds; None when there was nothing to do."""
    open_paths = open_warc_files(root, crawl_id)
    if any(held_by_a_writer(p) for p in open_paths):
        return None  # a writer without a crawl lock (an older version) is alive
    manifest = root / manifest_key(crawl_id)
    if manifest.exists() and not open_paths:
        return None
    for stale in stale_parts(root, crawl_id):
        stale.unlink()
    results = [cut_open_warc(p) for p in open_paths]
    # final WARC key → the file holding its bytes now (a cut .open file keeps its name
    # until the manifest is written)
    warcs = {key_of(root, p): p for p in warc_files(root, crawl_id)}
    for result in results:
        if result.path is not None:
            warcs[key_of(root, result.path)] = result.open_path
    files: list[StoredFile] = []
    records = 0
    for key, path in sorted(warcs.items()):
        records += whole_records(path)
        index_key = index_key_for(key)
        if path.name.endswith(OPEN_SUFFIX) or not (root / index_key).exists():
            index_as(path, PurePosixPath(key).name, root / index_key)
        files += [_stored(key, path), _stored(index_key, root / index_key)]
    warc_ends = {PurePosixPath(key).name: path.stat().st_size for key, path in warcs.items()}
    warc_ends.update({closed_name(r.open_path.name): 0
                      for r in results if r.path is None})
    lines = 0
    for path in articles_files(root, crawl_id):
        kept = cut_jsonl(path, warc_ends)
        if kept:
            files.append(_stored(key_of(root, path), path))
        lines += kept
    confirm_survivors(root / DEDUP_STATE_KEY, results)
    problem, document = recovered_manifest(
        crawl_id, files, open_files=len(results), bytes_cut=sum(r.bytes_cut for r in results),
        warc_records=records, jsonl_lines=lines)
    if files:
        manifest.parent.mkdir(parents=True, exist_ok=True)
        write_manifest_file(manifest, document)
    for result in results:
        finish_open_warc(result)
    if not files:
        logger.warning("Interrupted crawl %s left nothing to keep", crawl_id)
        return f"interrupted crawl {crawl_id} left nothing to keep"
    logger.warning("Recovered interrupted crawl %s: %s", crawl_id, problem)
    return f"recovered interrupted crawl {crawl_id}: {problem}"


def whole_records(warc: Path) -> int:
    """The number of records of a WARC that must be whole (closed, or cut by recovery);
    ``ValueError`` when it is not."""
    count = end = 0
    with open(warc, "rb") as handle:
        for _, end, data in whole_members(handle):
            try:
                parse_record(data)
            except ValueError as exc:
                raise ValueError(f"{warc.name}: record {count + 1}: {exc}") from None
            count += 1
    if end != warc.stat().st_size:
        raise ValueError(f"{warc.name}: not whole gzip members from byte {end}")
    return count


def index_as(warc: Path, name: str, index_path: Path) -> None:
    """Index ``warc`` as if it were named ``name`` (CDXJ lines carry the file name)."""
    with tempfile.TemporaryDirectory(prefix="newsarchive-index-") as folder:
        link = Path(folder) / name
        link.symlink_to(warc.resolve())
        write_index(link, index_path)


def _stored(key: str, path: Path) -> StoredFile:
    return StoredFile(key=key, size=path.stat().st_size, sha256=sha256_file(path))

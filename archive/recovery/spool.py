"""Recovery of the interrupted crawls of a spool (``upload --pending``).

As ``local_crawl`` does for a local output: ``.open`` WARCs cut (``warc_files``) and indexed,
closed WARCs never journaled adopted, JSONL cut, a ``recovered`` manifest listing every file
of the crawl (those already stored too); all journaled as pending, the manifest uploaded last.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from archive.layout import (
    articles_files,
    belongs_to,
    closed_name,
    crawl_id_of,
    file_kind,
    index_key_for,
    is_warc_key,
    key_of,
    manifest_key,
    storage_dedup_state_path,
    warc_files,
)
from archive.recovery.warc_files import RecoveredFile, confirm_survivors, recover_open_warcs
from archive.storage import sha256_file
from archive.storage.spool import PendingUpload, Spool

logger = logging.getLogger(__name__)


@dataclass
class _Crawl:
    crawl_id: str
    recovered: list[RecoveredFile] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)  # closed WARC keys never journaled


def recover_spool(spool: Spool) -> list[str]:
    """Recover every interrupted crawl in ``spool`` (owned by the caller); one line each."""
    files_dir = spool.files_dir
    if not files_dir.is_dir():
        return []
    journaled = spool.closed_files()
    crawls: dict[str, _Crawl] = {}
    for result in recover_open_warcs(files_dir):
        crawl_id = crawl_id_of(result.open_path.name)
        crawls.setdefault(crawl_id, _Crawl(crawl_id)).recovered.append(result)
    recovered = {r.path for c in crawls.values() for r in c.recovered}
    for path in warc_files(files_dir):
        key = key_of(files_dir, path)
        if key not in journaled and path not in recovered:
            crawl_id = crawl_id_of(path.name)
            crawls.setdefault(crawl_id, _Crawl(crawl_id)).adopted.append(key)
    if not crawls:
        return []
    target = spool.read_target()
    if target is None:
        logger.error("%s: interrupted crawl(s) %s but no record of the target storage",
                     spool.root, ", ".join(sorted(crawls)))
        return []
    _confirm_in_revisit_index(spool, target, crawls.values())
    messages = []
    for crawl in sorted(crawls.values(), key=lambda c: c.crawl_id):
        message = _recover_crawl(spool, crawl, journaled, target)
        if message:
            messages.append(message)
    return messages


def _recover_crawl(spool: Spool, crawl: _Crawl, journaled: dict[str, PendingUpload],
                   target: dict[str, Any]) -> str | None:
    from archive.cdxj import write_index
    from archive.jsonl_gzip import cut_jsonl
    from archive.manifest import recovered_manifest, write_manifest_file

    files_dir = spool.files_dir
    key = manifest_key(crawl.crawl_id)
    if key in journaled:  # the crawl got as far as its manifest: nothing to add
        return None
    new: list[str] = []
    kept_sizes: dict[str, int] = {}  # recovered WARC name → bytes kept
    for result in crawl.recovered:
        if result.path is not None:
            new.append(key_of(files_dir, result.path))
            kept_sizes[result.path.name] = result.bytes_kept
        else:
            kept_sizes[closed_name(result.open_path.name)] = 0
    new += crawl.adopted
    ours = {k: e for k, e in journaled.items() if belongs_to(k, crawl.crawl_id)}
    for warc_key in [*new, *(k for k in ours if is_warc_key(k))]:
        index_key = index_key_for(warc_key)
        if index_key in ours or not spool.path(warc_key).exists():
            continue
        write_index(spool.path(warc_key), spool.path(index_key))
        new.append(index_key)
    lines = 0
    for path in articles_files(files_dir, crawl.crawl_id):
        jsonl_key = key_of(files_dir, path)
        if jsonl_key in ours:
            continue
        kept = cut_jsonl(path, kept_sizes)
        if kept:  # else removed: no line survived
            new.append(jsonl_key)
        lines += kept
    entries = [PendingUpload(k, spool.path(k).stat().st_size, sha256_file(spool.path(k)), target)
               for k in new]
    listed = sorted([*ours.values(), *entries], key=lambda e: e.key)
    problem, manifest = recovered_manifest(
        crawl.crawl_id, listed, open_files=len(crawl.recovered),
        bytes_cut=sum(r.bytes_cut for r in crawl.recovered),
        warc_records=sum(r.records_kept for r in crawl.recovered), jsonl_lines=lines,
        jsonl_whole=any(file_kind(k) == "jsonl" for k in ours))
    path = spool.path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_manifest_file(path, manifest)
    entries.append(PendingUpload(key, path.stat().st_size, sha256_file(path), target))
    for entry in entries:
        spool.mark_pending(entry)
    logger.warning("Recovered interrupted crawl %s in %s: %s", crawl.crawl_id, spool.root,
                   problem)
    return f"recovered interrupted crawl {crawl.crawl_id}: {problem}"


def _confirm_in_revisit_index(spool: Spool, target: dict[str, Any], crawls: Any) -> None:
    """The revisit index of a storage target lives beside the spools (``archive.layout``)."""
    state = storage_dedup_state_path(spool.root.parent, str(target.get("uri", "storage")))
    confirm_survivors(state, [result for crawl in crawls for result in crawl.recovered])

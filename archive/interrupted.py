"""Finish what an interrupted crawl (kill -9, power loss) left in a local output.

Its ``.warc.gz.open`` files are cut back to their last complete record (``archive.recover``),
indexed, and listed in a manifest for that crawl id with status ``recovered``, so ``verify``,
``replay`` and ``reextract`` see them like any other crawl.  The JSONL of an interrupted
crawl may be cut short; ``newsarchive reextract`` rebuilds it from the recovered WARCs.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import datetime, timezone

from archive.capture import index_closed_warc
from archive.cdxj import index_key_for
from archive.storage.spool_recovery import cut_jsonl
from archive.manifest import MANIFEST_VERSION, file_kind, manifest_key, software_versions
from archive.output import LocalOutput
from archive.recover import RecoveredFile, recover_open_warcs
from archive.warc_writer import crawl_id_of

logger = logging.getLogger(__name__)


def crawl_files(output: LocalOutput, crawl_id: str, pattern: str) -> list[str]:
    return sorted(p.relative_to(output.root).as_posix() for p in output.root.glob(pattern.format(crawl_id)))


def recover_interrupted_crawls(output: LocalOutput) -> list[str]:
    """Recover, index and manifest every interrupted crawl's files; return one line each.

    A crawl counts as interrupted when it left a ``.open`` WARC no live writer holds.  Its
    manifest lists every file it wrote: WARCs (closed and recovered) with their indexes and
    its JSONL, cut to the whole lines whose WARC pointers survived.
    """
    recovered: dict[str, list[RecoveredFile]] = defaultdict(list)
    for result in recover_open_warcs(output.root):
        if result.path is not None:
            recovered[crawl_id_of(result.path.name)].append(result)
    messages = []
    for crawl_id, results in sorted(recovered.items()):
        key = manifest_key(crawl_id)
        if output.local_path(key).exists():
            continue
        first = len(output.files)
        indexes = set(crawl_files(output, crawl_id, "indexes/**/{}-*.cdxj"))
        for warc_key in crawl_files(output, crawl_id, "warc/**/{}-*.warc.gz"):
            if index_key_for(warc_key) in indexes:
                output.file_closed(warc_key)
                output.file_closed(index_key_for(warc_key))
            else:
                index_closed_warc(output, warc_key, close_warc=True)
        kept_sizes = {r.path.name: r.bytes_kept for r in results if r.path is not None}
        lines = 0
        for jsonl_key in crawl_files(output, crawl_id, "articles/**/{}.jsonl.gz"):
            lines += cut_jsonl(output.local_path(jsonl_key), kept_sizes)
            output.file_closed(jsonl_key)
        files = output.files[first:]
        cut = sum(r.bytes_cut for r in results)
        problem = (f"crawl was interrupted; {len(results)} open WARC file(s) recovered, "
                   f"{cut} bytes of torn records cut, {lines} JSONL records kept "
                   "(`newsarchive reextract` rebuilds the rest from the WARCs)")
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "crawl_id": crawl_id,
            "started_at": None,
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "status": "recovered",
            "problems": [problem],
            "sites": [],
            "software": software_versions(),
            "counts": {"warc_records": sum(r.records_kept for r in results)},
            "files": [{"key": f.key, "kind": file_kind(f.key), "size": f.size, "sha256": f.sha256}
                      for f in files],
            "not_stored": [],
        }
        path = output.local_path(key)
        path.write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        output.file_closed(key)
        logger.warning("Recovered interrupted crawl %s: %s", crawl_id, problem)
        messages.append(f"recovered interrupted crawl {crawl_id}: {problem}")
    return messages

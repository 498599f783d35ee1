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
from pathlib import Path

from archive.capture import index_closed_warc
from archive.manifest import MANIFEST_VERSION, file_kind, manifest_key, software_versions
from archive.output import LocalOutput
from archive.recover import RecoveredFile, recover_open_warcs

logger = logging.getLogger(__name__)


def crawl_id_of(warc_name: str) -> str:
    """``<crawl_id>-<serial>.warc.gz`` → ``<crawl_id>``."""
    return warc_name.split(".warc", 1)[0].rsplit("-", 1)[0]


def recover_interrupted_crawls(output: LocalOutput) -> list[str]:
    """Recover, index and manifest every interrupted crawl's WARCs; return one line each."""
    recovered: dict[str, list[RecoveredFile]] = defaultdict(list)
    for result in recover_open_warcs(output.root):
        if result.path is not None:
            recovered[crawl_id_of(result.path.name)].append(result)
    messages = []
    for crawl_id, results in sorted(recovered.items()):
        key = manifest_key(crawl_id)
        if output.local_path(key).exists():
            continue
        files = []
        for result in results:
            assert result.path is not None
            warc_key = result.path.relative_to(output.root).as_posix()
            files.append(output.file_closed(warc_key))
            index_key = index_closed_warc(output, warc_key)
            if index_key:
                files.append(next(f for f in output.files if f.key == index_key))
        cut = sum(r.bytes_cut for r in results)
        problem = (f"crawl was interrupted; {len(results)} WARC file(s) recovered, "
                   f"{cut} bytes of torn records cut; JSONL can be rebuilt with reextract")
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

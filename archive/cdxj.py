"""CDXJ indexes of our WARC files, in the format pywb and ReplayWeb.page read.

cdxj-indexer (the indexer behind pywb's ``wb-manager`` and py-wacz) does the work: one line
per response, revisit and resource record, ``<SURT> <14-digit timestamp> {json}`` with url,
mime, status, digest, length, offset and filename.  Request records are folded into their
response (``post_append``) so POST bodies stay addressable, as ``wb-manager reindex`` does,
and lines are sorted, which pywb's binary search over ``.cdxj`` files needs.

Index keys mirror WARC keys: ``warc/<site>/<YYYY>/<MM>/<DD>/<name>.warc.gz`` is indexed as
``indexes/<site>/<YYYY>/<MM>/<DD>/<name>.cdxj``.
"""

from __future__ import annotations

import os
from pathlib import Path

WARC_PREFIX = "warc/"
INDEX_PREFIX = "indexes/"
WARC_SUFFIXES = (".warc.gz", ".warc")


def index_key_for(warc_key: str) -> str:
    """The index key of a WARC key (see the module docstring)."""
    if not warc_key.startswith(WARC_PREFIX):
        raise ValueError(f"not a WARC key (expected warc/...): {warc_key!r}")
    rest = warc_key[len(WARC_PREFIX):]
    for suffix in WARC_SUFFIXES:
        if rest.endswith(suffix):
            return INDEX_PREFIX + rest[: -len(suffix)] + ".cdxj"
    raise ValueError(f"not a WARC file name (expected .warc.gz or .warc): {warc_key!r}")


def index_lines(warc_paths: list[Path]) -> list[str]:
    """Sorted CDXJ lines of several WARC files (``filename`` is each file's base name)."""
    from io import StringIO

    from cdxj_indexer.main import CDXJIndexer

    out = StringIO()
    # cdxj-indexer opens and closes the output itself unless given a file-like object.
    indexer = CDXJIndexer(out, [str(p) for p in warc_paths], post_append=True, sort=True)
    indexer.process_all()
    return out.getvalue().splitlines(keepends=True)


def write_index(warc_path: Path, index_path: Path) -> None:
    """Write the sorted CDXJ index of one WARC file; atomic (temporary file, then rename)."""
    warc_path, index_path = Path(warc_path), Path(index_path)
    lines = index_lines([warc_path])
    index_path.parent.mkdir(parents=True, exist_ok=True)
    partial = index_path.with_name(index_path.name + ".part")
    with open(partial, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(lines)
    os.replace(partial, index_path)

"""Where a crawl's files go: a local directory, or a spool that is uploaded to storage.

Every writer (WARC, JSONL, CDXJ, manifest) asks ``Output.local_path(key)`` where to write a
file whose final storage key is ``key`` (the DESIGN.md layout, e.g.
``warc/<site>/<YYYY>/<MM>/<DD>/<crawl_id>-00000.warc.gz``) and calls
``Output.file_closed(key)`` once the file is complete.  For a local directory the file is
already in place; for object storage it is uploaded (see ``archive.storage``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


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

    def file_closed(self, key: str) -> StoredFile:
        path = self.root / key
        stored = StoredFile(key=key, size=path.stat().st_size, sha256=sha256_file(path))
        self.files.append(stored)
        return stored

    def finish(self) -> list[str]:
        """Wait for outstanding work; return the keys that could not be stored."""
        return []


def open_output(target: str | Path) -> LocalOutput:
    """The output for ``--out DIR`` (a path or ``file://`` URI)."""
    text = str(target)
    if text.startswith("file://"):
        text = text[len("file://"):]
    return LocalOutput(text)

"""A local directory as storage (also what ``verify DIR`` reads)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from archive.layout import copy_temp_path
from archive.storage import ObjectInfo, check_key, sha256_file, split_uri
from archive.storage.errors import (
    IntegrityError,
    ObjectExistsError,
    ObjectNotFoundError,
    StorageConfigError,
)

CHUNK = 1 << 20


class LocalStorage:
    """Objects are files under ``root``; a put is a copy, fsynced, then a no-replace link."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.uri = str(self.root)

    @classmethod
    def from_uri(cls, uri: str) -> LocalStorage:
        _, path = split_uri(uri)
        return cls(path)

    def describe(self) -> dict[str, Any]:
        return {"uri": str(self.root.resolve())}

    def check(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise StorageConfigError(f"{self.root}: not a directory")

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, path: Path, *, size: int | None = None,
                 sha256: str | None = None,
                 on_multipart: Callable[[str], None] | None = None) -> ObjectInfo:
        dest = self._path(key)
        source = Path(path)
        if sha256 is None:
            sha256 = sha256_file(source)
        if dest.exists():
            return self._existing(key, dest, sha256)
        dest.parent.mkdir(parents=True, exist_ok=True)
        temp = copy_temp_path(dest)
        digest = hashlib.sha256()
        try:
            with open(source, "rb") as src, open(temp, "xb") as out:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != sha256:
                raise IntegrityError(key, "the local file changed since it was closed")
            try:
                os.link(temp, dest)  # unlike rename, link never replaces an existing file
            except FileExistsError:
                return self._existing(key, dest, sha256)
        finally:
            temp.unlink(missing_ok=True)
        return ObjectInfo(key, dest.stat().st_size, sha256, verified_by="read")

    def _existing(self, key: str, dest: Path, sha256: str) -> ObjectInfo:
        if sha256_file(dest) != sha256:
            raise ObjectExistsError(key)
        return ObjectInfo(key, dest.stat().st_size, sha256, verified_by="existing")

    def head(self, key: str) -> ObjectInfo | None:
        try:
            stat = self._path(key).stat()
        except FileNotFoundError:
            return None
        return ObjectInfo(key, stat.st_size)

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        with self.open_read(key) as handle:
            handle.seek(offset)
            return handle.read(length)

    def open_read(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise ObjectNotFoundError(key) from None

    def read(self, key: str) -> bytes:
        with self.open_read(key) as handle:
            return handle.read()

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        base = self.root / prefix.rpartition("/")[0] if "/" in prefix else self.root
        found: list[ObjectInfo] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith("."):
                    continue  # our own temporary copies
                full = Path(dirpath) / name
                key = full.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append(ObjectInfo(key, full.stat().st_size))
        yield from sorted(found, key=lambda info: info.key)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

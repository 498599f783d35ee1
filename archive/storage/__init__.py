"""Where archived files end up: a local directory or an S3 bucket, behind one protocol.

The backend is chosen by URI scheme (a path or ``file://`` local, ``s3://bucket/prefix`` S3,
boto3 imported only then); keys are relative to the target. Storage is write-once:
:meth:`Storage.put_file` never replaces an object; different content under an existing key
raises :class:`ObjectExistsError`, identical content is a no-op.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from archive.storage.errors import (
    IntegrityError,
    ObjectExistsError,
    ObjectNotFoundError,
    SpoolBusyError,
    SpoolFullError,
    StorageConfigError,
    StorageError,
    TransientStorageError,
)

__all__ = [
    "S3_SETTINGS",
    "S3_TUNING_SETTINGS",
    "STORE_SCHEMES",
    "IntegrityError",
    "ObjectExistsError",
    "ObjectInfo",
    "ObjectNotFoundError",
    "SpoolBusyError",
    "SpoolFullError",
    "Storage",
    "StorageConfigError",
    "StorageError",
    "TransientStorageError",
    "open_storage",
    "s3_options_from_settings",
    "sha256_file",
]

#: URI scheme → "module:Class"; the module is imported only when the scheme is used.
STORE_SCHEMES: dict[str, str] = {
    "": "archive.storage.local:LocalStorage",
    "file": "archive.storage.local:LocalStorage",
    "s3": "archive.storage.s3:S3Storage",
}

#: Settings read by :func:`s3_options_from_settings` → ``S3Storage`` constructor arguments.
S3_SETTINGS = {
    "STORAGE_S3_ENDPOINT_URL": "endpoint_url",
    "STORAGE_S3_REGION": "region",
    "STORAGE_S3_ADDRESSING_STYLE": "addressing_style",
    "STORAGE_S3_PROFILE": "profile",
}

#: Tuning settings → ``S3Storage`` arguments and their type (``-s NAME=VALUE`` gives strings).
#: Not journaled: ``upload --pending`` uses the defaults (or the project's settings).
S3_TUNING_SETTINGS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "STORAGE_S3_MULTIPART_THRESHOLD": ("multipart_threshold", int),
    "STORAGE_S3_PART_SIZE": ("part_size", int),
    "STORAGE_S3_PART_CONCURRENCY": ("part_concurrency", int),
    "STORAGE_S3_RETRY_ATTEMPTS": ("retry_attempts", int),
    "STORAGE_S3_CLIENT_ATTEMPTS": ("client_attempts", int),
    "STORAGE_S3_RETRY_BASE_DELAY": ("retry_base_delay", float),
    "STORAGE_S3_RETRY_MAX_DELAY": ("retry_max_delay", float),
    "STORAGE_S3_CONNECT_TIMEOUT": ("connect_timeout", float),
    "STORAGE_S3_READ_TIMEOUT": ("read_timeout", float),
}


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object.  ``sha256`` (hex) is set only when storage knows it."""

    key: str
    size: int
    sha256: str | None = None
    etag: str | None = None
    verified_by: str | None = None  # how a put was verified: checksum | etag | read | existing


class Storage(Protocol):
    """What the archive needs from a place to keep files."""

    uri: str

    def check(self) -> None:
        """Raise :class:`StorageConfigError` now if the target cannot be written."""

    def put_file(self, key: str, path: Path, *, size: int | None = None,
                 sha256: str | None = None,
                 on_multipart: Callable[[str], None] | None = None) -> ObjectInfo:
        """Store the file at ``path`` under ``key``, verified; never overwrite.

        Identical content already under ``key`` counts as stored; different content raises
        :class:`ObjectExistsError`.  ``on_multipart(upload_id)`` reports a multipart upload
        as soon as it exists (for the spool journal).
        """

    def head(self, key: str) -> ObjectInfo | None:
        """Size (and sha256 when known) of ``key``, or None if absent."""

    def read_range(self, key: str, offset: int, length: int) -> bytes: ...

    def open_read(self, key: str) -> BinaryIO:
        """A stream of the whole object; the caller closes it."""

    def read(self, key: str) -> bytes: ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in key order."""

    def delete(self, key: str) -> None:
        """For tests and cleanup only: the archive itself never deletes."""

    def describe(self) -> dict[str, Any]:
        """The public configuration (URI and options, never credentials) to rebuild it."""


def split_uri(uri: str) -> tuple[str, str]:
    """``s3://b/p`` → (``s3``, ``b/p``); a plain path → (``""``, path)."""
    text = str(uri)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return "", text
    return scheme.lower(), rest


def open_storage(uri: str | Path, **options: Any) -> Storage:
    """The backend for ``uri``; ``options`` go to its constructor (e.g. ``endpoint_url``)."""
    scheme, _ = split_uri(str(uri))
    if scheme not in STORE_SCHEMES:
        known = ", ".join(f"{s}://" for s in STORE_SCHEMES if s)
        raise StorageConfigError(f"{uri}: unsupported storage scheme {scheme!r} (use a path, {known})")
    module_name, _, class_name = STORE_SCHEMES[scheme].partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except ImportError as exc:  # an optional client library that is not installed
        raise StorageConfigError(f"{uri}: {scheme}:// storage needs {exc.name} "
                                 f"(pip install {exc.name})") from exc
    if scheme in ("", "file"):
        options = {}  # S3 options may be passed along to any target; a directory has none
    storage: Storage = cls.from_uri(str(uri), **options)
    return storage


def s3_options_from_settings(settings: Mapping[str, Any] | Any) -> dict[str, Any]:
    """``S3Storage`` keyword arguments from ``STORAGE_S3_*`` settings (unset ones omitted)."""
    options: dict[str, Any] = {}
    for name, argument in S3_SETTINGS.items():
        value = settings.get(name)
        if value:
            options[argument] = value
    for name, (argument, kind) in S3_TUNING_SETTINGS.items():
        value = settings.get(name)
        if value is None or value == "":
            continue
        try:
            options[argument] = kind(value)
        except (TypeError, ValueError) as exc:
            raise StorageConfigError(f"{name}: {value!r} is not a {kind.__name__}") from exc
    return options


def sha256_file(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def check_key(key: str) -> str:
    """Reject keys that could escape the target (``..``, absolute) or are empty."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid storage key {key!r}")
    return key

"""Storage errors: all are ``archive.errors.StorageError`` (the project hierarchy)."""

from __future__ import annotations

from archive.errors import StorageError

__all__ = [
    "IntegrityError",
    "ObjectExistsError",
    "ObjectNotFoundError",
    "SpoolBusyError",
    "SpoolFullError",
    "StorageConfigError",
    "StorageError",
    "TransientStorageError",
]


class StorageConfigError(StorageError):
    """The target cannot be used at all: unknown scheme, missing bucket or credentials."""


class ObjectExistsError(StorageError):
    """A different object already exists under the key; archives never overwrite."""

    def __init__(self, key: str, detail: str = ""):
        self.key = key
        super().__init__(f"{key}: a different object already exists under this key"
                         + (f" ({detail})" if detail else ""))


class ObjectNotFoundError(StorageError):
    def __init__(self, key: str):
        self.key = key
        super().__init__(f"{key}: no such object")


class IntegrityError(StorageError):
    """What storage holds (or what the spool holds) is not what was written."""

    def __init__(self, key: str, problem: str):
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}")


class TransientStorageError(StorageError):
    """Storage did not answer usefully (connection, 5xx, SlowDown) after every retry."""


class SpoolFullError(StorageError):
    """The local spool has no room: the crawl must stop rather than lose files."""


class SpoolBusyError(StorageError):
    """Another live process holds the spool (a running crawl or ``upload --pending``)."""

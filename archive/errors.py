"""The project's exception hierarchy at its root: the base class and storage errors.

``crawler.errors`` adds the errors only the crawler raises (bad configs, an unusable frontier).
"""

from __future__ import annotations


class NewsArchiveError(Exception):
    """Base of every error newsarchive raises on purpose."""


class StorageError(NewsArchiveError):
    """Output storage is unusable (unreachable, full, refused a write)."""

"""The crawler's errors, on the project's hierarchy (``archive.errors``)."""

from __future__ import annotations

from archive.errors import NewsArchiveError, StorageError

__all__ = ["ConfigError", "FrontierError", "NewsArchiveError", "StorageError"]


class ConfigError(NewsArchiveError):
    """A site config (or plan) is missing, malformed or invalid; exit status 2.

    ``str(error)`` is the one-paragraph message shown to the user: the file, the key and
    what was wrong.
    """

    def __init__(self, path: str, problem: str, key: str | None = None):
        self.path = path
        self.key = key
        self.problem = problem
        where = f"{path}: key '{key}'" if key else path
        super().__init__(f"{where}: {problem}")


class FrontierError(NewsArchiveError):
    """The shared Redis frontier is unusable (bad URL, unreachable, refused); no credentials
    in the message."""

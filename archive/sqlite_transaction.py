"""One explicit transaction on a connection opened in autocommit mode (``isolation_level=None``,
as the revisit index and the seen-store are, so no process holds SQLite's write lock between
statements): ``with transaction(db): ...`` commits at the end, rolls back on any exception."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    db.execute("BEGIN")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")

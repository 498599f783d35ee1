"""Processes that open one new revisit index or seen-store at the same moment all get it
(switching a new file to WAL fails at once with "database is locked" when two race)."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from archive.dedup import DedupIndex
from archive.seen_store import SqliteSeenStore
from archive.sqlite_transaction import connect_shared, is_lock_error

PROCESSES = 8
ROUNDS = 40


def _open(kind: str, path: str, barrier: multiprocessing.synchronize.Barrier, results) -> None:
    barrier.wait()
    try:
        store = DedupIndex(path) if kind == "dedup" else SqliteSeenStore(path)
        store.close()
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - the test reports whatever went wrong
        results.put(repr(exc))


@pytest.mark.parametrize("kind", ["dedup", "seen"])
def test_processes_opening_one_new_file_at_once_all_succeed(tmp_path, kind):
    context = multiprocessing.get_context("fork")
    failures = []
    for round_ in range(ROUNDS):
        path = str(tmp_path / f"{kind}-{round_}.sqlite")
        barrier = context.Barrier(PROCESSES)
        results = context.Queue()
        workers = [context.Process(target=_open, args=(kind, path, barrier, results))
                   for _ in range(PROCESSES)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        failures += [outcome for outcome in outcomes if outcome != "ok"]
    assert failures == []


def test_a_lock_held_past_the_wait_is_raised_not_retried_forever(tmp_path, monkeypatch):
    monkeypatch.setattr("archive.sqlite_transaction.LOCK_WAIT", 0.2)
    path = tmp_path / "held.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError) as raised:
            connect_shared(path, "CREATE TABLE IF NOT EXISTS t (a TEXT);")
        assert is_lock_error(raised.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_seen_store_locked_by_another_process_is_not_called_corrupt(tmp_path, monkeypatch):
    monkeypatch.setattr("archive.sqlite_transaction.LOCK_WAIT", 0.2)
    path = tmp_path / "seen.sqlite"  # new, so opening it must switch it to WAL
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            SqliteSeenStore(path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

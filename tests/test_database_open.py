"""Opening the database: concurrent migrations, start-up failures that exit instead of hanging."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

from bot.store.sqlite.database import connect, migrate, migrations


def migrate_after(path: str, barrier: Any, results: Any) -> None:
    """Wait for the other processes, then migrate `path`; put the version reached, or the error."""
    barrier.wait()
    try:
        conn = connect(path)
        try:
            results.put(migrate(conn))
        finally:
            conn.close()
    except sqlite3.Error as error:
        results.put(repr(error))


def test_concurrent_migrations_of_a_fresh_database(tmp_path: Path) -> None:
    """Six processes migrating one new file at the same instant all succeed, twice over."""
    latest = migrations()[-1][0]
    context = multiprocessing.get_context("spawn")
    for attempt in range(2):
        barrier, results = context.Barrier(6), context.Queue()
        workers = [context.Process(target=migrate_after, args=(str(tmp_path / f"{attempt}.db"), barrier, results))
                   for _ in range(6)]  # fmt: skip
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        assert outcomes == [latest] * 6

"""The group commit without a savepoint per write: a failing write still spares the others, and only itself is undone."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.store.database import Connection, Grouped, Outcome
from bot.store.sqlite.database import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """An open database with one scratch table."""
    database = Database(tmp_path / "batches.db")
    await database.open()
    await database.write(lambda conn: conn.execute("CREATE TABLE t (v TEXT PRIMARY KEY)"))
    try:
        yield database
    finally:
        await database.close()


def insert(value: str, then_fail: bool = False) -> Any:
    """A write of one row that may fail afterwards."""

    def op(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO t VALUES (?)", (value,))
        if then_fail:
            raise RuntimeError(value)
        return value

    return op


def refuse(conn: sqlite3.Connection) -> None:
    """A write refused before it changes anything."""
    raise ValueError("refused")


def insert_all(conn: Connection, values: Sequence[str]) -> list[Outcome]:
    """A grouped write: one statement for the rows it accepts; "bad" is refused."""
    accepted = [value for value in values if value != "bad"]
    conn.execute(f"INSERT INTO t VALUES {', '.join(['(?)'] * len(accepted))}", accepted)
    return [(False, ValueError(value)) if value == "bad" else (True, value) for value in values]


async def one_transaction(db: Database, ops: list[Any]) -> tuple[list[object], int]:
    """Run `ops` in one group transaction (the writer is held until all are queued); results and commits used."""
    release = threading.Event()
    commits = db.commits
    holding = asyncio.ensure_future(db.write(lambda conn: release.wait(5)))
    await asyncio.sleep(0)
    results = asyncio.gather(*(db.write(op) for op in ops), return_exceptions=True)
    await asyncio.sleep(0)
    release.set()
    await holding
    return await results, db.commits - commits


async def rows(db: Database) -> list[str]:
    """The scratch table's values."""
    return [row[0] for row in await db.fetch_all("SELECT v FROM t ORDER BY v")]


async def test_a_refusal_and_a_failure_after_a_change_spare_the_others(db: Database) -> None:
    """In one transaction: a refused write, a write failing after its insert, and good writes around them."""
    results, commits = await one_transaction(db, [insert("a"), refuse, insert("b", then_fail=True), insert("c")])
    assert commits <= 2  # the holding write, then the four together
    assert results[0] == "a" and results[3] == "c"
    assert isinstance(results[1], ValueError) and isinstance(results[2], RuntimeError)
    assert await rows(db) == ["a", "c"]


async def test_grouped_writes_run_together_and_alone_when_replayed(db: Database) -> None:
    """Neighbouring grouped writes share one call; after a failure elsewhere, each runs alone."""
    group = [Grouped[str](insert_all, value) for value in ("g1", "bad", "g2")]
    results, _ = await one_transaction(db, [*group, insert("x")])
    assert results[0] == "g1" and isinstance(results[1], ValueError) and results[2:] == ["g2", "x"]
    results, _ = await one_transaction(db, [Grouped[str](insert_all, "g3"), insert("y", then_fail=True)])
    assert results[0] == "g3" and isinstance(results[1], RuntimeError)
    assert await rows(db) == ["g1", "g2", "g3", "x"]

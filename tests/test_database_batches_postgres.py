"""The PostgreSQL group commit: neighbouring grouped writes share one call, failures replay each write alone."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from bot.store.database import Connection, Grouped, Outcome
from bot.store.postgres.database import Database, numbered
from tests.postgres import fresh_schema
from tests.test_database_batches import insert, insert_all, refuse


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    """An open PostgreSQL database in a fresh schema, with one scratch table."""
    with fresh_schema() as url:
        database = Database(url)
        await database.open()
        await database.write(lambda conn: conn.execute("CREATE TABLE t (v TEXT PRIMARY KEY)"))
        try:
            yield database
        finally:
            await database.close()


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


async def test_grouped_writes_share_one_call_and_keep_their_refusals(db: Database) -> None:
    """Three grouped writes in a row reach `run` once; the one it refuses fails alone, nothing is replayed."""
    calls: list[int] = []

    def counted(conn: Connection, values: Sequence[str]) -> list[Outcome]:
        calls.append(len(values))
        return insert_all(conn, values)

    group = [Grouped[str](counted, value) for value in ("g1", "bad", "g2")]
    results, commits = await one_transaction(db, [*group, insert("x")])
    assert results[0] == "g1" and isinstance(results[1], ValueError) and results[2:] == ["g2", "x"]
    assert calls == [3] and commits == 2  # the holding write, then the four together
    assert await rows(db) == ["g1", "g2", "x"]


async def test_a_failure_elsewhere_replays_each_grouped_write_alone(db: Database) -> None:
    """After a write fails past its insert, the batch runs again with every grouped write on its own."""
    calls: list[int] = []

    def counted(conn: Connection, values: Sequence[str]) -> list[Outcome]:
        calls.append(len(values))
        return insert_all(conn, values)

    ops = [Grouped[str](counted, "g1"), Grouped[str](counted, "g2"), refuse, insert("y", then_fail=True)]
    results, _ = await one_transaction(db, ops)
    assert results[:2] == ["g1", "g2"]
    assert isinstance(results[2], ValueError) and isinstance(results[3], RuntimeError)
    assert calls == [2, 1, 1]  # together first, then alone in the replay
    assert await rows(db) == ["g1", "g2"]


def test_the_writer_numbers_its_placeholders_and_keeps_percent_signs() -> None:
    """`?` becomes `$1`, `$2`… outside quotes and comments; `%` stays as it is (nothing reads it)."""
    assert numbered("SELECT * FROM t WHERE a = ? AND b LIKE '%?x' || ?") == (
        "SELECT * FROM t WHERE a = $1 AND b LIKE '%?x' || $2"
    )
    assert numbered('SELECT "we?rd" -- why?\n, ? /* ? */, ?') == 'SELECT "we?rd" -- why?\n, $1 /* ? */, $2'


async def test_percent_signs_and_many_values_reach_the_server_as_written(db: Database) -> None:
    """A literal `%` and a statement of a thousand values, written and read back through the writer."""
    values = [f"{n}%" for n in range(1000)]

    def op(conn: Connection) -> int:
        conn.execute(f"INSERT INTO t VALUES {', '.join(['(?)'] * len(values))}", values)
        conn.executemany("INSERT INTO t VALUES (? || '%')", [("a",), ("b",)])
        return int(conn.execute("SELECT count(*) FROM t WHERE v LIKE '%\\%' AND v <> ?", ("x%",)).fetchone()[0])

    assert await db.write(op) == 1002
    assert await rows(db) == sorted([*values, "a%", "b%"])

"""asyncpg against psycopg 3 on the local PostgreSQL: rows/s from 500 concurrent coroutines.

Two ways per driver: `raw` commits each row on its own (a pool of connections shared by the coroutines);
`batched` hands the rows to one writer that commits everything waiting in one transaction (group commit).
psycopg is measured twice in the batched way: its async connection, and its sync connection driven from
one writer thread (how the store's Database uses it, so store code stays synchronous), and through that
Database itself (group commit, statements pipelined, as the stores' writes get).

Run: .venv/bin/python bench/pg_driver.py [--dsn postgresql://postgres@127.0.0.1:5432/test] [--voters 500]
     [--rows-per-voter 10] [--rounds 3] [--pool 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import _common  # noqa: F401  (puts the project on sys.path)
import asyncpg
import psycopg
import psycopg_pool
from _common import median

from bot.store.postgres.database import Database
from tests.postgres import in_schema

TABLE = "bench_pg_driver"
CREATE = f"CREATE TABLE {TABLE} (poll_id INTEGER, voter TEXT, position INTEGER, voted_at TEXT, PRIMARY KEY (poll_id, voter, position))"
INSERT_PG = f"INSERT INTO {TABLE} VALUES (1, $1, 0, '2026-01-01')"  # asyncpg's placeholders
INSERT_PY = f"INSERT INTO {TABLE} VALUES (1, %s, 0, '2026-01-01')"  # psycopg's


@dataclass(frozen=True)
class Target:
    """The server, and the schema the bench works in (asyncpg takes it as a setting, psycopg in the URL)."""

    url: str
    schema: str

    @property
    def settings(self) -> dict[str, str]:
        return {"search_path": self.schema}

    @property
    def psycopg(self) -> str:
        return in_schema(self.url, self.schema)


async def _reset(dsn: Target) -> None:
    """An empty table before each measure."""
    conn = await asyncpg.connect(dsn.url, server_settings=dsn.settings)
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        await conn.execute(CREATE)
    finally:
        await conn.close()


async def _voters(voters: int, per_voter: int, vote: Callable[[str], Awaitable[None]]) -> float:
    """Run `voters` coroutines each casting `per_voter` votes one after the other; rows/s."""

    async def voter(v: int) -> None:
        for i in range(per_voter):
            await vote(f"v{v}-{i}")

    started = time.perf_counter()
    await asyncio.gather(*(voter(v) for v in range(voters)))
    return voters * per_voter / (time.perf_counter() - started)


class Batcher:
    """Group commit on the event loop: rows waiting while a transaction runs go into the next one."""

    def __init__(self, commit: Callable[[list[str]], Awaitable[None]]) -> None:
        self.commit = commit
        self.pending: list[tuple[str, asyncio.Future[None]]] = []
        self.running = False
        self.task: asyncio.Task[None] | None = None

    async def add(self, voter: str) -> None:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((voter, future))
        if not self.running:
            self.running = True
            self.task = asyncio.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:500], self.pending[500:]
            await self.commit([voter for voter, _ in batch])
            for _, future in batch:
                future.set_result(None)
        self.running = False


async def asyncpg_raw(dsn: Target, voters: int, per_voter: int, pool_size: int) -> float:
    pool = await asyncpg.create_pool(dsn.url, min_size=pool_size, max_size=pool_size, server_settings=dsn.settings)
    try:

        async def vote(voter: str) -> None:
            async with pool.acquire() as conn:
                await conn.execute(INSERT_PG, voter)

        return await _voters(voters, per_voter, vote)
    finally:
        await pool.close()


async def asyncpg_batched(dsn: Target, voters: int, per_voter: int, pool_size: int) -> float:
    conn = await asyncpg.connect(dsn.url, server_settings=dsn.settings)
    try:

        async def commit(rows: list[str]) -> None:
            async with conn.transaction():
                await conn.executemany(INSERT_PG, [(row,) for row in rows])

        return await _voters(voters, per_voter, Batcher(commit).add)
    finally:
        await conn.close()


async def psycopg_raw(dsn: Target, voters: int, per_voter: int, pool_size: int) -> float:
    pool = psycopg_pool.AsyncConnectionPool(
        dsn.psycopg, min_size=pool_size, max_size=pool_size, kwargs={"autocommit": True}, open=False
    )
    await pool.open(wait=True)
    try:

        async def vote(voter: str) -> None:
            async with pool.connection() as conn:
                await conn.execute(INSERT_PY, (voter,))

        return await _voters(voters, per_voter, vote)
    finally:
        await pool.close()


async def psycopg_batched(dsn: Target, voters: int, per_voter: int, pool_size: int) -> float:
    conn = await psycopg.AsyncConnection.connect(dsn.psycopg, autocommit=True)
    try:

        async def commit(rows: list[str]) -> None:
            async with conn.transaction(), conn.cursor() as cursor:
                await cursor.executemany(INSERT_PY, [(row,) for row in rows])

        return await _voters(voters, per_voter, Batcher(commit).add)
    finally:
        await conn.close()


async def psycopg_sync_thread(dsn: Target, voters: int, per_voter: int, pool_size: int) -> float:
    """Group commit on psycopg's sync connection in one writer thread, one executor hop per batch."""
    executor = ThreadPoolExecutor(max_workers=1)
    loop = asyncio.get_running_loop()
    conn = await loop.run_in_executor(executor, lambda: psycopg.connect(dsn.psycopg, autocommit=True))
    assert threading.current_thread() is threading.main_thread()

    def insert(rows: list[str]) -> None:
        with conn.transaction(), conn.cursor() as cursor:
            cursor.executemany(INSERT_PY, [(row,) for row in rows])

    async def commit(rows: list[str]) -> None:
        await loop.run_in_executor(executor, insert, rows)

    try:
        return await _voters(voters, per_voter, Batcher(commit).add)
    finally:
        await loop.run_in_executor(executor, conn.close)
        executor.shutdown()


async def store_database(dsn: Target, voters: int, per_voter: int, pool_size: int) -> float:
    """The store's own Database: group commit, a savepoint per op, qmark translation, callers answered after COMMIT."""
    db = Database(dsn.psycopg)
    await db.open()
    try:

        async def vote(voter: str) -> None:
            await db.write(lambda conn: conn.execute(f"INSERT INTO {TABLE} VALUES (1, ?, 0, '2026-01-01')", (voter,)))

        return await _voters(voters, per_voter, vote)
    finally:
        await db.close()


WAYS: dict[str, Callable[..., Awaitable[float]]] = {
    "asyncpg raw": asyncpg_raw,
    "psycopg raw": psycopg_raw,
    "asyncpg batched": asyncpg_batched,
    "psycopg batched (async)": psycopg_batched,
    "psycopg batched (sync, writer thread)": psycopg_sync_thread,
    "store Database (group commit, pipelined)": store_database,
}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("PHOSPHORE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--dsn", default=default)
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--rows-per-voter", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pool", type=int, default=10, help="connections for the one-commit-per-row ways")
    args = parser.parse_args()
    results: dict[str, list[float]] = {name: [] for name in WAYS}
    names = list(WAYS)
    schema = f"bench_pg_driver_{os.getpid()}"  # everything it creates, dropped at the end
    admin: Any = await asyncpg.connect(args.dsn)
    await admin.execute(f"CREATE SCHEMA {schema}")
    dsn = Target(args.dsn, schema)
    try:
        for round_ in range(args.rounds):
            order = names if round_ % 2 == 0 else names[::-1]  # alternate, so drift on a loaded machine evens out
            for name in order:
                await _reset(dsn)
                results[name].append(await WAYS[name](dsn, args.voters, args.rows_per_voter, args.pool))
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()
    print(
        f"{args.voters} concurrent coroutines x {args.rows_per_voter} rows, {args.rounds} rounds (rows/s, median [min-max])"
    )
    for name, rates in results.items():
        print(f"  {name:40} {median(rates):9.0f}  [{min(rates):.0f}-{max(rates):.0f}]")


if __name__ == "__main__":
    asyncio.run(main())

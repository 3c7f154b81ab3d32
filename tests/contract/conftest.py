"""The store contract suite: tests written once against each store port, run on every store implementation.

Each backend opens a fresh database; `store(feature)` builds that feature's store on it. The PostgreSQL
backend works in a schema of its own on the server named by PHOSPHORE_TEST_POSTGRES, dropped afterwards,
and is skipped (saying why) without that variable or a reachable server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.feature import migration_folders
from bot.features import FEATURES
from bot.store.database import Database
from bot.store.postgres import database as postgres
from bot.store.sqlite import database as sqlite
from bot.store.sqlite.messages import SqliteMessageStore
from tests.postgres import fresh_schema

CORE_STORES: dict[str, Callable[[Database], Any]] = {"messages": SqliteMessageStore}  # the kernel's own stores

BACKENDS = ("sqlite", "postgres")


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An open, migrated, empty database of one backend."""
    folders = migration_folders(FEATURES)
    if request.param == "sqlite":
        db: Database = sqlite.Database(tmp_path / "contract.db", migrations=folders)
        await db.open()
        try:
            yield db
        finally:
            await db.close()
        return
    if not postgres.migrations(folders):
        pytest.skip("no PostgreSQL migrations (migrations/postgres/) to build the schema from")
    with fresh_schema() as url:
        db = postgres.Database(url, migrations=folders)
        await db.open()
        try:
            yield db
        finally:
            await db.close()


@pytest.fixture
def store(database: Database) -> Callable[[str], Any]:
    """`store("polls")`: the named feature's (or kernel's) store on the backend under test."""
    factories = {feature.name: feature.store for feature in FEATURES if feature.store is not None} | CORE_STORES

    def build(feature: str) -> Any:
        return factories[feature](database)

    return build


@pytest.fixture
async def twin(database: Database) -> AsyncIterator[Database]:
    """A second Database on the same data, as another bot process opens it: its own writer and connections."""
    folders = migration_folders(FEATURES)
    if isinstance(database, postgres.Database):
        other: Database = postgres.Database(database.url, migrations=folders)
    else:
        other = sqlite.Database(database.path, migrations=folders)
    await other.open()
    try:
        yield other
    finally:
        await other.close()


async def end_process(gone: Database, witness: Database) -> None:
    """Close `gone` as its process ending would; on PostgreSQL, wait until `witness` no longer sees its session."""
    if not isinstance(gone, postgres.Database):
        await gone.close()
        return
    pid = await gone.write(lambda conn: conn.execute("SELECT pg_backend_pid()").fetchone()[0])
    await gone.close()
    for _ in range(500):  # the server ends a closed session's backend within moments
        if await witness.fetch_one("SELECT 1 FROM pg_stat_activity WHERE pid = ?", (pid,)) is None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"session {pid} still open 5 s after its process closed it")

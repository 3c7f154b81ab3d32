"""The store contract suite: tests written once against each store port, run on every store implementation.

Each backend opens a fresh database; `store(feature)` builds that feature's store on it.
PostgreSQL joins BACKENDS when its store exists.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.feature import migration_folders
from bot.features import FEATURES
from bot.store.sqlite.database import Database
from bot.store.sqlite.messages import SqliteMessageStore

CORE_STORES: dict[str, Callable[[Database], Any]] = {"messages": SqliteMessageStore}  # the kernel's own stores

BACKENDS = ("sqlite",)


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An open, migrated, empty database of one backend."""
    db = Database(tmp_path / "contract.db", migrations=migration_folders(FEATURES))
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

"""Processes sharing one PostgreSQL schema agree through session advisory locks on a connection of their own.

A session lock belongs to the connection: the server drops it when the connection ends, however the
process ends (SIGKILL included: the kernel closes its socket), so a dead leader's lock is free at once.
Every lock name is scoped to the schema, so test schemas and communities on one server stay apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import psycopg

from bot.store.database import masked

log = logging.getLogger(__name__)

LEADER = "phosphore.leader."
CARD = "phosphore.card."
BUSY_WAIT = 0.02  # seconds between tries for a lock another process holds

TRY_LOCK = "SELECT pg_try_advisory_lock(hashtextextended(%s || current_schema(), 0))"
UNLOCK = "SELECT pg_advisory_unlock(hashtextextended(%s || current_schema(), 0))"


class AdvisoryLocks:
    """Leadership and per-subject exclusivity through one dedicated connection's advisory locks."""

    shared = True

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._leading = False

    async def open(self) -> None:
        """Connect the coordination session."""
        self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)

    async def _session(self) -> psycopg.AsyncConnection[Any]:
        """The coordination connection, connected again if it was lost (whatever it held is gone with it)."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._leading = False
            log.warning("coordination: reconnecting to %s", masked(self.url))
            self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        return self._conn

    async def _try_lock(self, name: str) -> bool:
        """Take the session lock `name` if free (locks nest: each take needs its own release)."""
        cursor = await (await self._session()).execute(TRY_LOCK, (name,))
        row = await cursor.fetchone()
        return bool(row and row[0])

    async def lead(self) -> bool:
        """Take the leader lock if free; a leader only checks that its session, and so its lock, still stands."""
        try:
            if self._leading:
                session = await self._session()  # reconnecting clears `_leading`: the lock went with the old session
                if self._leading:
                    await session.execute("SELECT 1")
                    return True
            self._leading = await self._try_lock(LEADER)
        except psycopg.OperationalError as error:
            log.warning("coordination: %s", str(error).strip())
            self._leading = False
            if self._conn is not None:
                await self._conn.close()
        return self._leading

    @contextlib.asynccontextmanager
    async def exclusive(self, key: str) -> AsyncIterator[None]:
        """Hold the lock for `key` while the block runs, waiting while another process holds it.

        Should the server be unreachable the block runs anyway: an edit may then race another
        process's, which the next change repairs, where refusing would leave the card stale.
        """
        name = CARD + key
        held = False
        try:
            while not (held := await self._try_lock(name)):
                await asyncio.sleep(BUSY_WAIT)
        except psycopg.OperationalError as error:
            log.warning("coordination: %s unlocked: %s", key, str(error).strip())
        try:
            yield
        finally:
            if held:
                with contextlib.suppress(psycopg.OperationalError):
                    await (await self._session()).execute(UNLOCK, (name,))

    async def close(self) -> None:
        """Close the session: the server releases every lock it held, leadership passes on."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()
        self._leading = False

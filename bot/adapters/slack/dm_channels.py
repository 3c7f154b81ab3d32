"""The DM channel of each member: opened once, at a pace Slack accepts, and remembered across restarts."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient

from bot.store.database import Connection
from bot.store.sql import lock

if TYPE_CHECKING:
    from bot.store.database import Database

# The table lives with the adapter that needs it (created on first use) rather than in a numbered
# migration: a cache that can be rebuilt at any time needs no schema version.
CREATE = (
    "CREATE TABLE IF NOT EXISTS slack_dm_channels ("
    " team TEXT NOT NULL, user_id TEXT NOT NULL, channel TEXT NOT NULL, PRIMARY KEY (team, user_id))"
)


def _create(conn: Connection) -> None:
    """Create the table if no process did yet."""
    # Two PostgreSQL sessions running CREATE TABLE IF NOT EXISTS at once can both miss the other's table and
    # one fails on the catalog's unique index: the second waits for the first's commit instead.
    lock(conn, "slack_dm_channels")
    conn.execute(CREATE)


class Pace:
    """A token bucket on the loop's clock: `burst` calls at once, then `per_minute` a minute."""

    def __init__(self, per_minute: float = 50, burst: int = 5) -> None:  # conversations.open is Tier 3
        self.per_minute = per_minute
        self.burst = burst
        self._tokens = float(burst)
        self._last: float | None = None
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Wait for the right to make one call, then take it."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            rate = self.per_minute / 60
            while True:
                now = loop.time()
                if self._last is not None:
                    self._tokens = min(self.burst, self._tokens + (now - self._last) * rate)
                self._last = now
                if self._tokens >= 1 - 1e-9:  # float refills can stop a hair short of a whole token
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                await asyncio.sleep((1 - self._tokens) / rate)


class DmChannels:
    """user -> DM channel id, in memory and in the database; conversations.open only for first contacts."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pace = Pace()
        self._known: dict[tuple[str, str], str] = {}
        self._table_ready = False

    async def channel(self, client: AsyncWebClient, team: str, user_id: str) -> str:
        """The DM channel between the bot and `user_id` (raises SlackApiError when Slack refuses)."""
        key = (team, user_id)
        if key not in self._known:
            stored = await self._load(team, user_id)
            if stored is None:
                await self.pace.wait()
                stored = self._known.get(key)  # another send opened it while this one waited its turn
            if stored is None:
                opened = await client.conversations_open(users=user_id)
                stored = opened["channel"]["id"]
                await self._save(team, user_id, stored)
            self._known[key] = stored
        return self._known[key]

    async def _ensure_table(self) -> None:
        """Create the table once per process."""
        if not self._table_ready:
            await self.db.write(_create)
            self._table_ready = True

    async def _load(self, team: str, user_id: str) -> str | None:
        """The stored channel, if any."""
        await self._ensure_table()
        row = await self.db.fetch_one(
            "SELECT channel FROM slack_dm_channels WHERE team = ? AND user_id = ?", (team, user_id)
        )
        return None if row is None else str(row["channel"])

    async def _save(self, team: str, user_id: str, channel: str) -> None:
        """Remember a freshly opened channel."""

        def op(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO slack_dm_channels (team, user_id, channel) VALUES (?, ?, ?)"
                " ON CONFLICT (team, user_id) DO UPDATE SET channel = excluded.channel",
                (team, user_id, channel),
            )

        await self.db.write(op)

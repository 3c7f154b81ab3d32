"""Subscriptions of features to channels and threads, in SQLite."""

from __future__ import annotations

from datetime import datetime

from bot.core.subscriptions import Subscription
from bot.store.database import Connection, Database
from bot.store.sqlite.rows import to_iso

WHOLE_CHANNEL = ""  # the thread column of a channel subscription: NULL would slip past the primary key


class SqliteSubscriptionStore:
    """SubscriptionStore on the embedded database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, subscription: Subscription, now: datetime) -> bool:
        """Record `subscription`; False when it already existed."""

        def op(conn: Connection) -> bool:
            cursor = conn.execute(
                "INSERT INTO subscriptions (feature, space, channel, thread, created_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (feature, space, channel, thread) DO NOTHING",
                (*_key(subscription), to_iso(now)),
            )
            return cursor.rowcount == 1

        return await self.db.write(op)

    async def remove(self, subscription: Subscription) -> bool:
        """Forget `subscription`; False when it did not exist."""

        def op(conn: Connection) -> bool:
            cursor = conn.execute(
                "DELETE FROM subscriptions WHERE feature = ? AND space = ? AND channel = ? AND thread = ?",
                _key(subscription),
            )
            return cursor.rowcount == 1

        return await self.db.write(op)

    async def all(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        rows = await self.db.fetch_all(  # SQLite's hidden rowid is a column of that name on PostgreSQL
            "SELECT feature, space, channel, thread FROM subscriptions ORDER BY created_at, rowid"
        )
        return [Subscription(r["feature"], r["space"], r["channel"], r["thread"] or None) for r in rows]


def _key(subscription: Subscription) -> tuple[str, str, str, str]:
    return subscription.feature, subscription.space, subscription.channel, subscription.thread or WHOLE_CHANNEL

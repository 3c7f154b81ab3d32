"""Which messages show which subject, in SQLite."""

from __future__ import annotations

from datetime import datetime

from bot.core.model import MessageRef
from bot.store.database import Connection, Database
from bot.store.sqlite.rows import to_iso


class SqliteMessageStore:
    """MessageStore on the embedded database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def attach(self, subject: str, ref: MessageRef, now: datetime) -> None:
        """Record that `ref` shows `subject` (idempotent)."""

        def op(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO message_refs (subject, space, channel, message_id, thread, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (space, channel, message_id) DO NOTHING",
                (subject, ref.space, ref.channel, ref.message_id, ref.thread, to_iso(now)),
            )

        await self.db.write(op)

    async def refs(self, subject: str) -> list[MessageRef]:
        """Every message showing `subject`, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT space, channel, message_id, thread FROM message_refs WHERE subject = ? ORDER BY id", (subject,)
        )
        return [MessageRef(row["space"], row["channel"], row["message_id"], row["thread"]) for row in rows]

"""On-site check-ins in SQLite (the `CheckinStore` port)."""

from __future__ import annotations

from datetime import datetime

from bot.features.events.domain import Presence
from bot.store.database import Connection, Database
from bot.store.sqlite.rows import to_iso


class SqliteCheckinStore:
    """Check-ins in `event_checkins`, keyed by event and member."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def check_in(
        self, space: str, event_id: int, member: str, name: str, by: str, now: datetime
    ) -> tuple[datetime, bool]:
        """Record a member present in one write, once: when they were first checked in, and whether it is new."""

        def op(conn: Connection) -> tuple[datetime, bool]:
            added = conn.execute(
                "INSERT INTO event_checkins (event_id, space, member, name, marked_by, checked_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, member) DO NOTHING RETURNING checked_at",
                (event_id, space, member, name, by, to_iso(now)),
            ).fetchone()
            if added is not None:
                return now, True
            (first,) = conn.execute(
                "SELECT checked_at FROM event_checkins WHERE event_id = ? AND member = ?", (event_id, member)
            ).fetchone()
            return datetime.fromisoformat(first), False

        return await self.db.write(op)

    async def check_out(self, event_id: int, member: str) -> bool:
        """Remove a member's check-in (a staff correction); whether there was one."""

        def op(conn: Connection) -> bool:
            gone = conn.execute("DELETE FROM event_checkins WHERE event_id = ? AND member = ?", (event_id, member))
            return gone.rowcount > 0

        return await self.db.write(op)

    async def checkins(self, event_id: int) -> list[Presence]:
        """Everyone checked in on site at an event, in the order they arrived."""
        rows = await self.db.fetch_all(
            "SELECT member, name, marked_by, checked_at FROM event_checkins WHERE event_id = ?"
            " ORDER BY checked_at, member",
            (event_id,),
        )
        return [
            Presence(row["member"], row["name"], "onsite", "self" if row["marked_by"] == row["member"] else "staff",
                     datetime.fromisoformat(row["checked_at"]))
            for row in rows
        ]  # fmt: skip

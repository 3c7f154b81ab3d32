"""An event's follow-up setup in SQLite (the `FollowupSetupStore` port)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.features.schedule.domain import FollowupSetup
from bot.store.database import Connection, Database, Row
from bot.store.sql import lock
from bot.store.sqlite.rows import to_iso

SELECT = "SELECT day_text, month_text, audience FROM followup_setups"


def _setup(row: Row | None) -> FollowupSetup:
    return FollowupSetup() if row is None else FollowupSetup(row["day_text"], row["month_text"], row["audience"])


class SqliteFollowupSetupStore:
    """Follow-up setups in `followup_setups`, one row per event staff changed."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def setup(self, event_id: int) -> FollowupSetup:
        """An event's follow-up setup, the defaults when staff never changed it."""
        return _setup(await self.db.fetch_one(f"{SELECT} WHERE event_id = ?", (event_id,)))

    async def change(
        self, event_id: int, space: str, edit: Callable[[FollowupSetup], FollowupSetup], by: str, now: datetime
    ) -> FollowupSetup:
        """Apply `edit` to an event's current setup and store the result, in one write; the new setup."""

        def op(conn: Connection) -> FollowupSetup:
            # Read on the writer connection, under a lock another process's change waits for: two staff
            # changing the two questions at once both land.
            lock(conn, f"followup-setup {event_id}")
            setup = edit(_setup(conn.execute(f"{SELECT} WHERE event_id = ?", (event_id,)).fetchone()))
            conn.execute(
                "INSERT INTO followup_setups (event_id, space, day_text, month_text, audience, updated_by, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO UPDATE SET day_text = excluded.day_text,"
                " month_text = excluded.month_text, audience = excluded.audience,"
                " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                (event_id, space, setup.day, setup.month, setup.audience, by, to_iso(now)),
            )
            return setup

        return await self.db.write(op)

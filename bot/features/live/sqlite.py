"""Live threads, join codes and attached channels in SQLite."""

from __future__ import annotations

from datetime import datetime

from bot.core.errors import UserError
from bot.features.live.domain import LiveChannel, LiveThread
from bot.features.live.posts_sqlite import enqueue
from bot.store.database import Connection, Database, Row
from bot.store.sql import for_update, lock
from bot.store.sqlite.rows import from_iso, next_ref, to_iso

THREAD_COLUMNS = "id, space, ref, event_id, started_by, started_at, stopped_at"
CHANNEL_COLUMNS = "id, thread_id, space, channel, thread, header, attached_by, attached_at, detached_at"


def _thread(row: Row) -> LiveThread:
    return LiveThread(
        row["id"], row["space"], row["ref"], row["event_id"], row["started_by"],
        from_iso(row["started_at"]), from_iso(row["stopped_at"]),  # type: ignore[arg-type]
    )  # fmt: skip


def _channel(row: Row) -> LiveChannel:
    return LiveChannel(
        row["id"], row["thread_id"], row["space"], row["channel"], row["thread"], row["header"],
        row["attached_by"], from_iso(row["attached_at"]), from_iso(row["detached_at"]),  # type: ignore[arg-type]
    )  # fmt: skip


def _running(conn: Connection, live_id: int) -> LiveThread:
    row = conn.execute(f"SELECT {THREAD_COLUMNS} FROM live_threads WHERE id = ?", (live_id,)).fetchone()
    if row is None or row["stopped_at"] is not None:
        raise UserError("live.stopped")
    return _thread(row)


class SqliteLiveStore:
    """LiveStore on the embedded database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def start(self, space: str, event_id: int, by: str, now: datetime) -> LiveThread:
        """A new running thread for an event (one per event at a time)."""

        def op(conn: Connection) -> LiveThread:
            lock(conn, f"live-start {event_id}")
            if conn.execute(
                "SELECT 1 FROM live_threads WHERE event_id = ? AND stopped_at IS NULL", (event_id,)
            ).fetchone():
                raise UserError("live.already_running")
            row = conn.execute(
                f"INSERT INTO live_threads (space, ref, event_id, started_by, started_at) VALUES (?, ?, ?, ?, ?)"
                f" RETURNING {THREAD_COLUMNS}",
                (space, next_ref(conn, space, "live"), event_id, by, to_iso(now)),
            ).fetchone()
            return _thread(row)

        return await self.db.write(op)

    async def event_polls(self, event_id: int) -> list[int]:
        """The ids of the polls opened in an event's live threads, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT p.poll_id FROM live_polls p JOIN live_threads t ON t.id = p.thread_id WHERE t.event_id = ?"
            " ORDER BY p.poll_id",
            (event_id,),
        )
        return [int(row["poll_id"]) for row in rows]

    async def get(self, live_id: int) -> LiveThread | None:
        """A thread by its id."""
        row = await self.db.fetch_one(f"SELECT {THREAD_COLUMNS} FROM live_threads WHERE id = ?", (live_id,))
        return None if row is None else _thread(row)

    async def attach(
        self, live_id: int, space: str, channel: str, thread: str | None, header: str | None, by: str, now: datetime
    ) -> LiveChannel:
        """Attach a channel to a running thread."""

        def op(conn: Connection) -> LiveChannel:
            _running(conn, live_id)
            lock(conn, f"live-channel {space} {channel}")
            if conn.execute(
                "SELECT 1 FROM live_channels WHERE space = ? AND channel = ? AND detached_at IS NULL", (space, channel)
            ).fetchone():
                raise UserError("live.channel_taken")
            row = conn.execute(
                "INSERT INTO live_channels (thread_id, space, channel, thread, header, attached_by, attached_at)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {CHANNEL_COLUMNS}",
                (live_id, space, channel, thread, header, by, to_iso(now)),
            ).fetchone()
            return _channel(row)

        return await self.db.write(op)

    async def attached(self, space: str, channel: str) -> tuple[LiveThread, LiveChannel] | None:
        """The running thread attached in a channel or in the thread under its header."""
        row = await self.db.fetch_one(
            f"SELECT {CHANNEL_COLUMNS} FROM live_channels WHERE space = ? AND (channel = ? OR thread = ?)"
            " AND detached_at IS NULL ORDER BY id DESC LIMIT 1",
            (space, channel, channel),
        )
        if row is None:
            return None
        live = await self.get(row["thread_id"])
        return None if live is None or not live.running else (live, _channel(row))

    async def channels(self, live_id: int) -> list[LiveChannel]:
        """The channels attached now, in joining order."""
        rows = await self.db.fetch_all(
            f"SELECT {CHANNEL_COLUMNS} FROM live_channels WHERE thread_id = ? AND detached_at IS NULL ORDER BY id",
            (live_id,),
        )
        return [_channel(row) for row in rows]

    async def detach(self, channel_id: int, now: datetime) -> None:
        """Detach one channel."""
        await self.db.write(
            lambda conn: conn.execute(
                "UPDATE live_channels SET detached_at = ? WHERE id = ? AND detached_at IS NULL",
                (to_iso(now), channel_id),
            )
        )

    async def stop(self, live_id: int, now: datetime) -> LiveThread:
        """Stop a running thread."""

        def op(conn: Connection) -> LiveThread:
            _running(conn, live_id)
            row = conn.execute(
                f"UPDATE live_threads SET stopped_at = ? WHERE id = ? RETURNING {THREAD_COLUMNS}",
                (to_iso(now), live_id),
            ).fetchone()
            # The summary is queued for the channels it is in now, in this same write (posts_sqlite.py).
            enqueue(conn, live_id, "summary", now)
            # Its channels are free again; they stay recorded, with when they left.
            conn.execute(
                "UPDATE live_channels SET detached_at = ? WHERE thread_id = ? AND detached_at IS NULL",
                (to_iso(now), live_id),
            )
            return _thread(row)

        return await self.db.write(op)

    async def add_code(self, code: str, live_id: int, by: str, now: datetime, expires_at: datetime) -> None:
        """Store a fresh join code."""
        await self.db.write(
            lambda conn: conn.execute(
                "INSERT INTO live_codes (code, thread_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                (code, live_id, by, to_iso(now), to_iso(expires_at)),
            )
        )

    async def redeem(self, code: str, used_in: str, now: datetime) -> LiveThread:
        """Spend a join code in one write: unknown, used, expired or for a stopped thread is refused."""

        def op(conn: Connection) -> LiveThread:
            row = conn.execute(
                f"SELECT thread_id, expires_at, used_at FROM live_codes WHERE code = ?{for_update(conn)}", (code,)
            ).fetchone()
            if row is None:
                raise UserError("live.bad_code", code=code)
            if row["used_at"] is not None:
                raise UserError("live.code_used", code=code)
            if from_iso(row["expires_at"]) <= now:  # type: ignore[operator]
                raise UserError("live.code_expired", code=code)
            live = _running(conn, row["thread_id"])
            conn.execute("UPDATE live_codes SET used_at = ?, used_in = ? WHERE code = ?", (to_iso(now), used_in, code))
            return live

        return await self.db.write(op)

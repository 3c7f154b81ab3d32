"""The outbox in SQLite: notices recorded inside the write that causes them, then claimed and marked."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal

from bot.core.metrics import per_platform
from bot.core.notices import Notice, QueuedNotice
from bot.store.database import Connection, Database, NoticeRecorder, Row
from bot.store.sql import claimant, claimant_gone, skip_locked
from bot.store.sqlite.rows import to_iso


def enqueue(conn: Connection, notices: Iterable[Notice], now: datetime) -> None:
    """Record notices in the caller's transaction: they exist if and only if the change commits."""
    rows = [(n.space, n.member, n.kind, json.dumps(dict(n.params), ensure_ascii=False), to_iso(now), to_iso(now))
            for n in notices]  # fmt: skip
    if not rows:
        return
    conn.executemany(
        "INSERT INTO outbox (space, member, kind, params, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", rows
    )
    if isinstance(conn, NoticeRecorder):
        conn.wrote_notices = True  # the database wakes the sender once this commits


def _queued(row: Row) -> QueuedNotice:
    """A claimed row as a notice with its id."""
    return QueuedNotice(row["id"], Notice(row["space"], row["member"], row["kind"], json.loads(row["params"])))


def _marks(values: Collection[object]) -> str:
    """Placeholders for an IN list."""
    return ",".join("?" * len(values))


class SqliteNoticeStore:
    """NoticeStore on the embedded database; the single writer makes each claim exclusive."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def waiting_spaces(self) -> list[str]:
        """The spaces with notices waiting."""
        rows = await self.db.fetch_all("SELECT DISTINCT space FROM outbox WHERE status = 'pending'")
        return [row["space"] for row in rows]

    async def waiting_by_platform(self) -> dict[str, int]:
        """How many notices wait, per platform (the queue's depth)."""
        rows = await self.db.fetch_all("SELECT space, COUNT(*) FROM outbox WHERE status = 'pending' GROUP BY space")
        return per_platform((row[0], row[1]) for row in rows)

    async def claim(self, spaces: Collection[str], limit: int, now: datetime) -> list[QueuedNotice]:
        """Mark the oldest waiting notices of `spaces` 'sending' in one write, and return them oldest first."""
        if not spaces or limit <= 0:
            return []
        names = list(spaces)

        def op(conn: Connection) -> list[QueuedNotice]:
            # Rows another process is claiming are skipped, not waited for (PostgreSQL); status is checked
            # again outside the subquery all the same, so a row is never claimed twice.
            rows = conn.execute(
                f"UPDATE outbox SET status = 'sending', claimed_by = {claimant(conn)}, updated_at = ?"
                " WHERE status = 'pending' AND id IN (SELECT id FROM outbox WHERE status = 'pending'"
                f" AND space IN ({_marks(names)}) ORDER BY id LIMIT ?{skip_locked(conn)})"
                " RETURNING id, space, member, kind, params",
                (to_iso(now), *names, limit),
            ).fetchall()
            return sorted((_queued(row) for row in rows), key=lambda queued: queued.id)  # RETURNING has no order

        return await self.db.write(op)

    async def finish(self, notice_id: int, status: Literal["sent", "failed"], now: datetime) -> None:
        """Record how sending went (only for a notice still claimed)."""
        await self.db.write(lambda conn: conn.execute(
            "UPDATE outbox SET status = ?, updated_at = ? WHERE id = ? AND status = 'sending'",
            (status, to_iso(now), notice_id),
        ))  # fmt: skip

    async def fail(self, notice_ids: Collection[int], consequences: Sequence[Notice], now: datetime) -> None:
        """Mark claimed notices 'failed' and queue the notices telling someone so, in one write."""
        if not notice_ids:
            return
        ids = list(notice_ids)

        def op(conn: Connection) -> None:
            conn.execute(
                f"UPDATE outbox SET status = 'failed', updated_at = ? WHERE status = 'sending' AND id IN ({_marks(ids)})",
                (to_iso(now), *ids),
            )
            enqueue(conn, consequences, now)

        await self.db.write(op)

    async def release(self, notice_ids: Collection[int], now: datetime) -> None:
        """Put claimed notices back to waiting."""
        if not notice_ids:
            return
        ids = list(notice_ids)
        await self.db.write(lambda conn: conn.execute(
            f"UPDATE outbox SET status = 'pending', updated_at = ? WHERE status = 'sending' AND id IN ({_marks(ids)})",
            (to_iso(now), *ids),
        ))  # fmt: skip

    async def mark_unsure(self, now: datetime) -> Mapping[str, int]:
        """Rows left 'sending' by a process no longer running become 'unsure'; how many per kind."""

        def op(conn: Connection) -> dict[str, int]:
            rows = conn.execute(
                "UPDATE outbox SET status = 'unsure', updated_at = ?"
                f" WHERE status = 'sending' AND {claimant_gone(conn)} RETURNING kind",
                (to_iso(now),),
            ).fetchall()
            counts: dict[str, int] = {}
            for (kind,) in rows:
                counts[kind] = counts.get(kind, 0) + 1
            return counts

        return await self.db.write(op)

"""The bot's own posts in a live thread, queued in SQLite with the change that causes them (live_items).

`enqueue` runs inside the caller's write: the item and one waiting post per attached channel exist if
and only if the change commits. The relay's store claims them (relay_sqlite.py) in order with members'
relayed messages, one channel at a time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.features.live.domain import LiveChannel
from bot.features.live.relaying import ClaimedItem, Target
from bot.store.database import Connection, Database, Row
from bot.store.sql import claimant, claimant_gone
from bot.store.sqlite.rows import from_iso, to_iso

FINAL = "summary"  # posted in the channels the thread was in when it stopped, though stopping detached them


def enqueue(
    conn: Connection, thread_id: int, kind: str, now: datetime, *, position: int | None = None,
    params: Mapping[str, Any] | None = None, subject: str | None = None,
) -> int:  # fmt: skip
    """Queue a post of the bot for every channel attached now, in the caller's transaction; how many channels."""
    if position is None:  # after everything the thread said so far
        (position,) = conn.execute(
            "SELECT COALESCE(MAX(id), 0) FROM live_messages WHERE thread_id = ?", (thread_id,)
        ).fetchone()
    (item,) = conn.execute(
        "INSERT INTO live_items (thread_id, position, kind, params, subject, created_at) VALUES (?, ?, ?, ?, ?, ?)"
        " RETURNING id",
        (thread_id, position, kind, json.dumps(dict(params or {}), ensure_ascii=False), subject, to_iso(now)),
    ).fetchone()
    channels = conn.execute(
        "INSERT INTO live_item_posts (item_id, channel_id) SELECT ?, id FROM live_channels"
        " WHERE thread_id = ? AND detached_at IS NULL ORDER BY id",
        (item, thread_id),
    ).rowcount
    return int(channels)


def next_item(conn: Connection, channel_id: int) -> Row | None:
    """The channel's first waiting post of the bot, in the thread's order."""
    return conn.execute(
        "SELECT p.id AS post_id, i.id AS item_id, i.thread_id, i.position, i.kind, i.params, i.subject"
        " FROM live_item_posts p JOIN live_items i ON i.id = p.item_id"
        " WHERE p.channel_id = ? AND p.status = 'waiting' ORDER BY i.position, i.id LIMIT 1",
        (channel_id,),
    ).fetchone()


def claim_item(conn: Connection, channel: Row, target: Target) -> ClaimedItem | None:
    """Claim the channel's next post of the bot ('sending'); a detached channel's are skipped (not the summary)."""
    while (row := next_item(conn, channel["id"])) is not None:
        if channel["detached_at"] is not None and row["kind"] != FINAL:
            conn.execute("UPDATE live_item_posts SET status = 'skipped' WHERE id = ?", (row["post_id"],))
            continue
        conn.execute(
            f"UPDATE live_item_posts SET status = 'sending', claimed_by = {claimant(conn)} WHERE id = ?",
            (row["post_id"],),
        )
        return ClaimedItem(row["post_id"], row["item_id"], row["thread_id"], target, row["kind"],
                           json.loads(row["params"]), row["subject"])  # fmt: skip
    return None


def item_posted(conn: Connection, post_id: int, message_id: str | None) -> None:
    """How sending a claimed post of the bot went (None: refused or nothing to show, 'failed')."""
    conn.execute(
        "UPDATE live_item_posts SET status = ?, message_id = ? WHERE id = ? AND status = 'sending'",
        ("failed" if message_id is None else "sent", message_id, post_id),
    )


def recover(conn: Connection) -> int:
    """Posts of the bot a process no longer running left 'sending' become 'unsure': never sent again."""
    return len(conn.execute(
        f"UPDATE live_item_posts SET status = 'unsure' WHERE status = 'sending' AND {claimant_gone(conn)} RETURNING id"
    ).fetchall())  # fmt: skip


WAITING = "SELECT channel_id FROM live_item_posts WHERE status = 'waiting'"


class SqliteItemStore:
    """What rendering a queued post of the bot reads besides the thread's own state."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def channels(self, item_id: int) -> list[LiveChannel]:
        """The channels an item was queued for (the summary counts where the thread was followed)."""
        rows = await self.db.fetch_all(
            "SELECT c.id, c.thread_id, c.space, c.channel, c.thread, c.header, c.attached_by, c.attached_at,"
            " c.detached_at FROM live_item_posts p JOIN live_channels c ON c.id = p.channel_id"
            " WHERE p.item_id = ? ORDER BY c.id",
            (item_id,),
        )
        return [
            LiveChannel(row["id"], row["thread_id"], row["space"], row["channel"], row["thread"], row["header"],
                        row["attached_by"], from_iso(row["attached_at"]), from_iso(row["detached_at"]))  # type: ignore[arg-type]
            for row in rows
        ]  # fmt: skip

"""The relay's store in SQLite: messages, their copies per target channel, and the posts that carry them."""

from __future__ import annotations

import json
from datetime import datetime

from bot.core.metrics import per_platform
from bot.core.model import InboundMessage, MessageRef, platform_of
from bot.features.live import posts_sqlite
from bot.features.live.relay import Copy, joined, line, pack
from bot.features.live.relaying import Claimed, ClaimedItem, Mirror, Target
from bot.store.database import Connection, Database, Row
from bot.store.sql import claimant, claimant_gone, for_update
from bot.store.sqlite.rows import to_iso

CLAIM_MAX = 200  # copies read per claim: more than one post can carry on any platform


def _source_channel(conn: Connection, message: InboundMessage) -> Row | None:
    """The attached channel a message was posted in: in the platform thread under its header, nowhere else."""
    return conn.execute(
        "SELECT c.id, c.thread_id, t.stopped_at FROM live_channels c JOIN live_threads t ON t.id = c.thread_id"
        " WHERE c.space = ? AND c.channel = ? AND (c.thread = ? OR c.thread IS NULL AND CAST(? AS TEXT) IS NULL)"
        " AND c.detached_at IS NULL",
        (message.space, message.channel, message.thread, message.thread),
    ).fetchone()


def _names(conn: Connection, thread_id: int) -> dict[str, str]:
    """Display names of the thread's members who posted, to write their mentions as names (never anonymous items)."""
    rows = conn.execute(
        "SELECT member, name FROM live_messages WHERE thread_id = ? AND member IS NOT NULL AND name IS NOT NULL"
        " AND anonymous = 0 ORDER BY id",
        (thread_id,),
    )
    return {row["member"]: row["name"] for row in rows}


def _line(row: Row, target: str, names: dict[str, str]) -> str:
    """A stored message as it reads on `target`."""
    copy = Copy(row["name"] or "", row["platform"], row["text"], tuple(json.loads(row["attachments"])), row["antenna"])
    mentioned: dict[str, str] = json.loads(row["mentions"])  # names the platform gave with the message come first
    return line(copy, target, lambda key: mentioned.get(key) or names.get(key))


def _target(row: Row) -> Target:
    return Target(row["id"], row["space"], row["channel"], row["thread"])


class SqliteRelayStore:
    """RelayStore on the embedded database (built from `kernel.db`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def waiting_by_platform(self) -> dict[str, int]:
        """Copies waiting for their channel's next post, per target platform (the relay queue's depth)."""
        rows = await self.db.fetch_all(
            "SELECT c.space, COUNT(*) FROM live_copies w JOIN live_channels c ON c.id = w.channel_id"
            " WHERE w.post_id IS NULL AND w.skipped = 0 GROUP BY c.space"
        )
        return per_platform((row[0], row[1]) for row in rows)

    async def record(self, message: InboundMessage, antenna: str | None = None) -> list[int]:
        """Store a member's new message (and the antenna they follow from) and one waiting copy per other channel."""
        if message.member is None or not (message.text.strip() or message.attachments):
            return []
        member = message.member

        def op(conn: Connection) -> list[int]:
            source = _source_channel(conn, message)
            if source is None or source["stopped_at"] is not None:
                return []
            if conn.execute(  # one of our own posts coming back: never relayed (no loops)
                "SELECT 1 FROM live_posts WHERE channel_id = ? AND message_id = ?", (source["id"], message.message_id)
            ).fetchone():
                return []
            row = conn.execute(
                "INSERT INTO live_messages (thread_id, channel_id, source_id, kind, member, name, platform, text,"
                " attachments, posted_at, antenna, mentions) VALUES (?, ?, ?, 'message', ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (channel_id, source_id) DO NOTHING RETURNING id",
                (source["thread_id"], source["id"], message.message_id, member.key, member.name,
                 platform_of(message.space), message.text, json.dumps(list(message.attachments)), to_iso(message.at),
                 antenna, json.dumps(dict(message.mentions), ensure_ascii=False)),
            ).fetchone()  # fmt: skip
            if row is None:
                return []  # a platform's retry of a message already stored
            targets = [
                r["id"]
                for r in conn.execute(
                    "SELECT id FROM live_channels WHERE thread_id = ? AND id != ? AND detached_at IS NULL ORDER BY id",
                    (source["thread_id"], source["id"]),
                )
            ]
            conn.executemany(
                "INSERT INTO live_copies (source_id, channel_id) VALUES (?, ?)", [(row["id"], t) for t in targets]
            )
            return targets

        return await self.db.write(op)

    async def revise(self, message: InboundMessage) -> list[int]:
        """Store an edit or a deletion; bump the posts showing the message; the channels to mirror in."""

        def op(conn: Connection) -> list[int]:
            source = _source_channel(conn, message)
            if source is None:
                return []
            found = conn.execute(
                "SELECT id FROM live_messages WHERE channel_id = ? AND source_id = ? AND kind = 'message'",
                (source["id"], message.message_id),
            ).fetchone()
            if found is None:
                return []
            if message.kind == "deleted":
                conn.execute("UPDATE live_messages SET deleted_at = ? WHERE id = ?", (to_iso(message.at), found["id"]))
            else:
                conn.execute(
                    "UPDATE live_messages SET text = ?, attachments = ?, mentions = ?, edited_at = ? WHERE id = ?",
                    (
                        message.text,
                        json.dumps(list(message.attachments)),
                        json.dumps(dict(message.mentions), ensure_ascii=False),
                        to_iso(message.at),
                        found["id"],
                    ),
                )
            rows = conn.execute(
                "UPDATE live_posts SET revision = revision + 1 WHERE status IN ('sending', 'sent')"
                " AND id IN (SELECT post_id FROM live_copies WHERE source_id = ? AND post_id IS NOT NULL)"
                " RETURNING channel_id",
                (found["id"],),
            ).fetchall()
            return sorted({r["channel_id"] for r in rows})

        return await self.db.write(op)

    async def target(self, channel_id: int) -> Target | None:
        """Where copies for an attached channel go."""
        row = await self.db.fetch_one(
            "SELECT id, space, channel, thread FROM live_channels WHERE id = ?", (channel_id,)
        )
        return None if row is None else _target(row)

    async def waiting(self, channel_id: int) -> bool:
        """Whether copies or the bot's own posts wait for a channel."""
        row = await self.db.fetch_one(
            "SELECT 1 FROM live_copies WHERE channel_id = ? AND post_id IS NULL AND skipped = 0"
            " UNION ALL SELECT 1 FROM live_item_posts WHERE channel_id = ? AND status = 'waiting' LIMIT 1",
            (channel_id, channel_id),
        )
        return row is not None

    async def claim(self, channel_id: int, now: datetime) -> Claimed | ClaimedItem | None:
        """Assign the channel's oldest waiting copies (as many as one post carries) to a new 'sending' post.

        The bot's own queued posts (posts_sqlite.py) take their turn in the thread's order: copies of
        messages said before one of them go first, then it goes alone, then the copies said after it.
        """

        def op(conn: Connection) -> Claimed | ClaimedItem | None:
            channel = conn.execute(  # locked: another process claiming for this channel waits
                f"SELECT id, thread_id, space, channel, thread, detached_at FROM live_channels WHERE id = ?"
                f"{for_update(conn)}",
                (channel_id,),
            ).fetchone()
            if channel is None:
                return None
            item = posts_sqlite.next_item(conn, channel_id)
            rows = conn.execute(
                "SELECT c.id, m.name, m.platform, m.text, m.attachments, m.antenna, m.mentions, m.deleted_at FROM live_copies c"
                " JOIN live_messages m ON m.id = c.source_id"
                " WHERE c.channel_id = ? AND c.post_id IS NULL AND c.skipped = 0 AND c.source_id <= ?"
                " ORDER BY c.source_id LIMIT ?",
                (channel_id, item["position"] if item is not None else 2**62, CLAIM_MAX),
            ).fetchall()
            # A detached channel gets nothing more; a source deleted before its copy went out is not shown.
            gone = [r["id"] for r in rows if channel["detached_at"] is not None or r["deleted_at"] is not None]
            conn.executemany("UPDATE live_copies SET skipped = 1 WHERE id = ?", [(i,) for i in gone])
            rows = [r for r in rows if r["id"] not in set(gone)]
            if not rows:
                return posts_sqlite.claim_item(conn, channel, _target(channel))
            target = platform_of(channel["space"])
            names = _names(conn, channel["thread_id"])
            lines = [_line(r, target, names) for r in rows]
            count = pack(lines, target)
            post = conn.execute(
                f"INSERT INTO live_posts (channel_id, status, created_at, claimed_by) VALUES (?, 'sending', ?,"
                f" {claimant(conn)}) RETURNING id",
                (channel_id, to_iso(now)),
            ).fetchone()["id"]
            conn.executemany("UPDATE live_copies SET post_id = ? WHERE id = ?", [(post, r["id"]) for r in rows[:count]])
            return Claimed(post, _target(channel), joined(lines[:count], target), count)

        return await self.db.write(op)

    async def posted(self, post_id: int, message_id: str | None) -> None:
        """A claimed post was sent (its platform id) or refused."""
        await self.db.write(
            lambda conn: conn.execute(
                "UPDATE live_posts SET status = ?, message_id = ? WHERE id = ?",
                ("failed" if message_id is None else "sent", message_id, post_id),
            )
        )

    async def item_posted(self, post_id: int, message_id: str | None) -> None:
        """A claimed post of the bot was sent (its platform id) or refused."""
        await self.db.write(lambda conn: posts_sqlite.item_posted(conn, post_id, message_id))

    async def to_mirror(self, channel_id: int) -> list[Mirror]:
        """The channel's sent posts whose sources changed since they were shown, with their text now."""

        def op(conn: Connection) -> list[Mirror]:
            channel = conn.execute(
                "SELECT id, thread_id, space, channel, thread FROM live_channels WHERE id = ?", (channel_id,)
            ).fetchone()
            if channel is None:
                return []
            target, names = platform_of(channel["space"]), _names(conn, channel["thread_id"])
            mirrors = []
            for post in conn.execute(
                "SELECT id, message_id, revision FROM live_posts"
                " WHERE channel_id = ? AND revision > mirrored AND status = 'sent' ORDER BY id",
                (channel_id,),
            ).fetchall():
                rows = conn.execute(
                    "SELECT m.name, m.platform, m.text, m.attachments, m.antenna, m.mentions FROM live_copies c"
                    " JOIN live_messages m ON m.id = c.source_id"
                    " WHERE c.post_id = ? AND m.deleted_at IS NULL ORDER BY c.source_id",
                    (post["id"],),
                ).fetchall()
                text = joined([_line(r, target, names) for r in rows], target) if rows else None
                ref = MessageRef(channel["space"], channel["channel"], post["message_id"], channel["thread"])
                mirrors.append(Mirror(post["id"], post["revision"], ref, text))
            return mirrors

        return await self.db.write(op)

    async def mirrored(self, mirror: Mirror) -> None:
        """A post now shows `mirror.revision` (or was deleted)."""
        await self.db.write(
            lambda conn: conn.execute(
                "UPDATE live_posts SET mirrored = CASE WHEN mirrored > ? THEN mirrored ELSE ? END, status = ? WHERE id = ?",
                (mirror.revision, mirror.revision, "deleted" if mirror.text is None else "sent", mirror.post_id),
            )
        )

    async def recover(self) -> int:
        """Posts a process no longer running left 'sending' become 'unsure': never sent again."""

        def op(conn: Connection) -> int:
            rows = conn.execute(
                f"UPDATE live_posts SET status = 'unsure' WHERE status = 'sending' AND {claimant_gone(conn)} RETURNING id"
            )
            return len(rows.fetchall()) + posts_sqlite.recover(conn)

        return await self.db.write(op)

    async def pending(self) -> list[int]:
        """Channels with copies waiting or posts to mirror."""
        rows = await self.db.fetch_all(
            "SELECT channel_id FROM live_copies WHERE post_id IS NULL AND skipped = 0"
            " UNION SELECT channel_id FROM live_posts WHERE revision > mirrored AND status = 'sent'"
            f" UNION {posts_sqlite.WAITING}"
        )
        return sorted(row[0] for row in rows)

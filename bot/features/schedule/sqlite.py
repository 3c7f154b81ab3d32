"""Scheduled messages, deliveries and follow-up answers in SQLite."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.core.notices import Notice
from bot.features.schedule.domain import EVENT_KINDS, EventPlan, FeedbackRow, Planned, Report, Scheduled, report
from bot.store.database import Connection, Database, Row
from bot.store.sql import claimant, claimant_gone, lock
from bot.store.sqlite.outbox import enqueue
from bot.store.sqlite.rows import from_iso, next_ref, to_iso

COLUMNS = "id, space, ref, kind, event_id, offset_seconds, channel, author, payload, due_at, status, manual"
WAITING = "('pending', 'running')"


def _message(row: Row) -> Scheduled:
    return Scheduled(
        row["id"], row["space"], row["ref"], row["kind"], row["event_id"], row["offset_seconds"], row["channel"],
        row["author"], row["payload"], from_iso(row["due_at"]), row["status"], bool(row["manual"]),  # type: ignore[arg-type]
    )  # fmt: skip


def _insert(
    conn: Connection,
    space: str,
    kind: str,
    event_id: int | None,
    offset: int,
    channel: str,
    author: str,
    payload: str,
    due_at: datetime,
    now: datetime,
) -> Scheduled:
    """Insert one message with the next reference of its space."""
    row = conn.execute(
        f"INSERT INTO scheduled_messages (space, ref, kind, event_id, offset_seconds, channel, author, payload,"
        f" due_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}",
        (space, next_ref(conn, space, "schedule"), kind, event_id, offset, channel, author, payload,
         to_iso(due_at), to_iso(now), to_iso(now)),
    ).fetchone()  # fmt: skip
    return _message(row)


def _insert_new_step(
    conn: Connection, space: str, event_id: int, step: Planned, author: str, now: datetime
) -> Scheduled | None:
    """Insert an event's step, or nothing when an equal step is already planned."""
    if conn.execute(
        "SELECT 1 FROM scheduled_messages WHERE event_id = ? AND kind = ? AND offset_seconds = ?"
        " AND status != 'cancelled'", (event_id, step.kind, step.offset_seconds),
    ).fetchone():  # fmt: skip
        return None
    return _insert(conn, space, step.kind, event_id, step.offset_seconds, "", author, "", step.due_at, now)


def _plan(conn: Connection, plan: EventPlan, now: datetime) -> list[datetime]:
    """Insert an event's planned messages unless it has some already; their due instants."""
    lock(conn, f"schedule-plan {plan.event_id}")  # planned once, whichever process plans it
    if conn.execute("SELECT 1 FROM scheduled_messages WHERE event_id = ?", (plan.event_id,)).fetchone():
        return []  # planned meanwhile
    return [_insert(conn, plan.space, s.kind, plan.event_id, s.offset_seconds, "", plan.author, "", s.due_at, now).due_at
            for s in plan.steps]  # fmt: skip


def _report(conn: Connection, message: Scheduled, what: Report, names: Sequence[str]) -> Notice:
    """The notice to the message's author (its event's, if any) about `names`, read in the caller's write."""
    row = None
    if message.event_id is not None:
        row = conn.execute("SELECT ref, title, author FROM events WHERE id = ?", (message.event_id,)).fetchone()
    return report(message, what, names, None if row is None else (row["ref"], row["title"], row["author"]))


class SqliteScheduleStore:
    """The ScheduleStore port on the shared Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _messages(self, where: str, params: Sequence[Any]) -> list[Scheduled]:
        rows = await self.db.fetch_all(f"SELECT {COLUMNS} FROM scheduled_messages WHERE {where}", params)
        return [_message(row) for row in rows]

    async def has_plan(self, event_id: int) -> bool:
        """Whether an event's messages were ever planned."""
        return await self.db.fetch_one("SELECT 1 FROM scheduled_messages WHERE event_id = ?", (event_id,)) is not None

    async def plan(
        self, space: str, event_id: int, author: str, steps: Sequence[Planned], now: datetime
    ) -> list[datetime]:
        """Store an event's planned messages once; their due instants."""

        return await self.db.write(lambda conn: _plan(conn, EventPlan(space, event_id, author, steps), now))

    async def plan_many(self, plans: Sequence[EventPlan], now: datetime) -> list[datetime]:
        """Store several events' planned messages in one write, each event's once; their due instants."""
        return await self.db.write(lambda conn: [moment for plan in plans for moment in _plan(conn, plan, now)])

    async def event_offsets(self, event_id: int) -> list[tuple[str, int]]:
        """(kind, offset) of an event's pending messages not moved by staff."""
        rows = await self.db.fetch_all(
            "SELECT kind, offset_seconds FROM scheduled_messages WHERE event_id = ? AND status = 'pending' AND manual = 0",
            (event_id,),
        )
        return [(row["kind"], row["offset_seconds"]) for row in rows]

    async def retime(self, event_id: int, due: Mapping[tuple[str, int], datetime], now: datetime) -> list[datetime]:
        """Move pending, unmoved messages of an event to new instants."""

        def op(conn: Connection) -> list[datetime]:
            for (kind, offset), moment in due.items():
                conn.execute(
                    "UPDATE scheduled_messages SET due_at = ?, updated_at = ? WHERE event_id = ? AND kind = ?"
                    " AND offset_seconds = ? AND status = 'pending' AND manual = 0",
                    (to_iso(moment), to_iso(now), event_id, kind, offset),
                )
            return list(due.values())

        return await self.db.write(op)

    async def replace_reminders(
        self, space: str, event_id: int, author: str, steps: Sequence[Planned], now: datetime
    ) -> list[datetime]:
        """Cancel pending reminders and plan these (offsets already sent are not planned again)."""

        def op(conn: Connection) -> list[datetime]:
            lock(conn, f"schedule-plan {event_id}")
            conn.execute(
                "UPDATE scheduled_messages SET status = 'cancelled', updated_at = ? WHERE event_id = ?"
                " AND kind = 'reminder' AND status = 'pending'",
                (to_iso(now), event_id),
            )
            added = [_insert_new_step(conn, space, event_id, step, author, now) for step in steps]
            return [message.due_at for message in added if message is not None]

        return await self.db.write(op)

    async def cancel_event_messages(self, event_id: int, now: datetime) -> None:
        """Cancel everything an event still had to send."""
        await self.db.write(
            lambda conn: conn.execute(
                "UPDATE scheduled_messages SET status = 'cancelled', updated_at = ? WHERE event_id = ?"
                " AND status = 'pending'",
                (to_iso(now), event_id),
            )
        )

    async def unplanned_events(self, now: datetime) -> list[int]:
        """Events not ended nor cancelled that have no planned message."""
        rows = await self.db.fetch_all(
            "SELECT id FROM events e WHERE cancelled_at IS NULL AND ends_at > ?"
            " AND NOT EXISTS (SELECT 1 FROM scheduled_messages m WHERE m.event_id = e.id)",
            (to_iso(now),),
        )
        return [row["id"] for row in rows]

    async def add(
        self, space: str, kind: str, channel: str, author: str, payload: str, due_at: datetime, now: datetime
    ) -> Scheduled:
        """Store a staff message."""
        return await self.db.write(
            lambda conn: _insert(conn, space, kind, None, 0, channel, author, payload, due_at, now)
        )

    async def find(self, space: str, ref: int) -> Scheduled | None:
        """A message by its short reference in a space."""
        found = await self._messages("space = ? AND ref = ?", (space, ref))
        return found[0] if found else None

    async def upcoming(self, space: str) -> list[Scheduled]:
        """Messages of a space pending or being sent, soonest first."""
        return await self._messages(f"space = ? AND status IN {WAITING} ORDER BY due_at, ref", (space,))

    async def due(self, now: datetime) -> list[Scheduled]:
        """Messages pending or interrupted whose time has come, oldest first."""
        return await self._messages(f"status IN {WAITING} AND due_at <= ? ORDER BY due_at, id", (to_iso(now),))

    async def next_due_times(self) -> list[datetime]:
        """Due instants of messages still to send."""
        rows = await self.db.fetch_all(f"SELECT DISTINCT due_at FROM scheduled_messages WHERE status IN {WAITING}")
        return [from_iso(row["due_at"]) for row in rows]  # type: ignore[misc]

    async def set_status(self, message_id: int, status: str, now: datetime) -> None:
        """Change a message's status."""
        await self.db.write(
            lambda conn: conn.execute(
                "UPDATE scheduled_messages SET status = ?, updated_at = ? WHERE id = ?",
                (status, to_iso(now), message_id),
            )
        )

    async def complete(self, message_id: int, now: datetime) -> None:
        """Mark a message 'done'; an event message's author is told, in that write, whom it failed to reach."""

        def op(conn: Connection) -> None:
            row = conn.execute(
                f"UPDATE scheduled_messages SET status = 'done', updated_at = ? WHERE id = ? RETURNING {COLUMNS}",
                (to_iso(now), message_id),
            ).fetchone()
            message = _message(row)
            if message.kind not in EVENT_KINDS:
                return
            failed = conn.execute(
                "SELECT name FROM deliveries WHERE message_id = ? AND status = 'failed'", (message_id,)
            ).fetchall()
            if failed:
                enqueue(conn, [_report(conn, message, "missed", [name for (name,) in failed])], now)

        await self.db.write(op)

    async def reschedule(self, message_id: int, due_at: datetime, now: datetime) -> Scheduled:
        """Move a pending message; marked manual so an event edit leaves it where staff put it."""

        def op(conn: Connection) -> Scheduled:
            row = conn.execute(
                f"UPDATE scheduled_messages SET due_at = ?, manual = 1, updated_at = ? WHERE id = ? RETURNING {COLUMNS}",
                (to_iso(due_at), to_iso(now), message_id),
            ).fetchone()
            return _message(row)

        return await self.db.write(op)

    async def claimed(self, message_id: int) -> set[str]:
        """Recipients already holding a delivery row for a message."""
        rows = await self.db.fetch_all("SELECT recipient FROM deliveries WHERE message_id = ?", (message_id,))
        return {row["recipient"] for row in rows}

    async def claim(self, message_id: int, space: str, recipient: str, name: str, now: datetime) -> bool:
        """Commit a 'sending' row; False when the recipient already has one (never twice)."""
        return bool(await self.claim_many(message_id, space, [(recipient, name)], now))

    async def claim_many(
        self, message_id: int, space: str, recipients: Sequence[tuple[str, str]], now: datetime
    ) -> list[str]:
        """Commit 'sending' rows in one write; the recipients claimed (one with a row already is skipped: never twice)."""

        def op(conn: Connection) -> list[str]:
            return [recipient for recipient, name in recipients if conn.execute(
                "INSERT INTO deliveries (message_id, recipient, space, name, status, claimed_at, claimed_by)"
                f" VALUES (?, ?, ?, ?, 'sending', ?, {claimant(conn)})"
                " ON CONFLICT (message_id, recipient) DO NOTHING RETURNING 1",
                (message_id, recipient, space, name, to_iso(now)),
            ).fetchone()]  # fmt: skip

        return await self.db.write(op) if recipients else []

    async def finish(self, message_id: int, recipient: str, status: str, now: datetime) -> None:
        """Mark a claimed delivery 'sent' or 'failed'."""
        await self.finish_many(message_id, {recipient: status}, (), now)

    async def finish_many(
        self, message_id: int, outcomes: Mapping[str, str], released: Sequence[str], now: datetime
    ) -> None:
        """Mark claimed deliveries 'sent' or 'failed' and drop the claims never sent (the platform was not called)."""

        def op(conn: Connection) -> None:
            conn.executemany(
                "UPDATE deliveries SET status = ?, finished_at = ? WHERE message_id = ? AND recipient = ?",
                [(status, to_iso(now), message_id, recipient) for recipient, status in outcomes.items()],
            )
            conn.executemany(
                "DELETE FROM deliveries WHERE message_id = ? AND recipient = ? AND status = 'sending'",
                [(message_id, recipient) for recipient in released],
            )

        if outcomes or released:
            await self.db.write(op)

    async def mark_unsure(self, now: datetime) -> list[tuple[Scheduled, list[str]]]:
        """Rows a process no longer running left 'sending' become 'unsure', each author told in the same write;
        per message, the names (another running process's claims are its own to finish)."""

        def op(conn: Connection) -> list[tuple[Scheduled, list[str]]]:
            rows = conn.execute(
                "UPDATE deliveries SET status = 'unsure', finished_at = ?"
                f" WHERE status = 'sending' AND {claimant_gone(conn)} RETURNING message_id, name",
                (to_iso(now),),
            ).fetchall()
            names: dict[int, list[str]] = {}
            for row in rows:
                names.setdefault(row["message_id"], []).append(row["name"])
            found = []
            for message_id, who in names.items():
                message = conn.execute(
                    f"SELECT {COLUMNS} FROM scheduled_messages WHERE id = ?", (message_id,)
                ).fetchone()
                found.append((_message(message), sorted(who)))
            enqueue(conn, [_report(conn, message, "unsure", who) for message, who in found], now)
            return found

        return await self.db.write(op)

    async def asked_steps(self, event_id: int, member: str) -> set[str]:
        """The follow-up steps that reached (or may have reached) a member."""
        rows = await self.db.fetch_all(
            "SELECT m.kind FROM deliveries d JOIN scheduled_messages m ON m.id = d.message_id"
            " WHERE m.event_id = ? AND m.kind IN ('followup_day', 'followup_month') AND d.recipient = ?"
            " AND d.status IN ('sent', 'unsure')",
            (event_id, member),
        )
        return {"day" if row["kind"] == "followup_day" else "month" for row in rows}

    async def asked_count(self, event_id: int) -> int:
        """How many members the day-after follow-up reached."""
        row = await self.db.fetch_one(
            "SELECT COUNT(*) AS n FROM deliveries d JOIN scheduled_messages m ON m.id = d.message_id"
            " WHERE m.event_id = ? AND m.kind = 'followup_day' AND d.status = 'sent'",
            (event_id,),
        )
        return int(row["n"]) if row else 0

    async def save_feedback(
        self, event_id: int, space: str, member: str, step: str, rating: int | None, text: str | None, now: datetime
    ) -> None:
        """Store a rating or a text; None keeps what was stored."""
        await self.db.write(
            lambda conn: conn.execute(
                "INSERT INTO event_feedback (event_id, space, member, step, rating, text, answered_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, member, step) DO UPDATE SET"
                " rating = COALESCE(excluded.rating, event_feedback.rating),"
                " text = CASE WHEN CAST(? AS TEXT) IS NULL THEN event_feedback.text ELSE excluded.text END,"
                " answered_at = excluded.answered_at",
                (event_id, space, member, step, rating, text or "", to_iso(now), text),
            )
        )

    async def feedback(self, event_id: int) -> list[FeedbackRow]:
        """Every follow-up answer of an event, with names, in answer order."""
        rows = await self.db.fetch_all(
            "SELECT f.member, COALESCE(m.name, f.member) AS name, f.step, f.rating, f.text, f.answered_at"
            " FROM event_feedback f LEFT JOIN members m ON m.space = f.space AND m.member = f.member"
            " WHERE f.event_id = ? ORDER BY f.answered_at, f.member, f.step",
            (event_id,),
        )
        return [FeedbackRow(r["member"], r["name"], r["step"], r["rating"], r["text"], from_iso(r["answered_at"]))  # type: ignore[arg-type]
                for r in rows]  # fmt: skip

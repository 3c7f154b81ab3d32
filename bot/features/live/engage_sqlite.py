"""Questions, upvotes, the thread's polls, check-ins and announced workshops in SQLite, with the transcript rows."""

from __future__ import annotations

from datetime import datetime

from bot.core.errors import UserError
from bot.core.model import Member, platform_of
from bot.features.events.domain import Presence, Session
from bot.features.live.engage import Checkin, TranscriptRow, live_poll_subject, session_text
from bot.features.live.posts_sqlite import enqueue
from bot.features.live.questions import Question
from bot.store.database import Connection, Database, Row
from bot.store.sql import lock
from bot.store.sqlite.rows import from_iso, to_iso

QUESTION_SELECT = (
    "SELECT q.id, q.thread_id, q.number, q.platform, q.author, q.name, q.text, q.asked_at, q.answered_at,"
    " q.hidden_at, (SELECT COUNT(*) FROM live_question_votes v WHERE v.question_id = q.id) AS votes"
    " FROM live_questions q"
)


def _question(row: Row) -> Question:
    return Question(
        row["id"], row["thread_id"], row["number"], row["platform"], row["author"], row["name"], row["text"],
        from_iso(row["asked_at"]), from_iso(row["answered_at"]), from_iso(row["hidden_at"]), row["votes"],  # type: ignore[arg-type]
    )  # fmt: skip


def _load(conn: Connection, where: str, params: tuple[object, ...]) -> Question | None:
    row = conn.execute(f"{QUESTION_SELECT} WHERE {where}", params).fetchone()
    return None if row is None else _question(row)


def _transcribe(
    conn: Connection, thread_id: int, channel_id: int | None, kind: str, member: str | None,
    name: str | None, platform: str, text: str, now: datetime,
) -> int:  # fmt: skip
    """Write a transcript row; its id (the place of what the bot posts about it, posts_sqlite.py)."""
    (row_id,) = conn.execute(
        "INSERT INTO live_messages (thread_id, channel_id, kind, member, name, platform, anonymous, text, posted_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (thread_id, channel_id, kind, member, name, platform, int(kind == "question" and member is None), text,
         to_iso(now)),
    ).fetchone()  # fmt: skip
    return int(row_id)


class SqliteEngageStore:
    """EngageStore on the embedded database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_question(
        self, thread_id: int, channel_id: int | None, platform: str, author: str | None, name: str | None, text: str,
        now: datetime,
    ) -> Question:  # fmt: skip
        """Number the question in its thread and write its transcript row, in one write."""

        def op(conn: Connection) -> Question:
            lock(conn, f"live-questions {thread_id}")  # the number is the next one in another process too
            (number,) = conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM live_questions WHERE thread_id = ?", (thread_id,)
            ).fetchone()
            (question_id,) = conn.execute(
                "INSERT INTO live_questions (thread_id, number, channel_id, platform, author, name, text, asked_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (thread_id, number, channel_id, platform, author, name, text, to_iso(now)),
            ).fetchone()
            row = _transcribe(conn, thread_id, channel_id, "question", author, name, platform, text, now)
            found = _load(conn, "q.id = ?", (question_id,))
            assert found is not None
            enqueue(conn, thread_id, "question", now, position=row, subject=found.subject)  # no author: rendered live
            return found

        return await self.db.write(op)

    async def question(self, question_id: int) -> Question | None:
        """A question by id."""
        row = await self.db.fetch_one(f"{QUESTION_SELECT} WHERE q.id = ?", (question_id,))
        return None if row is None else _question(row)

    async def toggle_vote(self, thread_id: int, question_id: int, voter: str, now: datetime) -> tuple[Question, bool]:
        """Add or remove one upvote inside one write; another thread's or a hidden question is refused."""

        def op(conn: Connection) -> tuple[Question, bool]:
            found = _load(conn, "q.id = ? AND q.thread_id = ?", (question_id, thread_id))
            if found is None:
                raise UserError("live.question_not_found", number=question_id)
            if found.hidden:
                raise UserError("live.question_hidden", number=found.number)
            removed = conn.execute(
                "DELETE FROM live_question_votes WHERE question_id = ? AND voter = ?", (question_id, voter)
            ).rowcount
            if not removed:
                conn.execute(
                    "INSERT INTO live_question_votes (question_id, voter, voted_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (question_id, voter) DO NOTHING",
                    (question_id, voter, to_iso(now)),
                )
            question = _load(conn, "q.id = ?", (question_id,))
            assert question is not None
            return question, not removed

        return await self.db.write(op)

    async def set_state(self, thread_id: int, number: int, state: str, now: datetime) -> Question:
        """Mark a question answered or hidden (the first time counts)."""
        column = {"answered": "answered_at", "hidden": "hidden_at"}[state]

        def op(conn: Connection) -> Question:
            conn.execute(
                f"UPDATE live_questions SET {column} = COALESCE({column}, ?) WHERE thread_id = ? AND number = ?",
                (to_iso(now), thread_id, number),
            )
            found = _load(conn, "q.thread_id = ? AND q.number = ?", (thread_id, number))
            if found is None:
                raise UserError("live.question_not_found", number=number)
            return found

        return await self.db.write(op)

    async def questions(self, thread_id: int) -> list[Question]:
        """Every question of a thread, in asking order."""
        rows = await self.db.fetch_all(f"{QUESTION_SELECT} WHERE q.thread_id = ? ORDER BY q.number", (thread_id,))
        return [_question(row) for row in rows]

    async def link_poll(
        self, poll_id: int, thread_id: int, channel_id: int, member: Member, text: str, now: datetime
    ) -> None:
        """Make a poll the thread's, with its transcript row."""

        def op(conn: Connection) -> None:
            conn.execute("INSERT INTO live_polls (poll_id, thread_id) VALUES (?, ?)", (poll_id, thread_id))
            row = _transcribe(
                conn, thread_id, channel_id, "poll", member.key, member.name, platform_of(member.key), text, now
            )
            enqueue(conn, thread_id, "poll", now, position=row, subject=live_poll_subject(poll_id))

        await self.db.write(op)

    async def poll_thread(self, poll_id: int) -> int | None:
        """The thread a poll belongs to."""
        row = await self.db.fetch_one("SELECT thread_id FROM live_polls WHERE poll_id = ?", (poll_id,))
        return None if row is None else int(row["thread_id"])

    async def polls(self, thread_id: int) -> list[int]:
        """A thread's polls, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT poll_id FROM live_polls WHERE thread_id = ? ORDER BY poll_id", (thread_id,)
        )
        return [int(row["poll_id"]) for row in rows]

    async def checkin(
        self, thread_id: int, channel_id: int, antenna: str, count: int, member: Member, now: datetime
    ) -> None:
        """Record an antenna's latest head count, with its transcript row."""

        def op(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO live_checkins (thread_id, antenna, count, by_member, checked_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (thread_id, antenna) DO UPDATE SET count = excluded.count,"
                " by_member = excluded.by_member, checked_at = excluded.checked_at",
                (thread_id, antenna, count, member.key, to_iso(now)),
            )
            row = _transcribe(conn, thread_id, channel_id, "checkin", member.key, member.name,
                              platform_of(member.key), f"{antenna}: {count}", now)  # fmt: skip
            enqueue(conn, thread_id, "checkin", now, position=row, params={"antenna": antenna, "count": count})

        await self.db.write(op)

    async def checkins(self, thread_id: int) -> list[Checkin]:
        """Antennas checked in, in the order they first came (rowid keeps it through updates; a column on PostgreSQL)."""
        rows = await self.db.fetch_all(
            "SELECT antenna, count FROM live_checkins WHERE thread_id = ? ORDER BY rowid", (thread_id,)
        )
        return [Checkin(row["antenna"], row["count"]) for row in rows]

    async def record(
        self, thread_id: int, channel_id: int | None, kind: str, member: Member | None, platform: str, text: str,
        now: datetime,
    ) -> None:  # fmt: skip
        """Add one transcript row; an announcement is queued for every attached thread in the same write."""
        key, name = (member.key, member.name) if member else (None, None)

        def op(conn: Connection) -> None:
            row = _transcribe(conn, thread_id, channel_id, kind, key, name, platform, text, now)
            if kind == "announcement":
                enqueue(conn, thread_id, kind, now, position=row, params={"text": text})

        await self.db.write(op)

    async def claim_session(self, thread_id: int, session: Session, now: datetime) -> bool:
        """Claim a workshop start once per thread, with its transcript row and its posts in the same write."""

        def op(conn: Connection) -> bool:
            claimed = conn.execute(
                "INSERT INTO live_sessions_announced (thread_id, session_id, announced_at) VALUES (?, ?, ?)"
                " ON CONFLICT (thread_id, session_id) DO NOTHING",
                (thread_id, session.id, to_iso(now)),
            ).rowcount
            if claimed:
                row = _transcribe(conn, thread_id, None, "session", None, None, "", session_text(session), now)
                shown = {"number": session.number, "title": session.title, "room": session.room}
                enqueue(conn, thread_id, "session", now, position=row, params=shown)
            return bool(claimed)

        return await self.db.write(op)

    async def announced(self, thread_id: int) -> set[int]:
        """Workshops already announced in a thread."""
        rows = await self.db.fetch_all(
            "SELECT session_id FROM live_sessions_announced WHERE thread_id = ?", (thread_id,)
        )
        return {int(row["session_id"]) for row in rows}

    async def people(self, thread_id: int) -> list[str]:
        """Members who posted, asked by name, upvoted or voted in the thread's polls, each once."""
        rows = await self.db.fetch_all(
            "SELECT member AS who FROM live_messages WHERE thread_id = ? AND member IS NOT NULL"
            " AND kind IN ('message', 'question') AND deleted_at IS NULL"
            " UNION SELECT v.voter FROM live_question_votes v JOIN live_questions q ON q.id = v.question_id"
            " WHERE q.thread_id = ?"
            " UNION SELECT v.voter FROM votes v JOIN live_polls p ON p.poll_id = v.poll_id WHERE p.thread_id = ?",
            (thread_id, thread_id, thread_id),
        )
        return [row["who"] for row in rows]

    async def presence(self, event_id: int) -> list[Presence]:
        """Each way each member took part in the event's live threads, with its first instant (remote presence)."""
        # A deleted message still shows its author was there. An anonymous question keeps no author; an
        # anonymous poll's votes are dated by the poll's opening, so no vote can be matched with a tally's change.
        rows = await self.db.fetch_all(
            "SELECT m.member AS who, m.kind AS source, MIN(m.posted_at) AS at FROM live_messages m"
            " JOIN live_threads t ON t.id = m.thread_id WHERE t.event_id = ? AND m.member IS NOT NULL"
            " AND m.anonymous = 0 AND m.kind IN ('message', 'question') GROUP BY m.member, m.kind"
            " UNION ALL SELECT v.voter, 'upvote', MIN(v.voted_at) FROM live_question_votes v"
            " JOIN live_questions q ON q.id = v.question_id JOIN live_threads t ON t.id = q.thread_id"
            " WHERE t.event_id = ? GROUP BY v.voter"
            " UNION ALL SELECT v.voter, 'poll', MIN(CASE WHEN p.anonymous <> 0 THEN p.created_at ELSE v.voted_at END)"
            " FROM votes v JOIN live_polls lp ON lp.poll_id = v.poll_id JOIN polls p ON p.id = v.poll_id"
            " JOIN live_threads t ON t.id = lp.thread_id WHERE t.event_id = ? GROUP BY v.voter",
            (event_id, event_id, event_id),
        )
        names = await self._names({row["who"] for row in rows})
        return [Presence(row["who"], names.get(row["who"], row["who"].split(":", 1)[-1]), "remote", row["source"],
                         datetime.fromisoformat(row["at"])) for row in rows]  # fmt: skip

    async def _names(self, members: set[str]) -> dict[str, str]:
        """The latest display name known for each member, in any space."""
        if not members:
            return {}
        marks = ", ".join("?" * len(members))
        rows = await self.db.fetch_all(
            f"SELECT member, name FROM members WHERE member IN ({marks}) ORDER BY updated_at", tuple(members)
        )
        return {row["member"]: row["name"] for row in rows}  # the newest name wins

    async def message_count(self, thread_id: int) -> int:
        """Members' messages in a thread, deleted ones left out."""
        row = await self.db.fetch_one(
            "SELECT COUNT(*) AS n FROM live_messages WHERE thread_id = ? AND kind = 'message' AND deleted_at IS NULL",
            (thread_id,),
        )
        return int(row["n"]) if row else 0

    async def transcript(self, thread_id: int) -> list[TranscriptRow]:
        """The transcript in order; anonymous rows have no author (none was kept)."""
        rows = await self.db.fetch_all(
            "SELECT posted_at, platform, name, anonymous, kind, text FROM live_messages"
            " WHERE thread_id = ? AND deleted_at IS NULL ORDER BY posted_at, id",
            (thread_id,),
        )
        return [
            TranscriptRow(from_iso(row["posted_at"]), row["platform"], "" if row["anonymous"] else row["name"] or "",  # type: ignore[arg-type]
                          row["kind"], row["text"])
            for row in rows
        ]  # fmt: skip

    async def running(self) -> list[int]:
        """Running live threads."""
        rows = await self.db.fetch_all("SELECT id FROM live_threads WHERE stopped_at IS NULL ORDER BY id")
        return [int(row["id"]) for row in rows]

    async def latest_for_event(self, event_id: int) -> int | None:
        """The newest live thread of an event."""
        row = await self.db.fetch_one(
            "SELECT id FROM live_threads WHERE event_id = ? ORDER BY id DESC LIMIT 1", (event_id,)
        )
        return None if row is None else int(row["id"])

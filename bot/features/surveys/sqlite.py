"""Surveys, recipients, answers and nudges on SQL shared by SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.errors import UserError
from bot.core.model import Member
from bot.features.surveys.domain import AnswerRow, Progress, Question, Survey, ask_notice
from bot.features.surveys.store import AnswerRule
from bot.store.database import Connection, Database, Row
from bot.store.sql import for_update, lock
from bot.store.sqlite.outbox import enqueue
from bot.store.sqlite.rows import from_iso, next_ref, to_iso

SURVEY_COLUMNS = "id, space, ref, channel, author, title, anonymous, created_at, sent_at, closed_at"


def _survey(row: Row, questions: Sequence[Row]) -> Survey:
    return Survey(
        id=row["id"],
        space=row["space"],
        ref=row["ref"],
        channel=row["channel"],
        author=row["author"],
        title=row["title"],
        anonymous=bool(row["anonymous"]),
        questions=tuple(
            Question(q["number"], q["kind"], q["text"], tuple(q["options"].split("\n")) if q["options"] else ())
            for q in questions
        ),
        created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
        sent_at=from_iso(row["sent_at"]),
        closed_at=from_iso(row["closed_at"]),
    )


def _load(conn: Connection, survey_id: int, locked: bool = False) -> Survey | None:
    """A survey and its questions read in the caller's transaction (its row locked when `locked`)."""
    row = conn.execute(
        f"SELECT {SURVEY_COLUMNS} FROM surveys WHERE id = ?" + (for_update(conn) if locked else ""), (survey_id,)
    ).fetchone()
    if row is None:
        return None
    questions = conn.execute(
        "SELECT number, kind, text, options FROM survey_questions WHERE survey_id = ? ORDER BY number", (survey_id,)
    ).fetchall()
    return _survey(row, questions)


class SqliteSurveyStore:
    """The survey store on the Database port."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_survey(
        self, space: str, channel: str, author: str, title: str, anonymous: bool, now: datetime
    ) -> Survey:
        """Store a new survey with the next short reference of its space."""

        def op(conn: Connection) -> Survey:
            ref = next_ref(conn, space, "survey")
            (survey_id,) = conn.execute(
                "INSERT INTO surveys (space, ref, channel, author, title, anonymous, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (space, ref, channel, author, title, int(anonymous), to_iso(now)),
            ).fetchone()
            survey = _load(conn, survey_id)
            assert survey is not None
            return survey

        return await self.db.write(op)

    async def get_survey(self, survey_id: int) -> Survey | None:
        """A survey by its global id."""
        row = await self.db.fetch_one(f"SELECT {SURVEY_COLUMNS} FROM surveys WHERE id = ?", (survey_id,))
        if row is None:
            return None
        questions = await self.db.fetch_all(
            "SELECT number, kind, text, options FROM survey_questions WHERE survey_id = ? ORDER BY number", (survey_id,)
        )
        return _survey(row, questions)

    async def find_survey(self, space: str, ref: int) -> Survey | None:
        """A survey by its short reference in a space."""
        row = await self.db.fetch_one("SELECT id FROM surveys WHERE space = ? AND ref = ?", (space, ref))
        return None if row is None else await self.get_survey(row["id"])

    async def open_surveys(self, space: str) -> list[tuple[int, str]]:
        """(reference, title) of a space's open surveys, newest first."""
        rows = await self.db.fetch_all(
            "SELECT ref, title FROM surveys WHERE space = ? AND closed_at IS NULL ORDER BY ref DESC", (space,)
        )
        return [(row["ref"], row["title"]) for row in rows]

    async def add_question(self, survey_id: int, question: Question) -> Question:
        """Append a question while the survey is unsent; numbered after the last one."""

        def op(conn: Connection) -> Question:
            survey = _load(conn, survey_id, locked=True)
            if survey is None:
                raise UserError("survey.not_found", ref=survey_id)
            if survey.sent_at is not None:
                raise UserError("survey.already_sent", ref=survey.ref)
            number = len(survey.questions) + 1
            conn.execute(
                "INSERT INTO survey_questions (survey_id, number, kind, text, options) VALUES (?, ?, ?, ?, ?)",
                (survey_id, number, question.kind, question.text, "\n".join(question.options)),
            )
            return Question(number, question.kind, question.text, question.options)

        return await self.db.write(op)

    async def send(self, survey: Survey, recipients: Sequence[Member], now: datetime) -> int:
        """New recipients and their notices in one write; those who already have the survey are skipped."""

        def op(conn: Connection) -> int:
            current = _load(conn, survey.id, locked=True)
            if current is None or current.closed_at is not None:
                raise UserError("survey.closed", ref=survey.ref)
            had = {
                row["member"]
                for row in conn.execute("SELECT member FROM survey_recipients WHERE survey_id = ?", (survey.id,))
            }
            fresh = list({m.key: m for m in recipients if m.key not in had}.values())
            conn.executemany(
                "INSERT INTO survey_recipients (survey_id, member, name, sent_at) VALUES (?, ?, ?, ?)",
                [(survey.id, m.key, m.name, to_iso(now)) for m in fresh],
            )
            conn.execute("UPDATE surveys SET sent_at = ? WHERE id = ? AND sent_at IS NULL", (to_iso(now), survey.id))
            enqueue(conn, [ask_notice(current, m.key) for m in fresh], now)
            return len(fresh)

        return await self.db.write(op)

    async def answer(self, survey: Survey, member: Member, number: int, rule: AnswerRule, now: datetime) -> str:
        """Replace one recipient's answer to one question, refused on a closed survey or to a non-recipient."""

        def op(conn: Connection) -> str:
            lock(conn, f"survey-answer {survey.id} {member.key}")  # one member's two clicks decide in turn
            state = conn.execute("SELECT closed_at FROM surveys WHERE id = ?", (survey.id,)).fetchone()
            if state is None or state["closed_at"] is not None:
                raise UserError("survey.closed", ref=survey.ref)
            recipient = conn.execute(
                "SELECT answered_at FROM survey_recipients WHERE survey_id = ? AND member = ?", (survey.id, member.key)
            ).fetchone()
            if recipient is None:
                raise UserError("survey.not_recipient", ref=survey.ref)
            row = conn.execute(
                "SELECT value FROM survey_answers WHERE survey_id = ? AND number = ? AND member = ?",
                (survey.id, number, member.key),
            ).fetchone()
            value = rule(None if row is None else row["value"])
            if not value:
                conn.execute(
                    "DELETE FROM survey_answers WHERE survey_id = ? AND number = ? AND member = ?",
                    (survey.id, number, member.key),
                )
            else:
                conn.execute(
                    "INSERT INTO survey_answers (survey_id, member, number, value, answered_at) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (survey_id, number, member) DO UPDATE"
                    " SET value = excluded.value, answered_at = excluded.answered_at",
                    (survey.id, member.key, number, value, to_iso(now)),
                )
                if recipient["answered_at"] is None:
                    conn.execute(
                        "UPDATE survey_recipients SET answered_at = ? WHERE survey_id = ? AND member = ?",
                        (to_iso(now), survey.id, member.key),
                    )
            return value

        return await self.db.write(op)

    async def close_survey(self, survey_id: int, now: datetime) -> Survey | None:
        """Close an open survey."""

        def op(conn: Connection) -> Survey | None:
            done = conn.execute(
                "UPDATE surveys SET closed_at = ? WHERE id = ? AND closed_at IS NULL RETURNING id",
                (to_iso(now), survey_id),
            ).fetchone()
            return None if done is None else _load(conn, survey_id)

        return await self.db.write(op)

    async def add_nudge(self, survey_id: int, at: datetime, most: int) -> None:
        """Plan a nudge; refused beyond `most` or twice at one instant."""

        def op(conn: Connection) -> None:
            lock(conn, f"survey-nudges {survey_id}")
            (count,) = conn.execute("SELECT COUNT(*) FROM survey_nudges WHERE survey_id = ?", (survey_id,)).fetchone()
            if count >= most:
                raise UserError("survey.too_many_nudges", max=most)
            added = conn.execute(
                "INSERT INTO survey_nudges (survey_id, at) VALUES (?, ?) ON CONFLICT (survey_id, at) DO NOTHING"
                " RETURNING survey_id",
                (survey_id, to_iso(at)),
            ).fetchone()
            if added is None:
                raise UserError("survey.nudge_twice")

        await self.db.write(op)

    async def nudge_due(self, now: datetime) -> list[int]:
        """Each due nudge in its own write: done, and a notice to each recipient without an answer."""
        due = await self.db.fetch_all(
            "SELECT survey_id, at FROM survey_nudges WHERE done_at IS NULL AND at <= ? ORDER BY at", (to_iso(now),)
        )
        nudged: list[int] = []
        for row in due:
            survey_id, at = row["survey_id"], row["at"]
            if await self.db.write(lambda conn, s=survey_id, a=at: self._nudge(conn, s, a, now)):  # type: ignore[misc]
                nudged.append(survey_id)
        return nudged

    @staticmethod
    def _nudge(conn: Connection, survey_id: int, at: str, now: datetime) -> bool:
        """Mark one nudge done and queue its notices; False when another write did it first."""
        claimed = conn.execute(
            "UPDATE survey_nudges SET done_at = ? WHERE survey_id = ? AND at = ? AND done_at IS NULL RETURNING at",
            (to_iso(now), survey_id, at),
        ).fetchone()
        survey = _load(conn, survey_id) if claimed is not None else None
        if survey is None or survey.closed_at is not None:
            return False
        waiting = [
            row["member"]
            for row in conn.execute(
                "SELECT member FROM survey_recipients WHERE survey_id = ? AND answered_at IS NULL ORDER BY member",
                (survey_id,),
            )
        ]
        conn.execute(
            "UPDATE survey_nudges SET reached = ? WHERE survey_id = ? AND at = ?", (len(waiting), survey_id, at)
        )
        enqueue(conn, [ask_notice(survey, member, "survey.ask.nudge") for member in waiting], now)
        return True

    async def nudge_times(self) -> list[datetime]:
        """Instants of the nudges not done yet."""
        rows = await self.db.fetch_all("SELECT DISTINCT at FROM survey_nudges WHERE done_at IS NULL ORDER BY at")
        return [from_iso(row["at"]) for row in rows]  # type: ignore[misc]

    async def progress(self, survey_id: int) -> Progress:
        """Recipients, answers and nudges counted in SQL."""
        counts = await self.db.fetch_one(
            "SELECT COUNT(*) AS recipients, COUNT(*) FILTER (WHERE answered_at IS NOT NULL) AS answered"
            " FROM survey_recipients WHERE survey_id = ?",
            (survey_id,),
        )
        nudges = await self.db.fetch_all(
            "SELECT at, done_at FROM survey_nudges WHERE survey_id = ? ORDER BY at", (survey_id,)
        )
        assert counts is not None
        planned = tuple(from_iso(row["at"]) for row in nudges if row["done_at"] is None)
        return Progress(
            counts["recipients"],
            counts["answered"],
            planned,  # type: ignore[arg-type]
            sum(1 for row in nudges if row["done_at"] is not None),
        )

    async def values(self, survey_id: int) -> dict[int, list[str]]:
        """Answer values per question, without members."""
        rows = await self.db.fetch_all(
            "SELECT number, value FROM survey_answers WHERE survey_id = ? ORDER BY number, value", (survey_id,)
        )
        found: dict[int, list[str]] = {}
        for row in rows:
            found.setdefault(row["number"], []).append(row["value"])
        return found

    async def sent_between(self, space: str, since: datetime, until: datetime) -> list[int]:
        """Ids of a space's surveys sent in [since, until), oldest first (ISO instants sort in time order)."""
        rows = await self.db.fetch_all(
            "SELECT id FROM surveys WHERE space = ? AND sent_at >= ? AND sent_at < ? ORDER BY sent_at, id",
            (space, to_iso(since), to_iso(until)),
        )
        return [int(row["id"]) for row in rows]

    async def answers(self, survey_id: int, with_members: bool) -> list[AnswerRow]:
        """Answer rows ordered by question and value (never by time: the order would hint at who answered)."""
        rows = await self.db.fetch_all(
            "SELECT a.number, a.value, a.member, r.name FROM survey_answers a"
            " JOIN survey_recipients r ON r.survey_id = a.survey_id AND r.member = a.member"
            " WHERE a.survey_id = ? ORDER BY a.number, a.value, r.name",
            (survey_id,),
        )
        if with_members:
            return [AnswerRow(row["number"], row["value"], row["member"], row["name"]) for row in rows]
        return [AnswerRow(row["number"], row["value"]) for row in rows]

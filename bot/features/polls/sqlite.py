"""Polls and votes in SQLite."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.core.errors import UserError
from bot.features.polls.domain import Poll, PollDraft, Tally, VoterRow
from bot.features.polls.store import VoteRule
from bot.store.database import Connection, Database, Row
from bot.store.sql import lock
from bot.store.sqlite.rows import from_iso, next_ref, to_iso, upsert_member

POLL_COLUMNS = (
    "id, space, ref, channel, author, question, max_choices, anonymous, results, closes_at, closed_at, created_at"
)


def _poll(row: Row, options: list[str]) -> Poll:
    return Poll(
        id=row["id"],
        space=row["space"],
        ref=row["ref"],
        channel=row["channel"],
        author=row["author"],
        question=row["question"],
        options=tuple(options),
        max_choices=row["max_choices"],
        anonymous=bool(row["anonymous"]),
        results=row["results"],
        closes_at=from_iso(row["closes_at"]),
        closed_at=from_iso(row["closed_at"]),
        created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
    )


def _load(conn: Connection, poll_id: int) -> Poll | None:
    row = conn.execute(f"SELECT {POLL_COLUMNS} FROM polls WHERE id = ?", (poll_id,)).fetchone()
    if row is None:
        return None
    options = conn.execute("SELECT label FROM poll_options WHERE poll_id = ? ORDER BY position", (poll_id,))
    return _poll(row, [label for (label,) in options])


class SqlitePollStore:
    """PollStore on the embedded database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Question and options never change once created: votes read them from memory and
        # only the closing columns from disk, which keeps the writer thread short in a burst.
        self._fixed: dict[int, Poll] = {}

    def _current(self, conn: Connection, poll_id: int) -> Poll | None:
        """A poll as it is inside the running transaction."""
        row = conn.execute("SELECT closes_at, closed_at FROM polls WHERE id = ?", (poll_id,)).fetchone()
        if row is None:
            return None
        poll = self._fixed.get(poll_id)
        if poll is None:
            poll = self._fixed[poll_id] = _load(conn, poll_id)  # type: ignore[assignment]
            assert poll is not None
        closes_at, closed_at = from_iso(row["closes_at"]), from_iso(row["closed_at"])
        if (closes_at, closed_at) == (poll.closes_at, poll.closed_at):
            return poll
        return replace(poll, closes_at=closes_at, closed_at=closed_at)

    async def create_poll(self, space: str, channel: str, author: str, draft: PollDraft, now: datetime) -> Poll:
        """Store a new poll with the next short reference of its space."""

        def op(conn: Connection) -> Poll:
            ref = next_ref(conn, space, "poll")
            (poll_id,) = conn.execute(
                "INSERT INTO polls (space, ref, channel, author, question, max_choices, anonymous, results,"
                " closes_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    space,
                    ref,
                    channel,
                    author,
                    draft.question,
                    draft.max_choices,
                    int(draft.anonymous),
                    draft.results,
                    to_iso(draft.closes_at),
                    to_iso(now),
                ),
            ).fetchone()
            conn.executemany(
                "INSERT INTO poll_options (poll_id, position, label) VALUES (?, ?, ?)",
                [(poll_id, position, label) for position, label in enumerate(draft.options)],
            )
            poll = _load(conn, poll_id)
            assert poll is not None
            return poll

        return await self.db.write(op)

    async def _read(self, where: str, params: tuple[object, ...]) -> list[Poll]:
        rows = await self.db.fetch_all(f"SELECT {POLL_COLUMNS} FROM polls WHERE {where}", params)
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        marks = ",".join("?" * len(ids))
        options: dict[int, list[str]] = {poll_id: [] for poll_id in ids}
        for option in await self.db.fetch_all(
            f"SELECT poll_id, label FROM poll_options WHERE poll_id IN ({marks}) ORDER BY poll_id, position", ids
        ):
            options[option["poll_id"]].append(option["label"])
        return [_poll(row, options[row["id"]]) for row in rows]

    async def get_poll(self, poll_id: int) -> Poll | None:
        """A poll by its global id."""
        found = await self._read("id = ?", (poll_id,))
        return found[0] if found else None

    async def find_poll(self, space: str, ref: int) -> Poll | None:
        """A poll by its short reference in a space."""
        found = await self._read("space = ? AND ref = ?", (space, ref))
        return found[0] if found else None

    async def open_polls(self, space: str) -> list[Poll]:
        """Open polls of a space, newest first."""
        return await self._read("space = ? AND closed_at IS NULL ORDER BY ref DESC", (space,))

    async def apply_vote(
        self, space: str, poll_id: int, voter: str, voter_name: str, now: datetime, rule: VoteRule
    ) -> tuple[Poll, tuple[int, ...]]:
        """Replace a voter's choices by `rule(poll, current)` inside one transaction."""

        def op(conn: Connection) -> tuple[Poll, tuple[int, ...]]:
            lock(conn, f"vote {poll_id} {voter}")  # the same voter's click in another process waits
            poll = self._current(conn, poll_id)
            if poll is None:
                raise UserError("poll.not_found", ref=poll_id)
            current = tuple(
                position
                for (position,) in conn.execute(
                    "SELECT position FROM votes WHERE poll_id = ? AND voter = ? ORDER BY position", (poll_id, voter)
                )
            )
            wanted = rule(poll, current)
            for position in current:
                if position not in wanted:
                    conn.execute(
                        "DELETE FROM votes WHERE poll_id = ? AND voter = ? AND position = ?", (poll_id, voter, position)
                    )
            for position in wanted:
                if position not in current:
                    conn.execute(
                        "INSERT INTO votes (poll_id, voter, position, voted_at) VALUES (?, ?, ?, ?)",
                        (poll_id, voter, position, to_iso(now)),
                    )
            if not poll.anonymous:
                upsert_member(conn, space, voter, voter_name, now)
            return poll, wanted

        return await self.db.write(op)

    async def choices(self, poll_id: int, voter: str) -> tuple[int, ...]:
        """A voter's current choices."""
        rows = await self.db.fetch_all(
            "SELECT position FROM votes WHERE poll_id = ? AND voter = ? ORDER BY position", (poll_id, voter)
        )
        return tuple(row["position"] for row in rows)

    async def member_votes(self, space: str, voter: str, limit: int) -> list[tuple[Poll, tuple[int, ...]]]:
        """The polls of a space a member voted on, newest first, with their choices."""
        rows = await self.db.fetch_all(
            "SELECT v.poll_id, v.position FROM votes v JOIN polls p ON p.id = v.poll_id"
            " WHERE p.space = ? AND v.voter = ? AND v.poll_id IN (SELECT DISTINCT w.poll_id FROM votes w"
            " JOIN polls q ON q.id = w.poll_id WHERE q.space = ? AND w.voter = ? ORDER BY w.poll_id DESC LIMIT ?)"
            " ORDER BY v.poll_id DESC, v.position",
            (space, voter, space, voter, limit),
        )
        choices: dict[int, list[int]] = {}
        for row in rows:
            choices.setdefault(row["poll_id"], []).append(row["position"])
        if not choices:
            return []
        marks = ",".join("?" * len(choices))
        polls = await self._read(f"id IN ({marks}) ORDER BY id DESC", tuple(choices))
        return [(poll, tuple(choices[poll.id])) for poll in polls]

    async def tally(self, poll_id: int) -> Tally:
        """Counts per option and distinct voters."""
        rows = await self.db.fetch_all(
            "SELECT o.position, COUNT(v.voter) AS n FROM poll_options o"
            " LEFT JOIN votes v ON v.poll_id = o.poll_id AND v.position = o.position"
            " WHERE o.poll_id = ? GROUP BY o.position ORDER BY o.position",
            (poll_id,),
        )
        voters = await self.db.fetch_one("SELECT COUNT(DISTINCT voter) AS n FROM votes WHERE poll_id = ?", (poll_id,))
        return Tally(tuple(row["n"] for row in rows), voters["n"] if voters else 0)

    async def voters(self, poll_id: int) -> list[VoterRow]:
        """Per voter rows, names as last seen."""
        rows = await self.db.fetch_all(
            "SELECT COALESCE(m.name, v.voter) AS name, o.label, v.voted_at FROM votes v"
            " JOIN polls p ON p.id = v.poll_id"
            " JOIN poll_options o ON o.poll_id = v.poll_id AND o.position = v.position"
            " LEFT JOIN members m ON m.space = p.space AND m.member = v.voter"
            " WHERE v.poll_id = ? AND p.anonymous = 0 ORDER BY v.voted_at, name, o.position",
            (poll_id,),
        )
        return [VoterRow(row["name"], row["label"], from_iso(row["voted_at"])) for row in rows]  # type: ignore[arg-type]

    async def close_poll(self, poll_id: int, now: datetime) -> Poll | None:
        """Close an open poll; None when it was already closed."""

        def op(conn: Connection) -> Poll | None:
            changed = conn.execute(
                "UPDATE polls SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (to_iso(now), poll_id)
            ).rowcount
            return _load(conn, poll_id) if changed else None

        return await self.db.write(op)

    async def due_polls(self, now: datetime) -> list[Poll]:
        """Open polls whose closing time has come."""
        return await self._read("closed_at IS NULL AND closes_at IS NOT NULL AND closes_at <= ?", (to_iso(now),))

    async def next_closing_times(self) -> list[datetime]:
        """Closing times of open polls."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT closes_at FROM polls WHERE closed_at IS NULL AND closes_at IS NOT NULL"
        )
        return [from_iso(row["closes_at"]) for row in rows]  # type: ignore[misc]

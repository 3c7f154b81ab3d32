"""Polls and votes in SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple, TypeVar

from bot.core.errors import UserError
from bot.features.polls.domain import Poll, PollDraft, Tally, VoterRow
from bot.features.polls.store import VoteRule
from bot.store.database import Connection, Database, Grouped, Outcome, Row
from bot.store.sql import lock
from bot.store.sqlite.rows import from_iso, next_ref, to_iso

T = TypeVar("T")
Pair = tuple[int, str]  # (poll id, voter)

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


def _marks(count: int, width: int) -> str:
    """Placeholders of `count` row values of `width` columns: "(?, ?), (?, ?)"."""
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * count)


def _typed_keys(count: int) -> str:
    """Row values of (poll id, voter, space); the id is cast, as PostgreSQL types a bare parameter as text."""
    return ", ".join(["(CAST(? AS BIGINT), ?, ?)"] * count)


def _flat(rows: Iterable[tuple[object, ...]]) -> list[object]:
    """The parameters of row values, in order."""
    return [value for row in rows for value in row]


class _Click(NamedTuple):
    """One voter's click waiting for the writer (a named tuple: quick to build on the event loop)."""

    space: str
    poll_id: int
    voter: str
    voter_name: str
    now: datetime
    rule: VoteRule


@dataclass
class _Votes:
    """Votes of one transaction applied in memory, one click after the other, then written in a few statements."""

    stored: dict[Pair, tuple[int, ...]]  # as on disk before the transaction
    names: dict[tuple[str, str], str]  # members' names as on disk
    current: dict[Pair, tuple[int, ...]] = field(default_factory=dict)
    undone: dict[Pair, set[int]] = field(default_factory=dict)  # stored choices removed, even if chosen again
    added: dict[tuple[Pair, int], str] = field(default_factory=dict)  # when each new choice was made
    renamed: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # new name, since when

    def choices(self, pair: Pair) -> tuple[int, ...]:
        """A voter's choices as the clicks so far left them."""
        return self.current.get(pair, self.stored.get(pair, ()))

    def apply(self, pair: Pair, wanted: tuple[int, ...], now: str) -> None:
        """Replace a voter's choices."""
        before = self.choices(pair)
        for position in before:
            if position not in wanted:
                self.added.pop((pair, position), None)
                if position in self.stored.get(pair, ()):
                    self.undone.setdefault(pair, set()).add(position)
        for position in wanted:
            if position not in before:
                self.added[(pair, position)] = now
        self.current[pair] = wanted

    def seen(self, space: str, member: str, name: str, now: str) -> None:
        """Remember a member's display name as last seen."""
        if self.names.get((space, member)) != name:
            self.names[(space, member)] = name
            self.renamed[(space, member)] = (name, now)

    def write(self, conn: Connection) -> None:
        """Write the difference with the disk: votes, running counts and names."""
        deleted: list[tuple[int, str, int]] = []
        inserted: list[tuple[int, str, int, str]] = []
        counts: dict[tuple[int, int], int] = {}
        voters: dict[int, int] = {}
        for pair, final in self.current.items():
            stored, undone = self.stored.get(pair, ()), self.undone.get(pair, set())
            for position in stored:
                if position in undone:
                    deleted.append((*pair, position))
                    counts[(pair[0], position)] = counts.get((pair[0], position), 0) - 1
            for position in final:
                if position not in stored or position in undone:
                    inserted.append((*pair, position, self.added[(pair, position)]))
                    counts[(pair[0], position)] = counts.get((pair[0], position), 0) + 1
            voters[pair[0]] = voters.get(pair[0], 0) + bool(final) - bool(stored)
        # Only changed and withdrawn votes are deleted, a few per burst: a plain DELETE per row is the
        # quickest (SQLite plans no primary-key search for a list of row values).
        conn.executemany("DELETE FROM votes WHERE poll_id = ? AND voter = ? AND position = ?", deleted)
        if inserted:
            conn.execute(
                f"INSERT INTO votes (poll_id, voter, position, voted_at) VALUES {_marks(len(inserted), 4)}",
                _flat(inserted),
            )
        # One row per option and per poll touched, however many clicks: a plain UPDATE each runs
        # ten times faster than one UPDATE … FROM (VALUES …), which SQLite materialises every time.
        conn.executemany(
            "UPDATE poll_counts SET n = n + ? WHERE poll_id = ? AND position = ?",
            [(delta, poll_id, position) for (poll_id, position), delta in counts.items() if delta],
        )
        conn.executemany(
            "UPDATE polls SET voters = voters + ? WHERE id = ?",
            [(delta, poll_id) for poll_id, delta in voters.items() if delta],
        )
        if self.renamed:
            conn.execute(
                f"INSERT INTO members (space, member, name, updated_at) VALUES {_marks(len(self.renamed), 4)}"
                " ON CONFLICT (space, member) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
                _flat((*key, *value) for key, value in self.renamed.items()),
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

    def _with_closing(self, conn: Connection, poll_id: int, closes_text: str | None, closed_text: str | None) -> Poll:
        """A poll as it is inside the running transaction, given its closing columns read from disk."""
        poll = self._fixed.get(poll_id)
        if poll is None:
            poll = self._fixed[poll_id] = _load(conn, poll_id)  # type: ignore[assignment]
            assert poll is not None
        closes_at, closed_at = from_iso(closes_text), from_iso(closed_text)
        if (closes_at, closed_at) != (poll.closes_at, poll.closed_at):
            poll = replace(poll, closes_at=closes_at, closed_at=closed_at)
        return poll

    def _state(self, conn: Connection, clicks: Sequence[_Click]) -> tuple[dict[int, Poll], _Votes]:
        """The clicked polls, the voters' choices and their names, as on disk, in one statement."""
        keys = {(click.poll_id, click.voter, click.space) for click in clicks}
        for poll_id, voter, _ in sorted(keys):  # in one order in every process, so two batches never deadlock
            lock(conn, f"vote {poll_id} {voter}")  # the same voter's click in another process waits
        polls: dict[int, Poll] = {}
        choices: dict[Pair, list[int]] = {}
        names: dict[tuple[str, str], str] = {}
        # A join on the listed keys: SQLite finds each row by its primary key (an IN over row values would scan).
        for poll_id, voter, space, closes_text, closed_text, position, name in conn.execute(
            "SELECT k.column1, k.column2, k.column3, p.closes_at, p.closed_at, v.position, m.name"
            f" FROM (VALUES {_typed_keys(len(keys))}) AS k JOIN polls p ON p.id = k.column1"
            " LEFT JOIN votes v ON v.poll_id = k.column1 AND v.voter = k.column2"
            " LEFT JOIN members m ON m.space = k.column3 AND m.member = k.column2",
            _flat(keys),
        ):
            if poll_id not in polls:
                polls[poll_id] = self._with_closing(conn, poll_id, closes_text, closed_text)
            if position is not None:
                choices.setdefault((poll_id, voter), []).append(position)
            if name is not None:
                names[(space, voter)] = name
        return polls, _Votes({pair: tuple(sorted(found)) for pair, found in choices.items()}, names)

    def _apply_clicks(self, conn: Connection, clicks: Sequence[_Click]) -> list[Outcome]:
        """Apply the clicks of one transaction in order, each rule seeing the clicks before it; write once."""
        polls, votes = self._state(conn, clicks)
        outcomes: list[Outcome] = []
        stamps: dict[datetime, str] = {}  # clicks of one instant share its text
        for click in clicks:
            pair = (click.poll_id, click.voter)
            try:
                poll = polls.get(click.poll_id)
                if poll is None:
                    raise UserError("poll.not_found", ref=click.poll_id)
                wanted = click.rule(poll, votes.choices(pair))
            except Exception as error:  # this click is refused; the others go on
                outcomes.append((False, error))
                continue
            now = stamps.get(click.now) or stamps.setdefault(click.now, str(to_iso(click.now)))
            votes.apply(pair, wanted, now)
            if not poll.anonymous:
                votes.seen(click.space, click.voter, click.voter_name, now)
            outcomes.append((True, (poll, wanted)))
        votes.write(conn)
        return outcomes

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
            conn.executemany(
                "INSERT INTO poll_counts (poll_id, position) VALUES (?, ?)",
                [(poll_id, position) for position in range(len(draft.options))],
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
        """Replace a voter's choices by `rule(poll, current)` inside one transaction, counts included."""
        # Clicks arriving together share their statements: a burst costs a few statements per
        # transaction instead of a few per vote.
        vote: Grouped[tuple[Poll, tuple[int, ...]]] = Grouped(
            self._apply_clicks, _Click(space, poll_id, voter, voter_name, now, rule)
        )
        return await self.db.write(vote)

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
        """Counts per option and distinct voters, as kept by each vote (one row per option read)."""
        rows = await self.db.fetch_all(
            "SELECT c.n, p.voters FROM polls p JOIN poll_counts c ON c.poll_id = p.id"
            " WHERE p.id = ? ORDER BY c.position",
            (poll_id,),
        )
        return Tally(tuple(row["n"] for row in rows), rows[0]["voters"] if rows else 0)

    async def voters(self, poll_id: int) -> list[VoterRow]:
        """Per voter rows, names as last seen."""
        return await self.db.read_apart(lambda conn: list(_voter_rows(conn, poll_id)))

    async def export(self, poll_id: int, build: Callable[[Tally, Iterator[VoterRow]], T]) -> T:
        """`build(tally, voter rows)` off the event loop, over one consistent read; the rows stream from disk."""

        def read(conn: Connection) -> T:
            row = conn.execute("SELECT voters FROM polls WHERE id = ?", (poll_id,)).fetchone()
            counts = conn.execute("SELECT n FROM poll_counts WHERE poll_id = ? ORDER BY position", (poll_id,))
            tally = Tally(tuple(n for (n,) in counts), row[0] if row else 0)
            return build(tally, _voter_rows(conn, poll_id))

        return await self.db.read_apart(read)

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


def _voter_rows(conn: Connection, poll_id: int) -> Iterator[VoterRow]:
    """Per voter rows of a non-anonymous poll, names as last seen, read from disk as they are consumed."""
    cursor = conn.execute(
        "SELECT COALESCE(m.name, v.voter) AS name, o.label, v.voted_at FROM votes v"
        " JOIN polls p ON p.id = v.poll_id"
        " JOIN poll_options o ON o.poll_id = v.poll_id AND o.position = v.position"
        " LEFT JOIN members m ON m.space = p.space AND m.member = v.voter"
        " WHERE v.poll_id = ? AND p.anonymous = 0 ORDER BY v.voted_at, name, o.position",
        (poll_id,),
    )
    while rows := cursor.fetchmany(1000):
        for name, label, voted_at in rows:
            yield VoterRow(name, label, datetime.fromisoformat(voted_at))

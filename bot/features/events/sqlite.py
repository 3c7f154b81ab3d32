"""Events, antennas, workshops and sign-ups in SQLite: load the aggregate, run a rule, write the difference.

The `EventState` an op loads stays current until its commit: SQLite's writer serialises writes, and on
PostgreSQL the op locks the event's row first, so sign-ups from other processes wait (no overselling).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.core.errors import UserError
from bot.features.events import rules
from bot.features.events.domain import (
    MODES,
    Antenna,
    Change,
    Counts,
    Event,
    EventDraft,
    ModeCount,
    Session,
    Signup,
    SignupRequest,
)
from bot.features.events.rules import Choice, Decision, Entry, EventState
from bot.store.database import Connection, Database, Row
from bot.store.sql import for_update
from bot.store.sqlite.outbox import enqueue
from bot.store.sqlite.rows import from_iso, next_ref, to_iso, upsert_member

DRAFT_COLUMNS = (
    "title, description, starts_at, ends_at, venue, online_link, deadline, onsite_capacity, remote_capacity,"
    " price, question, confirm_hours"
)
EVENT_COLUMNS = f"id, space, ref, channel, author, timezone, {DRAFT_COLUMNS}, cancelled_at, created_at"
SIGNUP_SELECT = (
    "SELECT s.id, s.event_id, s.member, COALESCE(m.name, s.member) AS name, s.mode, s.status, s.seq, s.answer,"
    " s.signed_up_at, s.offer_expires_at, a.name AS antenna FROM event_signups s"
    " LEFT JOIN members m ON m.space = s.space AND m.member = s.member"
    " LEFT JOIN event_antennas a ON a.id = s.antenna_id"
)
MAP_CHUNK = 500  # sign-up rows turned into Signups per turn of the event loop
SESSION_COLUMNS = "id, event_id, number, title, starts_at, ends_at, room, capacity"
ENTRY_SELECT = (
    "SELECT s.member, COALESCE(m.name, s.member) AS name, s.mode, s.status, s.seq, s.signed_up_at, s.status_at,"
    " s.antenna_id, s.answer, s.offer_expires_at FROM event_signups s"
    " LEFT JOIN members m ON m.space = s.space AND m.member = s.member WHERE s.event_id = ? ORDER BY s.seq"
)
CHOICES_SELECT = (
    "SELECT c.member, es.title, c.status FROM event_session_choices c"
    " JOIN event_sessions es ON es.id = c.session_id WHERE c.event_id = ? ORDER BY es.number"
)
HOLDING_SQL = "('confirmed', 'offered')"


def _event(row: Row) -> Event:
    return Event(
        id=row["id"], space=row["space"], ref=row["ref"], channel=row["channel"], author=row["author"],
        timezone=row["timezone"], title=row["title"], description=row["description"],
        starts_at=from_iso(row["starts_at"]), ends_at=from_iso(row["ends_at"]),  # type: ignore[arg-type]
        venue=row["venue"], online_link=row["online_link"], deadline=from_iso(row["deadline"]),
        onsite_capacity=row["onsite_capacity"], remote_capacity=row["remote_capacity"], price=row["price"],
        question=row["question"], confirm_hours=row["confirm_hours"], cancelled_at=from_iso(row["cancelled_at"]),
        created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
    )  # fmt: skip


def _draft_values(draft: EventDraft | Event) -> tuple[Any, ...]:
    return (
        draft.title, draft.description, to_iso(draft.starts_at), to_iso(draft.ends_at), draft.venue,
        draft.online_link, to_iso(draft.deadline), draft.onsite_capacity, draft.remote_capacity, draft.price,
        draft.question, draft.confirm_hours,
    )  # fmt: skip


def _session(row: Row) -> Session:
    return Session(
        row["id"], row["event_id"], row["number"], row["title"], from_iso(row["starts_at"]),  # type: ignore[arg-type]
        from_iso(row["ends_at"]), row["room"], row["capacity"],  # type: ignore[arg-type]
    )  # fmt: skip


def _antenna(row: Row) -> Antenna:
    return Antenna(row["id"], row["space"], row["name"], row["region"], row["host"], row["channel"])


def _signup(row: Row, position: int | None, choices: Iterable[Row] = ()) -> Signup:
    choices = list(choices)
    return Signup(
        event_id=row["event_id"], member=row["member"], name=row["name"], mode=row["mode"], status=row["status"],
        seq=row["seq"], signed_up_at=from_iso(row["signed_up_at"]),  # type: ignore[arg-type]
        antenna=row["antenna"], position=position, offer_expires_at=from_iso(row["offer_expires_at"]),
        answer=row["answer"], sessions=tuple(c["title"] for c in choices if c["status"] == "confirmed"),
        sessions_waiting=tuple(c["title"] for c in choices if c["status"] == "waitlisted"),
    )  # fmt: skip


def _choices_by_member(rows: Iterable[Row]) -> dict[str, list[Row]]:
    found: dict[str, list[Row]] = {}
    for row in rows:
        found.setdefault(row["member"], []).append(row)
    return found


# --- inside a write: sync helpers on the writer connection -------------------------------------


def _load_event(conn: Connection, event_id: int, lock: bool = False) -> Event | None:
    """An event read in a write; `lock` holds its row (the aggregate's) until the commit."""
    suffix = for_update(conn) if lock else ""
    row = conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE id = ?{suffix}", (event_id,)).fetchone()
    return None if row is None else _event(row)


def _read_signup(conn: Connection, event_id: int, member: str) -> Signup | None:
    row = conn.execute(f"{SIGNUP_SELECT} WHERE s.event_id = ? AND s.member = ?", (event_id, member)).fetchone()
    if row is None:
        return None
    position = None
    if row["status"] == "waitlisted":
        (position,) = conn.execute(
            "SELECT position FROM event_waitlist WHERE event_id = ? AND member = ?", (event_id, member)
        ).fetchone()
    sessions = _choices_by_member(
        conn.execute(CHOICES_SELECT.replace("ORDER BY", "AND c.member = ? ORDER BY"), (event_id, member))
    )
    return _signup(row, position, sessions.get(member, ()))


def _entry(row: Row) -> Entry:
    return Entry(
        member=row["member"], name=row["name"], mode=row["mode"], status=row["status"], seq=row["seq"],
        signed_up_at=from_iso(row["signed_up_at"]), status_at=from_iso(row["status_at"]),  # type: ignore[arg-type]
        antenna_id=row["antenna_id"], answer=row["answer"], offer_expires_at=from_iso(row["offer_expires_at"]),
    )  # fmt: skip


def _choice(row: Row) -> Choice:
    return Choice(row["session_id"], row["member"], row["status"], row["seq"], from_iso(row["chosen_at"]))  # type: ignore[arg-type]


def _load_state(conn: Connection, event: Event) -> EventState:
    """The event's aggregate, read on the writer connection inside the caller's transaction."""
    sessions = conn.execute(
        f"SELECT {SESSION_COLUMNS} FROM event_sessions WHERE event_id = ? ORDER BY number", (event.id,)
    )
    choices = conn.execute(
        "SELECT session_id, member, status, seq, chosen_at FROM event_session_choices WHERE event_id = ? ORDER BY seq",
        (event.id,),
    )
    return EventState(
        event,
        tuple(_entry(row) for row in conn.execute(ENTRY_SELECT, (event.id,))),
        tuple(_session(row) for row in sessions),
        tuple(_choice(row) for row in choices),
    )


def _state_in(conn: Connection, space: str | None, event_id: int) -> EventState:
    """The aggregate of an event; another space's event (when `space` is given) is refused as not found."""
    event = _load_event(conn, event_id, lock=True)
    if event is None or (space is not None and event.space != space):
        raise UserError("event.not_found", ref=event_id)
    return _load_state(conn, event)


def _write(conn: Connection, decision: Decision, now: datetime) -> None:
    """Write what a rule changed and queue its notices, in the caller's transaction."""
    event = decision.after.event
    if decision.event_changed:
        assignments = ", ".join(f"{column.strip()} = ?" for column in DRAFT_COLUMNS.split(","))
        conn.execute(
            f"UPDATE events SET {assignments}, cancelled_at = ?, updated_at = ? WHERE id = ?",
            (*_draft_values(event), to_iso(event.cancelled_at), to_iso(now), event.id),
        )
    conn.executemany(
        "INSERT INTO event_signups (event_id, space, member, mode, antenna_id, status, seq, answer, signed_up_at,"
        " status_at, offer_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, member)"
        " DO UPDATE SET mode = excluded.mode, antenna_id = excluded.antenna_id, status = excluded.status,"
        " seq = excluded.seq, answer = excluded.answer, signed_up_at = excluded.signed_up_at,"
        " status_at = excluded.status_at, offer_expires_at = excluded.offer_expires_at",
        [(event.id, event.space, e.member, e.mode, e.antenna_id, e.status, e.seq, e.answer, to_iso(e.signed_up_at),
          to_iso(e.status_at), to_iso(e.offer_expires_at)) for e in decision.entries_changed],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO event_signup_moves (event_id, space, member, mode, from_status, to_status, moved_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(event.id, event.space, m.member, m.mode, m.before, m.after, to_iso(now)) for m in decision.moves],
    )
    conn.executemany(
        "DELETE FROM event_session_choices WHERE session_id = ? AND member = ?",
        [(c.session_id, c.member) for c in decision.choices_removed],
    )
    conn.executemany(
        "INSERT INTO event_session_choices (session_id, event_id, space, member, status, seq, chosen_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, member)"
        " DO UPDATE SET status = excluded.status, seq = excluded.seq, chosen_at = excluded.chosen_at",
        [(c.session_id, event.id, event.space, c.member, c.status, c.seq, to_iso(c.chosen_at))
         for c in decision.choices_set],
    )  # fmt: skip
    enqueue(conn, decision.notices, now)


def _change(conn: Connection, decision: Decision, member: str | None, now: datetime) -> Change:
    """Write a decision and say what became of it, with the acting member's sign-up as it now stands."""
    _write(conn, decision, now)
    event = decision.after.event
    signup = None if member is None else _read_signup(conn, event.id, member)
    return Change(event, signup, decision.notices, decision.session, decision.session_status)


class SqliteEventStore:
    """EventStore on the embedded database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_event(
        self, space: str, channel: str, author: str, timezone: str, draft: EventDraft, now: datetime
    ) -> Event:
        """Store a new event with the next short reference of its space."""

        def op(conn: Connection) -> Event:
            ref = next_ref(conn, space, "event")
            (event_id,) = conn.execute(
                f"INSERT INTO events (space, ref, channel, author, timezone, {DRAFT_COLUMNS}, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (space, ref, channel, author, timezone, *_draft_values(draft), to_iso(now), to_iso(now)),
            ).fetchone()
            event = _load_event(conn, event_id)
            assert event is not None
            return event

        return await self.db.write(op)

    async def update_event(self, event_id: int, draft: EventDraft, now: datetime) -> Change:
        """Replace an event's details; fill places a larger capacity opened."""

        def op(conn: Connection) -> Change:
            return _change(conn, rules.update_event(_state_in(conn, None, event_id), draft, now), None, now)

        return await self.db.write(op)

    async def cancel_event(self, event_id: int, now: datetime) -> Change:
        """Mark an event cancelled and tell everyone signed up; refused when it already was."""

        def op(conn: Connection) -> Change:
            return _change(conn, rules.cancel_event(_state_in(conn, None, event_id), now), None, now)

        return await self.db.write(op)

    async def _events(self, where: str, params: Sequence[Any]) -> list[Event]:
        rows = await self.db.fetch_all(f"SELECT {EVENT_COLUMNS} FROM events WHERE {where}", params)
        return [_event(row) for row in rows]

    async def get_event(self, event_id: int) -> Event | None:
        """An event by its global id."""
        found = await self._events("id = ?", (event_id,))
        return found[0] if found else None

    async def find_event(self, space: str, ref: int) -> Event | None:
        """An event by its short reference in a space."""
        found = await self._events("space = ? AND ref = ?", (space, ref))
        return found[0] if found else None

    async def upcoming_events(self, space: str, now: datetime) -> list[Event]:
        """Events of a space not yet ended, soonest first."""
        return await self._events("space = ? AND ends_at > ? ORDER BY starts_at, ref", (space, to_iso(now)))

    async def ended_events(self, space: str, now: datetime) -> list[Event]:
        """Events of a space that took place (ended, not cancelled), oldest first."""
        return await self._events(
            "space = ? AND ends_at <= ? AND cancelled_at IS NULL ORDER BY starts_at, ref", (space, to_iso(now))
        )

    async def apply_signup(
        self, space: str, event_id: int, member: str, name: str, request: SignupRequest, now: datetime
    ) -> Change:
        """Sign up or change mode/antenna: load, decide and write in one transaction."""

        def op(conn: Connection) -> Change:
            decision = rules.apply_signup(_state_in(conn, space, event_id), member, name, request, now)
            upsert_member(conn, space, member, name, now)
            return _change(conn, decision, member, now)

        return await self.db.write(op)

    async def withdraw(self, space: str, event_id: int, member: str, now: datetime) -> Change:
        """Withdraw a member; the first waiting members move up in the same transaction."""

        def op(conn: Connection) -> Change:
            return _change(conn, rules.withdraw(_state_in(conn, space, event_id), member, now), member, now)

        return await self.db.write(op)

    async def confirm_offer(self, space: str, event_id: int, member: str, now: datetime) -> Change:
        """Turn an offered place into a confirmed one, if the offer still runs."""

        def op(conn: Connection) -> Change:
            return _change(conn, rules.confirm_offer(_state_in(conn, space, event_id), member, now), member, now)

        return await self.db.write(op)

    async def expire_offers(self, now: datetime) -> list[Change]:
        """Expire offers not confirmed in time, event by event; each place goes to the next in line."""

        def op(conn: Connection) -> list[Change]:
            due = conn.execute(
                "SELECT event_id FROM event_signups WHERE status = 'offered' AND offer_expires_at <= ?"
                " GROUP BY event_id ORDER BY MIN(offer_expires_at), event_id",
                (to_iso(now),),
            ).fetchall()
            return [
                _change(conn, rules.expire_offers(_state_in(conn, None, event_id), now), None, now)
                for (event_id,) in due
            ]

        return await self.db.write(op)

    async def next_offer_expiries(self) -> list[datetime]:
        """When pending offers expire."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT offer_expires_at FROM event_signups WHERE status = 'offered' AND offer_expires_at IS NOT NULL"
        )
        return [from_iso(row["offer_expires_at"]) for row in rows]  # type: ignore[misc]

    async def toggle_session(self, space: str, event_id: int, member: str, number: int, now: datetime) -> Change:
        """Choose a workshop or drop it: capacity and overlaps checked inside the transaction."""

        def op(conn: Connection) -> Change:
            decision = rules.toggle_session(_state_in(conn, space, event_id), member, number, now)
            return _change(conn, decision, member, now)

        return await self.db.write(op)

    async def signup(self, event_id: int, member: str) -> Signup | None:
        """A member's sign-up, with waitlist position and workshops."""
        found = [s for s in await self._signups(event_id, "AND s.member = ?", (member,))]
        return found[0] if found else None

    async def signups(self, event_id: int) -> list[Signup]:
        """Every sign-up of an event in arrival order."""
        return await self._signups(event_id, "", ())

    async def _signups(self, event_id: int, where: str, params: Sequence[Any]) -> list[Signup]:
        rows = await self.db.fetch_all(
            f"{SIGNUP_SELECT} WHERE s.event_id = ? {where} ORDER BY s.seq", (event_id, *params)
        )
        if not rows:
            return []
        positions = {
            row["id"]: row["position"]
            for row in await self.db.fetch_all(
                "SELECT id, position FROM event_waitlist WHERE event_id = ?", (event_id,)
            )
        }
        sessions = _choices_by_member(await self.db.fetch_all(CHOICES_SELECT, (event_id,)))
        signups: list[Signup] = []
        for start in range(0, len(rows), MAP_CHUNK):
            if start:  # a crowd's sign-ups are built over several turns of the loop: other members' clicks go between
                await asyncio.sleep(0)
            signups += [_signup(row, positions.get(row["id"]), sessions.get(row["member"], ()))
                        for row in rows[start : start + MAP_CHUNK]]  # fmt: skip
        return signups

    async def member_signups(self, space: str, member: str, now: datetime) -> list[tuple[Event, Signup]]:
        """A member's active sign-ups to events not yet ended, soonest first."""
        events = await self._events(
            "space = ? AND ends_at > ? AND id IN (SELECT event_id FROM event_signups WHERE space = ? AND member = ?"
            " AND status IN ('confirmed', 'offered', 'waitlisted')) ORDER BY starts_at",
            (space, to_iso(now), space, member),
        )
        found = []
        for event in events:
            signup = await self.signup(event.id, member)
            if signup is not None:
                found.append((event, signup))
        return found

    async def counts(self, event_id: int) -> Counts:
        """Places and waitlists per mode, antenna and workshop."""
        rows = await self.db.fetch_all(
            f"SELECT mode, COUNT(*) FILTER (WHERE status IN {HOLDING_SQL}) AS held,"
            " COUNT(*) FILTER (WHERE status = 'waitlisted') AS waiting"
            " FROM event_signups WHERE event_id = ? GROUP BY mode",
            (event_id,),
        )
        modes: dict[str, ModeCount] = {mode: ModeCount() for mode in MODES}
        modes.update({row["mode"]: ModeCount(row["held"], row["waiting"]) for row in rows})
        antenna_rows = await self.db.fetch_all(
            "SELECT a.id, a.space, a.name, a.region, a.host, a.channel, COUNT(s.id) AS n FROM event_antennas a"
            f" JOIN events e ON e.space = a.space AND e.id = ? LEFT JOIN event_signups s ON s.antenna_id = a.id"
            f" AND s.event_id = e.id AND s.status IN {HOLDING_SQL} GROUP BY a.id ORDER BY lower(a.name), a.id",
            (event_id,),
        )
        session_rows = await self.db.fetch_all(
            f"SELECT {', '.join('es.' + c.strip() for c in SESSION_COLUMNS.split(','))},"
            " COUNT(*) FILTER (WHERE c.status = 'confirmed') AS held,"
            " COUNT(*) FILTER (WHERE c.status = 'waitlisted') AS waiting"
            " FROM event_sessions es LEFT JOIN event_session_choices c ON c.session_id = es.id"
            " WHERE es.event_id = ? GROUP BY es.id ORDER BY es.number",
            (event_id,),
        )
        return Counts(
            modes,
            tuple((_antenna(row), row["n"]) for row in antenna_rows),
            tuple((_session(row), ModeCount(row["held"], row["waiting"])) for row in session_rows),
        )

    async def signup_moves(self, event_id: int) -> dict[tuple[str | None, str], int]:
        """How many sign-ups went from each status to each other (None: new sign-ups), as recorded."""
        rows = await self.db.fetch_all(
            "SELECT from_status, to_status, COUNT(*) AS n FROM event_signup_moves WHERE event_id = ?"
            " GROUP BY from_status, to_status",
            (event_id,),
        )
        return {(row["from_status"], row["to_status"]): row["n"] for row in rows}

    async def add_antenna(self, space: str, antenna: Antenna, now: datetime) -> Antenna:
        """Store a new antenna of a space; names are unique per space."""

        def op(conn: Connection) -> Antenna:
            # The only uniqueness an antenna has is its name in its space (whatever the case).
            row = conn.execute(
                "INSERT INTO event_antennas (space, name, region, host, channel, created_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING RETURNING id, space, name, region, host, channel",
                (space, antenna.name, antenna.region, antenna.host, antenna.channel, to_iso(now)),
            ).fetchone()
            if row is None:
                raise UserError("event.antenna_exists", field="name", name=antenna.name)
            return _antenna(row)

        return await self.db.write(op)

    async def get_antenna(self, antenna_id: int) -> Antenna | None:
        """An antenna by its id."""
        row = await self.db.fetch_one(
            "SELECT id, space, name, region, host, channel FROM event_antennas WHERE id = ?", (antenna_id,)
        )
        return None if row is None else _antenna(row)

    async def antennas(self, space: str) -> list[Antenna]:
        """The antennas of a space, by name."""
        rows = await self.db.fetch_all(
            "SELECT id, space, name, region, host, channel FROM event_antennas WHERE space = ?"
            " ORDER BY lower(name), id",
            (space,),
        )
        return [_antenna(row) for row in rows]

    async def add_session(self, event_id: int, space: str, draft: Session, now: datetime) -> Session:
        """Check a new workshop against its event and store it with the next number, in one transaction."""

        def op(conn: Connection) -> Session:
            event = _load_event(conn, event_id, lock=True)  # the next number is read below
            if event is None or event.space != space:
                raise UserError("event.not_found", ref=event_id)
            session = rules.check_workshop(event, draft, now)
            (number,) = conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM event_sessions WHERE event_id = ?", (event_id,)
            ).fetchone()
            row = conn.execute(
                "INSERT INTO event_sessions (event_id, space, number, title, starts_at, ends_at, room, capacity)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {SESSION_COLUMNS}",
                (event_id, space, number, session.title, to_iso(session.starts_at), to_iso(session.ends_at),
                 session.room, session.capacity),
            ).fetchone()  # fmt: skip
            return _session(row)

        return await self.db.write(op)

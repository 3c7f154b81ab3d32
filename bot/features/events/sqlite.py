"""Events, antennas, workshops and sign-ups in SQLite; every rule on places runs inside one write."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.core.errors import UserError
from bot.features.events.domain import (
    HOLDING,
    MODES,
    Antenna,
    Change,
    Counts,
    Event,
    EventDraft,
    Mode,
    ModeCount,
    Notice,
    Session,
    Signup,
    SignupRequest,
    decide_session,
    decide_signup,
    promoted_status,
)
from bot.store.sqlite.database import Database
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
SESSION_COLUMNS = "id, event_id, number, title, starts_at, ends_at, room, capacity"
CHOICES_SELECT = (
    "SELECT c.member, es.title, c.status FROM event_session_choices c"
    " JOIN event_sessions es ON es.id = c.session_id WHERE c.event_id = ? ORDER BY es.number"
)
HOLDING_SQL = "('confirmed', 'offered')"
Row = sqlite3.Row


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


def _draft_values(draft: EventDraft) -> tuple[Any, ...]:
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


def _signup(row: Row, position: int | None, sessions: Iterable[str] = ()) -> Signup:
    return Signup(
        event_id=row["event_id"], member=row["member"], name=row["name"], mode=row["mode"], status=row["status"],
        seq=row["seq"], signed_up_at=from_iso(row["signed_up_at"]),  # type: ignore[arg-type]
        antenna=row["antenna"], position=position, offer_expires_at=from_iso(row["offer_expires_at"]),
        answer=row["answer"], sessions=tuple(sessions),
    )  # fmt: skip


def _choice_label(title: str, status: str) -> str:
    return title if status == "confirmed" else f"{title} (waitlist)"


def _choices_by_member(rows: Iterable[Row]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["member"], []).append(_choice_label(row["title"], row["status"]))
    return found


# --- inside a write: sync helpers on the writer connection -------------------------------------


def _load_event(conn: sqlite3.Connection, event_id: int) -> Event | None:
    row = conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchone()
    return None if row is None else _event(row)


def _event_in(conn: sqlite3.Connection, space: str, event_id: int) -> Event:
    """The event, refused as not found when it belongs to another space."""
    event = _load_event(conn, event_id)
    if event is None or event.space != space:
        raise UserError("event.not_found", ref=event_id)
    return event


def _position(conn: sqlite3.Connection, event_id: int, mode: str, seq: int) -> int:
    (rank,) = conn.execute(
        "SELECT COUNT(*) FROM event_signups WHERE event_id = ? AND mode = ? AND status = 'waitlisted' AND seq <= ?",
        (event_id, mode, seq),
    ).fetchone()
    return int(rank)


def _read_signup(conn: sqlite3.Connection, event_id: int, member: str) -> Signup | None:
    row = conn.execute(f"{SIGNUP_SELECT} WHERE s.event_id = ? AND s.member = ?", (event_id, member)).fetchone()
    if row is None:
        return None
    position = _position(conn, event_id, row["mode"], row["seq"]) if row["status"] == "waitlisted" else None
    sessions = _choices_by_member(
        conn.execute(CHOICES_SELECT.replace("ORDER BY", "AND c.member = ? ORDER BY"), (event_id, member))
    )
    return _signup(row, position, sessions.get(member, ()))


def _next_seq(conn: sqlite3.Connection, table: str, column: str, value: int) -> int:
    (seq,) = conn.execute(f"SELECT COALESCE(MAX(seq), 0) + 1 FROM {table} WHERE {column} = ?", (value,)).fetchone()
    return int(seq)


def _taken(conn: sqlite3.Connection, event_id: int, mode: str, besides: str) -> int:
    (count,) = conn.execute(
        f"SELECT COUNT(*) FROM event_signups WHERE event_id = ? AND mode = ? AND status IN {HOLDING_SQL}"
        " AND member != ?",
        (event_id, mode, besides),
    ).fetchone()
    return int(count)


def _fill(conn: sqlite3.Connection, event: Event, mode: Mode, now: datetime) -> list[Notice]:
    """Move waiting members up, in arrival order, while the mode has free places."""
    notices: list[Notice] = []
    capacity = event.capacity(mode)
    while capacity is None or _taken(conn, event.id, mode, "") < capacity:
        row = conn.execute(
            f"{SIGNUP_SELECT} WHERE s.event_id = ? AND s.mode = ? AND s.status = 'waitlisted' ORDER BY s.seq LIMIT 1",
            (event.id, mode),
        ).fetchone()
        if row is None:
            break
        status, expires = promoted_status(event, now)
        conn.execute(
            "UPDATE event_signups SET status = ?, status_at = ?, offer_expires_at = ? WHERE id = ?",
            (status, to_iso(now), to_iso(expires), row["id"]),
        )
        notices.append(Notice("offered" if status == "offered" else "promoted", row["member"], row["name"], mode, expires_at=expires))
    return notices


def _load_session(conn: sqlite3.Connection, event_id: int, number: int) -> Session:
    row = conn.execute(
        f"SELECT {SESSION_COLUMNS} FROM event_sessions WHERE event_id = ? AND number = ?", (event_id, number)
    ).fetchone()
    if row is None:
        raise UserError("event.session_not_found", number=number)
    return _session(row)


def _fill_session(conn: sqlite3.Connection, session: Session, mode: Mode) -> list[Notice]:
    """Move members waiting for a workshop up, in arrival order, while it has room."""
    notices: list[Notice] = []
    while True:
        (taken,) = conn.execute(
            "SELECT COUNT(*) FROM event_session_choices WHERE session_id = ? AND status = 'confirmed'", (session.id,)
        ).fetchone()
        if session.capacity is not None and taken >= session.capacity:
            break
        row = conn.execute(
            "SELECT c.member, COALESCE(m.name, c.member) AS name FROM event_session_choices c"
            " LEFT JOIN members m ON m.space = c.space AND m.member = c.member"
            " WHERE c.session_id = ? AND c.status = 'waitlisted' ORDER BY c.seq LIMIT 1",
            (session.id,),
        ).fetchone()
        if row is None:
            break
        conn.execute(
            "UPDATE event_session_choices SET status = 'confirmed' WHERE session_id = ? AND member = ?",
            (session.id, row["member"]),
        )
        notices.append(Notice("session", row["member"], row["name"], mode, session=session.title))
    return notices


def _drop_sessions(conn: sqlite3.Connection, event: Event, member: str, mode: Mode) -> list[Notice]:
    """Give up a member's workshops (they no longer hold a place) and fill them."""
    rows = conn.execute(
        f"SELECT es.{SESSION_COLUMNS.replace(', ', ', es.')}, c.status AS choice FROM event_session_choices c"
        " JOIN event_sessions es ON es.id = c.session_id WHERE c.event_id = ? AND c.member = ?",
        (event.id, member),
    ).fetchall()
    conn.execute("DELETE FROM event_session_choices WHERE event_id = ? AND member = ?", (event.id, member))
    notices: list[Notice] = []
    for row in rows:
        if row["choice"] == "confirmed":
            notices += _fill_session(conn, _session(row), mode)
    return notices


def _release(
    conn: sqlite3.Connection, event: Event, before: Signup, status: str, now: datetime, keep_sessions: bool = False
) -> list[Notice]:
    """Set a member's new status after they leave a place or a queue, and fill what they left."""
    conn.execute(
        "UPDATE event_signups SET status = ?, status_at = ?, offer_expires_at = NULL WHERE event_id = ? AND member = ?",
        (status, to_iso(now), event.id, before.member),
    )
    notices = [] if keep_sessions else _drop_sessions(conn, event, before.member, before.mode)
    if before.holds_place:
        notices += _fill(conn, event, before.mode, now)
    return notices


class SqliteEventStore:
    """EventStore on the embedded database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_event(
        self, space: str, channel: str, author: str, timezone: str, draft: EventDraft, now: datetime
    ) -> Event:
        """Store a new event with the next short reference of its space."""

        def op(conn: sqlite3.Connection) -> Event:
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

        def op(conn: sqlite3.Connection) -> Change:
            assignments = ", ".join(f"{column.strip()} = ?" for column in DRAFT_COLUMNS.split(","))
            conn.execute(
                f"UPDATE events SET {assignments}, updated_at = ? WHERE id = ?",
                (*_draft_values(draft), to_iso(now), event_id),
            )
            event = _load_event(conn, event_id)
            assert event is not None
            notices = [notice for mode in MODES for notice in _fill(conn, event, mode, now)]
            return Change(event, None, tuple(notices))

        return await self.db.write(op)

    async def cancel_event(self, event_id: int, now: datetime) -> Event | None:
        """Mark an event cancelled; None when it already was."""

        def op(conn: sqlite3.Connection) -> Event | None:
            changed = conn.execute(
                "UPDATE events SET cancelled_at = ?, updated_at = ? WHERE id = ? AND cancelled_at IS NULL",
                (to_iso(now), to_iso(now), event_id),
            ).rowcount
            return _load_event(conn, event_id) if changed else None

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

    async def apply_signup(
        self, space: str, event_id: int, member: str, name: str, request: SignupRequest, now: datetime
    ) -> Change:
        """Sign up or change mode/antenna: count, decide and write in one transaction."""

        def op(conn: sqlite3.Connection) -> Change:
            event = _event_in(conn, space, event_id)
            current = _read_signup(conn, event_id, member)
            status = decide_signup(event, current, request, _taken(conn, event_id, request.mode, member), now)
            upsert_member(conn, space, member, name, now)
            notices: list[Notice] = []
            if current is None:
                conn.execute(
                    "INSERT INTO event_signups (event_id, space, member, mode, antenna_id, status, seq, answer,"
                    " signed_up_at, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (event_id, space, member, request.mode, request.antenna_id, status,
                     _next_seq(conn, "event_signups", "event_id", event_id), request.answer or "",
                     to_iso(now), to_iso(now)),
                )  # fmt: skip
            elif current.active and current.mode == request.mode:
                conn.execute(
                    "UPDATE event_signups SET antenna_id = ?, answer = COALESCE(?, answer)"
                    " WHERE event_id = ? AND member = ?",
                    (request.antenna_id, request.answer, event_id, member),
                )
            else:
                if current.active:  # a change of mode: what they leave goes to the next in line
                    notices = _release(conn, event, current, "withdrawn", now, keep_sessions=status in HOLDING)
                conn.execute(
                    "UPDATE event_signups SET mode = ?, antenna_id = ?, status = ?, seq = ?, status_at = ?,"
                    " offer_expires_at = NULL, answer = COALESCE(?, answer),"
                    " signed_up_at = CASE WHEN ? THEN signed_up_at ELSE ? END WHERE event_id = ? AND member = ?",
                    (request.mode, request.antenna_id, status, _next_seq(conn, "event_signups", "event_id", event_id),
                     to_iso(now), request.answer, int(current.active), to_iso(now), event_id, member),
                )  # fmt: skip
            return Change(event, _read_signup(conn, event_id, member), tuple(notices))

        return await self.db.write(op)

    async def withdraw(self, space: str, event_id: int, member: str, now: datetime) -> Change:
        """Withdraw a member; the first waiting members move up in the same transaction."""

        def op(conn: sqlite3.Connection) -> Change:
            event = _event_in(conn, space, event_id)
            if event.cancelled_at is not None:
                raise UserError("event.cancelled", ref=event.ref)
            current = _read_signup(conn, event_id, member)
            if current is None or not current.active:
                raise UserError("event.not_signed_up", ref=event.ref)
            notices = _release(conn, event, current, "withdrawn", now)
            return Change(event, _read_signup(conn, event_id, member), tuple(notices))

        return await self.db.write(op)

    async def confirm_offer(self, space: str, event_id: int, member: str, now: datetime) -> Change:
        """Turn an offered place into a confirmed one, if the offer still runs."""

        def op(conn: sqlite3.Connection) -> Change:
            event = _event_in(conn, space, event_id)
            changed = conn.execute(
                "UPDATE event_signups SET status = 'confirmed', status_at = ?, offer_expires_at = NULL"
                " WHERE event_id = ? AND member = ? AND status = 'offered' AND offer_expires_at > ?",
                (to_iso(now), event_id, member, to_iso(now)),
            ).rowcount
            if not changed:
                raise UserError("event.no_offer", ref=event.ref)
            return Change(event, _read_signup(conn, event_id, member))

        return await self.db.write(op)

    async def expire_offers(self, now: datetime) -> list[Change]:
        """Expire offers not confirmed in time; each place goes to the next in line."""

        def op(conn: sqlite3.Connection) -> list[Change]:
            due = conn.execute(
                "SELECT event_id, member FROM event_signups WHERE status = 'offered' AND offer_expires_at <= ?"
                " ORDER BY offer_expires_at, seq",
                (to_iso(now),),
            ).fetchall()
            changes = []
            for event_id, member in due:
                event = _load_event(conn, event_id)
                before = _read_signup(conn, event_id, member)
                assert event is not None and before is not None
                notices = [Notice("expired", member, before.name, before.mode)]
                notices += _release(conn, event, before, "expired", now)
                changes.append(Change(event, _read_signup(conn, event_id, member), tuple(notices)))
            return changes

        return await self.db.write(op)

    async def next_offer_expiries(self) -> list[datetime]:
        """When pending offers expire."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT offer_expires_at FROM event_signups WHERE status = 'offered' AND offer_expires_at IS NOT NULL"
        )
        return [from_iso(row["offer_expires_at"]) for row in rows]  # type: ignore[misc]

    async def toggle_session(self, space: str, event_id: int, member: str, number: int, now: datetime) -> Change:
        """Choose a workshop or drop it: capacity and overlaps checked inside the transaction."""

        def op(conn: sqlite3.Connection) -> Change:
            event = _event_in(conn, space, event_id)
            event.check_open(now)
            session = _load_session(conn, event_id, number)
            signup = _read_signup(conn, event_id, member)
            existing = conn.execute(
                "SELECT status FROM event_session_choices WHERE session_id = ? AND member = ?", (session.id, member)
            ).fetchone()
            if existing is not None:
                conn.execute(
                    "DELETE FROM event_session_choices WHERE session_id = ? AND member = ?", (session.id, member)
                )
                mode: Mode = signup.mode if signup else "onsite"
                notices = _fill_session(conn, session, mode) if existing["status"] == "confirmed" else []
                return Change(event, _read_signup(conn, event_id, member), tuple(notices), session, None)
            mine = [
                _session(row)
                for row in conn.execute(
                    f"SELECT {SESSION_COLUMNS} FROM event_sessions WHERE id IN"
                    " (SELECT session_id FROM event_session_choices WHERE event_id = ? AND member = ?)",
                    (event_id, member),
                )
            ]
            (taken,) = conn.execute(
                "SELECT COUNT(*) FROM event_session_choices WHERE session_id = ? AND status = 'confirmed'",
                (session.id,),
            ).fetchone()
            status = decide_session(signup, session, mine, taken)
            conn.execute(
                "INSERT INTO event_session_choices (session_id, event_id, space, member, status, seq, chosen_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session.id, event_id, space, member, status,
                 _next_seq(conn, "event_session_choices", "session_id", session.id), to_iso(now)),
            )  # fmt: skip
            return Change(event, _read_signup(conn, event_id, member), (), session, status)

        return await self.db.write(op)

    async def signup(self, event_id: int, member: str) -> Signup | None:
        """A member's sign-up, with waitlist position and workshops."""
        found = [s for s in await self._signups(event_id, "AND s.member = ?", (member,))]
        return found[0] if found else None

    async def signups(self, event_id: int) -> list[Signup]:
        """Every sign-up of an event in arrival order."""
        return await self._signups(event_id, "", ())

    async def _signups(self, event_id: int, where: str, params: Sequence[Any]) -> list[Signup]:
        rows = await self.db.fetch_all(f"{SIGNUP_SELECT} WHERE s.event_id = ? {where} ORDER BY s.seq", (event_id, *params))
        if not rows:
            return []
        positions = {
            row["id"]: row["position"]
            for row in await self.db.fetch_all("SELECT id, position FROM event_waitlist WHERE event_id = ?", (event_id,))
        }
        sessions = _choices_by_member(await self.db.fetch_all(CHOICES_SELECT, (event_id,)))
        return [_signup(row, positions.get(row["id"]), sessions.get(row["member"], ())) for row in rows]

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
            f"SELECT mode, SUM(status IN {HOLDING_SQL}) AS held, SUM(status = 'waitlisted') AS waiting"
            " FROM event_signups WHERE event_id = ? GROUP BY mode",
            (event_id,),
        )
        modes: dict[str, ModeCount] = {mode: ModeCount() for mode in MODES}
        modes.update({row["mode"]: ModeCount(row["held"], row["waiting"]) for row in rows})
        antenna_rows = await self.db.fetch_all(
            "SELECT a.id, a.space, a.name, a.region, a.host, a.channel, COUNT(s.id) AS n FROM event_antennas a"
            f" JOIN events e ON e.space = a.space AND e.id = ? LEFT JOIN event_signups s ON s.antenna_id = a.id"
            f" AND s.event_id = e.id AND s.status IN {HOLDING_SQL} GROUP BY a.id ORDER BY a.name COLLATE NOCASE",
            (event_id,),
        )
        session_rows = await self.db.fetch_all(
            f"SELECT {', '.join('es.' + c.strip() for c in SESSION_COLUMNS.split(','))},"
            " COALESCE(SUM(c.status = 'confirmed'), 0) AS held, COALESCE(SUM(c.status = 'waitlisted'), 0) AS waiting"
            " FROM event_sessions es LEFT JOIN event_session_choices c ON c.session_id = es.id"
            " WHERE es.event_id = ? GROUP BY es.id ORDER BY es.number",
            (event_id,),
        )
        return Counts(
            modes,
            tuple((_antenna(row), row["n"]) for row in antenna_rows),
            tuple((_session(row), ModeCount(row["held"], row["waiting"])) for row in session_rows),
        )

    async def add_antenna(self, space: str, antenna: Antenna, now: datetime) -> Antenna:
        """Store a new antenna of a space; names are unique per space."""

        def op(conn: sqlite3.Connection) -> Antenna:
            try:
                row = conn.execute(
                    "INSERT INTO event_antennas (space, name, region, host, channel, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id, space, name, region, host, channel",
                    (space, antenna.name, antenna.region, antenna.host, antenna.channel, to_iso(now)),
                ).fetchone()
            except sqlite3.IntegrityError:
                raise UserError("event.antenna_exists", field="name", name=antenna.name) from None
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
            " ORDER BY name COLLATE NOCASE",
            (space,),
        )
        return [_antenna(row) for row in rows]

    async def add_session(self, event_id: int, space: str, session: Session) -> Session:
        """Store a new workshop with the next number of its event."""

        def op(conn: sqlite3.Connection) -> Session:
            (number,) = conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM event_sessions WHERE event_id = ?", (event_id,)
            ).fetchone()
            row = conn.execute(
                "INSERT INTO event_sessions (event_id, space, number, title, starts_at, ends_at, room, capacity)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {SESSION_COLUMNS}",
                (event_id, space, number, session.title.strip(), to_iso(session.starts_at), to_iso(session.ends_at),
                 session.room, session.capacity),
            ).fetchone()  # fmt: skip
            return _session(row)

        return await self.db.write(op)

    async def sessions(self, event_id: int) -> list[Session]:
        """The workshops of an event, by number."""
        rows = await self.db.fetch_all(
            f"SELECT {SESSION_COLUMNS} FROM event_sessions WHERE event_id = ? ORDER BY number", (event_id,)
        )
        return [_session(row) for row in rows]

    async def record_notice(
        self, event_id: int, space: str, member: str, kind: str, delivered: bool, now: datetime
    ) -> None:
        """Remember a notice and whether it arrived."""

        def op(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO event_notices (event_id, space, member, kind, delivered, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (event_id, space, member, kind, int(delivered), to_iso(now)),
            )

        await self.db.write(op)

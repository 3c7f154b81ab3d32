"""Small helpers shared by the SQLite repositories."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store.database import Connection


def to_iso(moment: datetime | None) -> str | None:
    """Store instants as UTC ISO-8601 text, which sorts in time order."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str | None) -> datetime | None:
    """Read back an instant stored by `to_iso`."""
    return None if text is None else datetime.fromisoformat(text)


def next_ref(conn: Connection, space: str, kind: str) -> int:
    """The next short reference (#1, #2, …) of a kind in a space."""
    (value,) = conn.execute(
        "INSERT INTO counters (space, kind, value) VALUES (?, ?, 1)"
        " ON CONFLICT (space, kind) DO UPDATE SET value = counters.value + 1 RETURNING value",
        (space, kind),
    ).fetchone()
    return int(value)


def upsert_member(conn: Connection, space: str, member: str, name: str, now: datetime) -> None:
    """Remember a member's display name as last seen."""
    conn.execute(
        "INSERT INTO members (space, member, name, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (space, member) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at"
        " WHERE members.name != excluded.name",
        (space, member, name, to_iso(now)),
    )

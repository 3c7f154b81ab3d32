"""Large databases for bench/scale.py, built fast with bulk inserts of base rows only.

Rows are written in the schema of `BASE_VERSION`, then the app's own `migrate` applies every later
migration: whatever those derive from the base rows (running counts, maintained columns, indexes) is
filled the way a real database upgrading to them would be, so the same builder serves before and after.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)

from bot.feature import migration_folders
from bot.features import FEATURES
from bot.store.sqlite.database import connect, migrate, migrations, statements
from bot.store.sqlite.rows import to_iso
from tests.helpers import SPACE, START

# The schema the inserts below are written for (every base table exists by then). Never raise it
# without rewriting the inserts: later versions reach the rows through their migrations instead.
BASE_VERSION = 13

AUTHOR = "console:alice"
CHANNEL = "general"
OPTIONS = ("Lundi", "Mardi", "Jeudi", "Vendredi")
TIMEZONE = "Europe/Paris"
EVENT_STARTS = START + timedelta(days=10)  # the fan-out's event; its 7-day reminder falls due 3 days after START
# An idea's text is four of these and its number.
WORDS = ("atelier", "cuisine", "jardin", "partagé", "covoiturage", "bibliothèque", "café", "réparation", "vélo",
         "musique", "cinéma", "débat", "randonnée", "compost", "solaire", "troc", "école", "marché",
         "fresque", "théâtre", "conte", "jeux", "potager", "recyclage", "entraide")  # fmt: skip

Fill = Callable[[sqlite3.Connection], None]


def build(path: Path, fill: Fill) -> float:
    """A database at `path` with `fill`'s rows in the base schema, then migrated to the app's; seconds taken."""
    started = time.perf_counter()
    conn = connect(path)
    try:
        _base_schema(conn)
        conn.execute("BEGIN")
        fill(conn)
        conn.execute("COMMIT")
        migrate(conn, migration_folders(FEATURES))  # later migrations derive what they keep from these rows
    finally:
        conn.close()
    return time.perf_counter() - started


def _base_schema(conn: sqlite3.Connection) -> None:
    """Apply the app's migrations up to BASE_VERSION, as `migrate` would (one transaction per version)."""
    for version, script in migrations(migration_folders(FEATURES)):
        if version > BASE_VERSION:
            return
        conn.execute("BEGIN")
        for statement in statements(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version={version}")
        conn.execute("COMMIT")


def _instants(start: datetime, step: timedelta, count: int) -> Iterator[str]:
    """`count` stored instants from `start`, `step` apart."""
    return (to_iso(start + step * i) or "" for i in range(count))


# ---------------------------------------------------------------- polls


def poll_with_votes(votes: int) -> Fill:
    """Poll #1 (open, live results, named voters, four options) with `votes` voters choosing one option each."""

    def fill(conn: sqlite3.Connection) -> None:
        created = to_iso(START - timedelta(days=1))
        conn.execute(
            "INSERT INTO polls (id, space, ref, channel, author, question, max_choices, anonymous, results, created_at)"
            " VALUES (1, ?, 1, ?, ?, 'Quel jour pour la journée des membres ?', 1, 0, 'live', ?)",
            (SPACE, CHANNEL, AUTHOR, created),
        )
        conn.execute("INSERT INTO counters (space, kind, value) VALUES (?, 'poll', 1)", (SPACE,))
        conn.executemany(
            "INSERT INTO poll_options (poll_id, position, label) VALUES (1, ?, ?)", list(enumerate(OPTIONS))
        )
        conn.executemany(
            "INSERT INTO members (space, member, name, updated_at) VALUES (?, ?, ?, ?)",
            ((SPACE, f"console:v{i}", f"Votant {i}", created) for i in range(votes)),
        )
        weights = random.Random(1).choices(range(len(OPTIONS)), weights=(5, 3, 2, 1), k=votes)  # an uneven race
        when = _instants(START - timedelta(hours=20), timedelta(milliseconds=50), votes)
        conn.executemany(
            "INSERT INTO votes (poll_id, voter, position, voted_at) VALUES (1, ?, ?, ?)",
            ((f"console:v{i}", position, at) for i, (position, at) in enumerate(zip(weights, when, strict=True))),
        )

    return fill


# ---------------------------------------------------------------- ideas


def wall_with_ideas(ideas: int) -> Fill:
    """The default wall with `ideas` ideas (one in ten anonymous) and 0-7 likes each, 3.5 on average."""

    def fill(conn: sqlite3.Connection) -> None:
        opened = START - timedelta(days=60)
        conn.execute(
            "INSERT INTO idea_walls (id, space, ref, channel, prompt, is_default, created_at)"
            " VALUES (1, ?, 0, ?, '', 1, ?)",
            (SPACE, CHANNEL, to_iso(opened)),
        )
        conn.execute("INSERT INTO counters (space, kind, value) VALUES (?, 'idea', ?)", (SPACE, ideas))
        authors = max(1, ideas // 3)
        conn.executemany(
            "INSERT INTO members (space, member, name, updated_at) VALUES (?, ?, ?, ?)",
            ((SPACE, f"console:a{i}", f"Autrice {i}", to_iso(opened)) for i in range(authors)),
        )
        words = random.Random(2)
        when = list(_instants(opened, timedelta(seconds=30), ideas))
        conn.executemany(
            "INSERT INTO ideas (id, space, ref, wall_id, channel, author, anonymous, text, created_at, updated_at)"
            " VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
            (
                (n, SPACE, n, CHANNEL, f"console:a{n % authors}", int(n % 10 == 0),
                 " ".join(words.sample(WORDS, 4)) + f" n°{n}", when[n - 1], when[n - 1])
                for n in range(1, ideas + 1)
            ),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO idea_status_history (idea_id, status, changed_by, changed_at) VALUES (?, 'new', ?, ?)",
            ((n, f"console:a{n % authors}", when[n - 1]) for n in range(1, ideas + 1)),
        )
        conn.executemany(
            "INSERT INTO idea_likes (idea_id, member, liked_at) VALUES (?, ?, ?)",
            ((n, f"console:l{j}", when[n - 1]) for n in range(1, ideas + 1) for j in range(n * 7 % 8)),
        )

    return fill


# ---------------------------------------------------------------- events


def _event_rows(count: int, first: datetime, apart: timedelta, capacity: int) -> Iterator[tuple[object, ...]]:
    """Rows of `count` events of two hours, `apart` from one another."""
    created = to_iso(START - timedelta(days=30))
    for n in range(1, count + 1):
        starts = first + apart * (n - 1)
        yield (n, SPACE, n, CHANNEL, AUTHOR, TIMEZONE, f"Journée {n}", to_iso(starts),
               to_iso(starts + timedelta(hours=2)), capacity, created, created)  # fmt: skip


def _insert_events(conn: sqlite3.Connection, rows: Iterator[tuple[object, ...]], count: int) -> None:
    """Insert event rows and move the space's event counter past them."""
    conn.executemany(
        "INSERT INTO events (id, space, ref, channel, author, timezone, title, starts_at, ends_at,"
        " onsite_capacity, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.execute("INSERT INTO counters (space, kind, value) VALUES (?, 'event', ?)", (SPACE, count))


def _signups(conn: sqlite3.Connection, pairs: Iterator[tuple[int, int]]) -> None:
    """Confirmed on-site sign-ups of (event id, member number) pairs, each event's in arrival order."""
    signed = to_iso(START - timedelta(days=2))
    conn.executemany(
        "INSERT INTO event_signups (event_id, space, member, mode, status, seq, signed_up_at, status_at)"
        " VALUES (?, ?, ?, 'onsite', 'confirmed', ?, ?, ?)",
        ((event, SPACE, f"console:s{who}", seq, signed, signed) for seq, (event, who) in enumerate(pairs, 1)),
    )


def _signup_members(conn: sqlite3.Connection, count: int) -> None:
    """Display names of members console:s0 … s<count-1>."""
    seen = to_iso(START - timedelta(days=2))
    conn.executemany(
        "INSERT INTO members (space, member, name, updated_at) VALUES (?, ?, ?, ?)",
        ((SPACE, f"console:s{i}", f"Membre {i}", seen) for i in range(count)),
    )


def many_events(events: int) -> Fill:
    """`events` upcoming events, 37 minutes apart from 8 days after START, two sign-ups each (none planned yet)."""

    def fill(conn: sqlite3.Connection) -> None:
        _insert_events(conn, _event_rows(events, START + timedelta(days=8), timedelta(minutes=37), 30), events)
        _signup_members(conn, 500)
        _signups(conn, ((n, (2 * n + k) % 500) for n in range(1, events + 1) for k in range(2)))

    return fill


def crowded_event(recipients: int) -> Fill:
    """One event starting at EVENT_STARTS with `recipients` confirmed members (none planned yet)."""

    def fill(conn: sqlite3.Connection) -> None:
        _insert_events(conn, _event_rows(1, EVENT_STARTS, timedelta(0), recipients), 1)
        _signup_members(conn, recipients)
        _signups(conn, ((1, i) for i in range(recipients)))

    return fill

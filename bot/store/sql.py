"""The little SQL the stores cannot write once for both databases: locks for rules that read before they write.

A store's write op reads rows, lets a rule decide, then writes the difference. On SQLite the writer holds the
whole database from BEGIN IMMEDIATE to COMMIT, in every process, so what the op read stays current until it
commits and these helpers do nothing. On PostgreSQL under READ COMMITTED another process's transaction may
change those rows meanwhile (two sign-ups each seeing the last free place): the op locks what it decides on.
"""

from __future__ import annotations

import sqlite3

from bot.store.database import Connection


def for_update(conn: Connection) -> str:
    """` FOR UPDATE` after a SELECT whose rows the op decides on (held until it commits); nothing on SQLite."""
    return "" if isinstance(conn, sqlite3.Connection) else " FOR UPDATE"


def lock(conn: Connection, key: str) -> None:
    """Hold a lock named `key` until the transaction ends: for a rule over rows that may not exist yet."""
    if not isinstance(conn, sqlite3.Connection):
        # A transaction-level advisory lock: released by COMMIT or ROLLBACK, never left behind by a crash.
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))

"""The little SQL the stores cannot write once for both databases: locks for rules that read before they write,
and claims of sends that several processes share.

A store's write op reads rows, lets a rule decide, then writes the difference. On SQLite the writer holds the
whole database from BEGIN IMMEDIATE to COMMIT, in every process, so what the op read stays current until it
commits and these helpers do nothing. On PostgreSQL under READ COMMITTED another process's transaction may
change those rows meanwhile (two sign-ups each seeing the last free place): the op locks what it decides on.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable

from bot.store.database import Connection


def for_update(conn: Connection) -> str:
    """` FOR UPDATE` after a SELECT whose rows the op decides on (held until it commits); nothing on SQLite."""
    return "" if isinstance(conn, sqlite3.Connection) else " FOR UPDATE"


def lock(conn: Connection, key: str) -> None:
    """Hold a lock named `key` until the transaction ends: for a rule over rows that may not exist yet."""
    if not isinstance(conn, sqlite3.Connection):
        # A transaction-level advisory lock: released by COMMIT or ROLLBACK, never left behind by a crash.
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))


def lock_all(conn: Connection, keys: Iterable[str]) -> None:
    """`lock` every key, in the order given, with one statement; nothing on SQLite (`keys` is not even read)."""
    if not isinstance(conn, sqlite3.Connection):
        # Volatile calls of a select list run after its sort (PostgreSQL 9.6 and later): the locks are taken
        # in the order given, so two transactions locking sorted keys never wait on each other.
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0))"
            " FROM unnest(CAST(? AS TEXT[])) WITH ORDINALITY AS t(k, i) ORDER BY i",
            (list(keys),),
        )


def skip_locked(conn: Connection) -> str:
    """` FOR UPDATE SKIP LOCKED` after a SELECT of rows to claim: rows another process is claiming are left to it."""
    return "" if isinstance(conn, sqlite3.Connection) else " FOR UPDATE SKIP LOCKED"


def claimant(conn: Connection) -> str:
    """The SQL value a claim is stamped with: the claiming process's writer session (its process id on SQLite)."""
    # On PostgreSQL the writer's server session lives exactly as long as the process's hold on the database:
    # a killed process's session ends with its socket, so the stamp says whether the claimer is still there.
    return str(os.getpid()) if isinstance(conn, sqlite3.Connection) else "pg_backend_pid()"


def claimant_gone(conn: Connection, column: str = "claimed_by") -> str:
    """A condition true when the claim stamped in `column` was made by a process that is no longer running."""
    if isinstance(conn, sqlite3.Connection):
        return "1 = 1"  # one process per file (its lock): whatever is left claimed, a stopped run left
    # Unstamped claims predate stamping: a stopped run of an older version left them.
    return f"({column} IS NULL OR {column} NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL))"

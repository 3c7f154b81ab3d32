"""One SQLite database: a group-committing writer and an aiosqlite reader, migrations at open."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.store.database import Outcome, runs
from bot.store.group_commit import Batch, GroupCommit

T = TypeVar("T")
WriteOp = Callable[[sqlite3.Connection], T]

log = logging.getLogger(__name__)

WAL_SWITCH_TIMEOUT = 5.0  # seconds, as the busy timeout
PRAGMAS = (
    # NORMAL in WAL mode: a commit survives the process being killed; only a power cut
    # can lose the last transactions. `synchronous = "full"` in config trades speed for that.
    "PRAGMA synchronous={synchronous}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)


SHARED_MIGRATIONS = resources.files("bot.store") / "migrations"


def migrations(folders: Sequence[Traversable] = ()) -> list[tuple[int, str]]:
    """The numbered scripts of the shared folder and of `folders` (each feature's), one script per version.

    A version may be spread over several files (`0001_core.sql`, `0001_polls.sql`): they are
    joined in name order and applied as one transaction, as they were when they were one file.
    """
    scripts: dict[int, list[tuple[str, str]]] = {}
    for folder in (SHARED_MIGRATIONS, *folders):
        for entry in folder.iterdir():
            name = entry.name
            if name.endswith(".sql") and name[:4].isdigit():
                scripts.setdefault(int(name[:4]), []).append((name, entry.read_text(encoding="utf-8")))
    return [(version, "\n".join(text for _, text in sorted(parts))) for version, parts in sorted(scripts.items())]


class WriterConnection(sqlite3.Connection):
    """The writer's connection: it remembers whether the transaction being written recorded notices."""

    wrote_notices = False


def connect(
    path: str | Path, synchronous: str = "NORMAL", factory: type[sqlite3.Connection] = sqlite3.Connection
) -> sqlite3.Connection:
    """A sqlite3 connection in autocommit mode with the project's pragmas."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, factory=factory)
    conn.row_factory = sqlite3.Row
    _use_wal(conn)
    for pragma in PRAGMAS:
        conn.execute(pragma.format(synchronous=synchronous))
    return conn


def statements(script: str) -> list[str]:
    """The complete SQL statements of a script, in order (triggers kept whole)."""
    found, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    if pending.strip():
        found.append(pending.strip())
    return found


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL, retrying while another process switches it at the same moment."""
    # Changing the journal mode answers "database is locked" at once, without waiting for the
    # busy timeout, when another connection is doing the same on a fresh file.
    deadline = time.monotonic() + WAL_SWITCH_TIMEOUT
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def migrate(conn: sqlite3.Connection, folders: Sequence[Traversable] = ()) -> int:
    """Apply the migrations the database lacks, each in its own transaction; return the version."""
    current = 0
    for version, script in migrations(folders):
        # The version is read under the write lock: another process migrating the same
        # file at the same moment either finished this step already or waits for us.
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > current:
                log.info("applying migration %04d", version)
                for statement in statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={version}")
                current = version
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return current


class Database(GroupCommit[sqlite3.Connection]):
    """Writes go through group commit on one connection; reads use a separate aiosqlite one."""

    def __init__(self, path: str | Path, synchronous: str = "NORMAL", migrations: Sequence[Traversable] = ()) -> None:
        self.path = str(path)
        self._migrations = migrations
        self._synchronous = synchronous
        self._writer: sqlite3.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        super().__init__("phosphore-db-writer")

    async def open(self) -> None:
        """Open both connections, apply migrations and start the committer."""
        loop = asyncio.get_running_loop()
        try:
            self._writer = await loop.run_in_executor(self._executor, self._open_writer)
            self._reader = await aiosqlite.connect(self.path)
            self._reader.row_factory = sqlite3.Row
            await self._reader.execute("PRAGMA busy_timeout=5000")
        except BaseException:
            await self.close()  # a half-open database keeps threads that would stop the process exiting
            raise

    async def open_read_only(self) -> int:
        """Open the reader alone on an existing file, which nothing can then change; its schema version."""
        # mode=ro: no migration, no journal mode switch, no write can happen through this handle.
        uri = f"{Path(self.path).resolve().as_uri()}?mode=ro"
        self._reader = await aiosqlite.connect(uri, uri=True)
        try:
            self._reader.row_factory = sqlite3.Row
            await self._reader.execute("PRAGMA busy_timeout=5000")
            row = await self.fetch_one("PRAGMA user_version")
        except BaseException:
            await self.close()
            raise
        return row[0] if row else 0

    def _open_writer(self) -> sqlite3.Connection:
        conn = connect(self.path, self._synchronous, WriterConnection)
        migrate(conn, self._migrations)
        return conn

    async def close(self) -> None:
        """Finish pending writes, then close everything."""
        await self._idle.wait()
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await asyncio.get_running_loop().run_in_executor(self._executor, writer.close)
        self._executor.shutdown(wait=True)

    def _run_batch(self, ops: Sequence[WriteOp[Any]]) -> Batch:
        """Run the ops in one transaction; one failing op spares the others."""
        conn = self._writer
        assert isinstance(conn, WriterConnection), "database is not open"
        conn.wrote_notices = False
        conn.execute("BEGIN IMMEDIATE")
        try:
            outcomes = _run_together(conn, ops)
            if outcomes is None:  # an op failed after changing rows: start again, each op in a savepoint
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                conn.wrote_notices = False
                conn.execute("BEGIN IMMEDIATE")
                outcomes = _run_isolated(conn, ops)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self.commits += 1
        # An op that recorded notices and then failed leaves the flag up: one needless look, no harm.
        return outcomes, conn.wrote_notices

    async def read_apart(self, read: Callable[[sqlite3.Connection], T]) -> T:
        """`read(conn)` in a worker thread, on a read-only connection of its own, inside one read transaction.

        For long reads (exports): neither the event loop nor the shared reader waits for them,
        and everything they read comes from the same snapshot.
        """
        return await asyncio.to_thread(self._read_apart, read)

    def _read_apart(self, read: Callable[[sqlite3.Connection], T]) -> T:
        uri = f"{Path(self.path).resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("BEGIN")  # one snapshot for every statement of `read`
            try:
                return read(conn)
            finally:
                conn.execute("ROLLBACK")
        finally:
            conn.close()

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query."""
        assert self._reader is not None, "database is not open"
        # Statement and fetch in one call on the reader thread: a statement left open between
        # two hops would pin its snapshot, and another read run meanwhile would share it.
        return list(await self._reader.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """The first row of a read-only query, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None


def _run_together(conn: sqlite3.Connection, ops: Sequence[WriteOp[Any]]) -> list[Outcome] | None:
    """The ops' outcomes without savepoints; None if one failed after changing rows (the rest is then unknown)."""
    # Two statements per op saved. A refusal (a rule's UserError) changes nothing and is
    # answered as it stands; the rare failure that leaves changes behind costs a replay.
    outcomes: list[Outcome] = []
    for run, group in runs(ops):
        before = conn.total_changes
        try:
            if run is not None:
                outcomes.extend(run(conn, [op.item for op in group]))
                continue
            outcomes.append((True, group[0](conn)))
        except Exception as error:
            if run is not None or conn.total_changes != before or not conn.in_transaction:
                return None
            outcomes.append((False, error))
    return outcomes


def _run_isolated(conn: sqlite3.Connection, ops: Sequence[WriteOp[Any]]) -> list[Outcome]:
    """The ops' outcomes, each op in its own savepoint so that its failure undoes only its own changes."""
    outcomes: list[Outcome] = []
    for op in ops:
        conn.execute("SAVEPOINT op")
        try:
            outcomes.append((True, op(conn)))
        except Exception as error:
            conn.execute("ROLLBACK TO op")
            outcomes.append((False, error))
        conn.execute("RELEASE op")
    return outcomes

"""One PostgreSQL database: a group-committing writer thread and a pool of async readers, migrations at open.

The writer runs the same synchronous `op(conn)` the SQLite store runs: `conn` wraps psycopg's sync connection
so that store code written for sqlite3 (qmark placeholders, rows by name and index) runs unchanged here.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import psycopg
import psycopg.errors
import psycopg.rows
from psycopg_pool import AsyncConnectionPool

from bot.store.database import Connection, DatabaseError, Outcome, masked, runs
from bot.store.group_commit import Batch, GroupCommit, WriteOp

T = TypeVar("T")

log = logging.getLogger(__name__)

RETRIES = 5  # a batch caught in a deadlock or a serialization failure is run again this many times
RETRY_DELAY = 0.02  # seconds, doubled at each retry
READERS = 4  # connections in the read pool
SHARED_MIGRATIONS = resources.files("bot.store") / "migrations"
TRANSIENT = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)  # 40001, 40P01


# Quoted text, identifiers and comments are copied as they are; outside them `?` becomes psycopg's `%s`.
# `%` is doubled everywhere, inside literals too: psycopg reads the whole statement for its own placeholders.
_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\?|%""", re.DOTALL)


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """A statement with qmark placeholders in psycopg's `%s` style, literal `%` escaped."""

    def swap(match: re.Match[str]) -> str:
        token = match.group()
        if token == "?":
            return "%s"
        return token.replace("%", "%%")

    return _TOKENS.sub(swap, sql)


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """A statement with qmark placeholders numbered as PostgreSQL's own `$1, $2…`, for a `RawCursor`.

    psycopg then sends the statement as it is: it does not read it for `%s` first, which costs more than the
    statement itself when a set-based write carries thousands of values.
    """
    count = 0

    def swap(match: re.Match[str]) -> str:
        nonlocal count
        token = match.group()
        if token != "?":
            return token
        count += 1
        return f"${count}"

    return _TOKENS.sub(swap, sql)


class Row:
    """A result row by position or by column name, as `sqlite3.Row`."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            position = self._index.get(key)
            if position is None:
                position = self._index[key.lower()]  # unquoted names fold to lower case in PostgreSQL
            return self._values[position]
        return self._values[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Row) and (self._values, self.keys()) == (other._values, other.keys())

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self.keys(), self._values, strict=True))!r})"

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._index)


def row_factory(cursor: psycopg.Cursor[Any] | psycopg.AsyncCursor[Any]) -> psycopg.rows.RowMaker[Row]:
    """psycopg's row maker for `Row`: the column index is built once per result."""
    columns = cursor.description or []
    index: dict[str, int] = {}
    for position, column in enumerate(columns):
        index.setdefault(column.name, position)  # the first of two same-named columns wins, as in sqlite3
    return lambda values: Row(values, index)


class Cursor:
    """A statement's result, read as a sqlite3 cursor is."""

    def __init__(self, cursor: psycopg.Cursor[Row], conn: WriterConnection) -> None:
        self._cursor = cursor
        self._conn = conn

    @property
    def rowcount(self) -> int:
        """Rows changed by the statement (-1 when not known)."""
        with _integrity_as_sqlite():
            if self._conn.pipeline is not None:
                self._conn.pipeline.sync()  # in a pipeline the count is known once the server has answered
            return self._cursor.rowcount

    def fetchone(self) -> Row | None:
        """The next row, or None."""
        with _integrity_as_sqlite():
            return self._cursor.fetchone() if self._has_rows() else None

    def fetchall(self) -> list[Row]:
        """The rows not read yet."""
        with _integrity_as_sqlite():
            return self._cursor.fetchall() if self._has_rows() else []

    def fetchmany(self, size: int, /) -> list[Row]:
        """At most `size` of the rows not read yet."""
        with _integrity_as_sqlite():
            return self._cursor.fetchmany(size) if self._has_rows() else []

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())

    def _has_rows(self) -> bool:
        """Whether the statement returns rows (in a pipeline, asked once its answer is in)."""
        if self._cursor.description is None and self._conn.pipeline is not None:
            self._conn.pipeline.sync()
        return self._cursor.description is not None


class WriterConnection:
    """What a write op receives: psycopg's connection speaking the part of sqlite3 the stores use."""

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self.raw = conn
        self.wrote_notices = False  # set by the outbox; the database wakes the sender after the commit
        self.pipeline: psycopg.Pipeline | None = None  # statements are sent without waiting for their answers

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open."""
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        """Run one statement with qmark parameters."""
        cursor = self._cursor()
        with _integrity_as_sqlite():
            cursor.execute(self._query(sql), tuple(parameters))
        return Cursor(cursor, self)

    def _cursor(self) -> psycopg.Cursor[Row]:
        """A cursor whose rows come all at once, with the statement's answer; `$n` placeholders."""
        return psycopg.RawCursor(self.raw)

    def _query(self, sql: str) -> str:
        """The statement in the placeholders `_cursor` reads."""
        return numbered(sql)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        """Run one statement once per parameter row."""
        cursor = psycopg.RawCursor(self.raw)
        with _integrity_as_sqlite():
            cursor.executemany(numbered(sql), [tuple(row) for row in parameters])
        return Cursor(cursor, self)


class StreamingConnection(WriterConnection):
    """A connection for long reads: each statement's rows come from the server as they are fetched."""

    _streams = 0

    def _cursor(self) -> psycopg.Cursor[Row]:
        # A named (server-side) cursor: fetchmany brings a chunk at a time, not the whole result.
        StreamingConnection._streams += 1
        return self.raw.cursor(name=f"phosphore_stream_{StreamingConnection._streams}")

    def _query(self, sql: str) -> str:
        return translate(sql)


@contextlib.contextmanager
def _integrity_as_sqlite() -> Iterator[None]:
    """Constraint violations raise `sqlite3.IntegrityError`, which the stores already catch."""
    try:
        yield
    except psycopg.errors.IntegrityError as error:
        raise sqlite3.IntegrityError(str(error)) from error


class _Replay(Exception):
    """A pipelined batch met a failure: it is run again, statement by statement, each op in a savepoint."""


def migrations(folders: Sequence[Traversable] = ()) -> list[tuple[int, str]]:
    """The numbered PostgreSQL scripts (each folder's `postgres/`), one script per version, parts joined in name order."""
    scripts: dict[int, list[tuple[str, str]]] = {}
    for folder in (SHARED_MIGRATIONS, *folders):
        postgres = folder / "postgres"
        if not postgres.is_dir():
            continue
        for entry in postgres.iterdir():
            name = entry.name
            if name.endswith(".sql") and name[:4].isdigit():
                scripts.setdefault(int(name[:4]), []).append((name, entry.read_text(encoding="utf-8")))
    return [(version, "\n".join(text for _, text in sorted(parts))) for version, parts in sorted(scripts.items())]


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The last version applied (0 on an empty database)."""
    exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: psycopg.Connection[Any], folders: Sequence[Traversable] = ()) -> int:
    """Apply the migrations the database lacks, each in its own transaction; return the version."""
    # One process migrates a schema at a time: the others wait on the advisory lock, then find nothing to do.
    lock = "SELECT {}(hashtext('phosphore.migrate.' || current_schema()))"
    conn.execute(lock.format("pg_advisory_lock"))
    try:
        with conn.transaction():
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version"
                " (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
        current = schema_version(conn)
        for version, script in migrations(folders):
            if version <= current:
                continue
            log.info("applying migration %04d", version)
            with conn.transaction():
                conn.execute(script.encode(), prepare=False)  # bytes: sent as it is, several statements at once
                conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
            current = version
        return current
    finally:
        with contextlib.suppress(psycopg.OperationalError):  # a lost connection has dropped the lock already
            conn.execute(lock.format("pg_advisory_unlock"))


def connect(url: str) -> psycopg.Connection[Row]:
    """A sync connection in autocommit mode (transactions are opened explicitly), rows as `Row`."""
    try:
        return psycopg.connect(url, autocommit=True, row_factory=row_factory)
    except psycopg.OperationalError as error:
        raise DatabaseError(f"cannot connect to {masked(url)}: {_without(str(error), url)}") from None


def migrate_url(url: str, folders: Sequence[Traversable] = ()) -> int:
    """Connect, apply the migrations the database lacks, disconnect; the version (`phosphore migrate`)."""
    with connect(url) as conn:
        try:
            return migrate(conn, folders)
        except psycopg.Error as error:
            raise DatabaseError(f"cannot migrate {masked(url)}: {_without(str(error), url)}") from error


def _without(message: str, url: str) -> str:
    """An error message with the URL's password taken out, should the driver quote it."""
    password = urlsplit(url).password
    return message.replace(password, "***") if password else message


class Database(GroupCommit[Connection]):
    """Writes go through group commit on one connection in one thread; reads use a small async pool."""

    def __init__(self, url: str, migrations: Sequence[Traversable] = ()) -> None:
        self.url = url
        self.path = masked(url)
        self._migrations = migrations
        self._writer: WriterConnection | None = None
        self._readers: AsyncConnectionPool[psycopg.AsyncConnection[Row]] | None = None
        super().__init__("phosphore-pg-writer")

    async def open(self) -> None:
        """Connect the writer, apply migrations, open the read pool and start the committer."""
        loop = asyncio.get_running_loop()
        try:
            self._writer = await loop.run_in_executor(self._executor, self._open_writer)
            self._readers = await self._open_readers(READERS)
        except BaseException:
            await self.close()  # a half-open database keeps threads that would stop the process exiting
            raise

    async def open_read_only(self) -> int:
        """Open one reader alone, whose transactions cannot write; the schema version."""
        try:
            # Connecting once first fails fast, with the server named, where the pool would keep retrying.
            await asyncio.get_running_loop().run_in_executor(self._executor, lambda: connect(self.url).close())
            self._readers = await self._open_readers(1, read_only=True)
            async with self._readers.connection() as conn:
                cursor = await conn.execute(
                    "SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN 0 ELSE"
                    " (SELECT coalesce(max(version), 0) FROM schema_version) END"
                )
                row = await cursor.fetchone()
        except BaseException:
            await self.close()
            raise
        return int(row[0]) if row else 0

    async def _open_readers(
        self, size: int, read_only: bool = False
    ) -> AsyncConnectionPool[psycopg.AsyncConnection[Row]]:
        """The pool `fetch_all` reads through, each statement its own transaction."""

        async def configure(conn: psycopg.AsyncConnection[Row]) -> None:
            await conn.execute("SET default_transaction_read_only = on")

        pool = AsyncConnectionPool(
            self.url,
            min_size=1,
            max_size=size,
            open=False,
            kwargs={"autocommit": True, "row_factory": row_factory},
            connection_class=psycopg.AsyncConnection[Row],
            configure=configure if read_only else None,
            name="phosphore-readers",
        )
        try:
            await pool.open(wait=True)
        except BaseException:
            await pool.close()
            raise
        return pool

    def _open_writer(self) -> WriterConnection:
        migrate_url(self.url, self._migrations)
        return WriterConnection(connect(self.url))

    async def close(self) -> None:
        """Finish pending writes, then close everything."""
        await self._idle.wait()
        if self._readers is not None:
            readers, self._readers = self._readers, None
            await readers.close()
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await asyncio.get_running_loop().run_in_executor(self._executor, writer.raw.close)
        self._executor.shutdown(wait=True)

    def _commit_failed(self, error: Exception) -> None:
        """Log a transaction that could not commit, the server's password taken out."""
        log.error("group commit failed: %s", _without(str(error), self.url))

    def _run_batch(self, ops: Sequence[WriteOp[Any]]) -> Batch:
        """Run the ops in one transaction, again if PostgreSQL asks for it (deadlock, serialization)."""
        delay = RETRY_DELAY
        for attempt in range(RETRIES + 1):
            try:
                try:
                    return self._pipelined(ops)
                except _Replay:
                    return self._transaction(ops)
            except TRANSIENT as error:
                if attempt == RETRIES:
                    raise
                log.warning("group commit retried after %s", type(error).__name__)
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def _pipelined(self, ops: Sequence[WriteOp[Any]]) -> Batch:
        """The ops in one transaction sent as a pipeline: only statements whose answer an op reads wait for it.

        Consecutive `Grouped` ops of the same `run` go together, a few statements for them all: a burst of
        clicks waits for a few answers, not a few per click. A refusal a group reports (an item it left
        unchanged) is kept as it stands. When an op fails otherwise (a refusal, a constraint), its
        writes must be undone and, in a pipeline, a statement's error may even show in a later op: the batch
        is then rolled back and replayed statement by statement, each op alone in its savepoint (`_Replay`).
        COMMIT is sent only once every statement has been answered, so a replay never follows a commit.
        """
        conn = self._connected()
        raw = conn.raw
        outcomes: list[Outcome] = []
        conn.wrote_notices = False
        try:
            with raw.pipeline() as pipeline:
                conn.pipeline = pipeline
                try:
                    raw.execute(b"BEGIN")
                    outcomes = _run_together(conn, ops)
                    pipeline.sync()  # every statement answered: a failure shows here, before COMMIT is sent
                except TRANSIENT:
                    raise
                except Exception as error:
                    raise _Replay from error
                raw.execute(b"COMMIT")  # answered when the pipeline ends; a failure then is the commit's own
        except BaseException:
            conn.pipeline = None
            self._roll_back(conn)
            raise
        conn.pipeline = None
        self.commits += 1
        return outcomes, conn.wrote_notices

    def _roll_back(self, conn: WriterConnection) -> None:
        """End a failed transaction; a lost connection has nothing left to roll back."""
        if not conn.raw.closed and conn.in_transaction:
            with contextlib.suppress(psycopg.Error):
                conn.raw.execute(b"ROLLBACK", prepare=False)

    def _transaction(self, ops: Sequence[WriteOp[Any]]) -> Batch:
        """The ops in one transaction, each statement answered before the next, each op in a savepoint."""
        conn = self._begin()
        raw = conn.raw
        outcomes: list[Outcome] = []
        try:
            for index, op in enumerate(ops):
                if index:  # savepoint bookkeeping shares one round trip: statements without parameters go together
                    raw.execute(b"RELEASE SAVEPOINT op; SAVEPOINT op", prepare=False)
                try:
                    outcomes.append((True, op(conn)))
                except TRANSIENT:
                    raise  # the whole transaction is the victim: it is run again
                except Exception as error:
                    if isinstance(error.__cause__, TRANSIENT):
                        raise error.__cause__ from None
                    raw.execute(b"ROLLBACK TO SAVEPOINT op", prepare=False)
                    outcomes.append((False, error))
            raw.execute(b"RELEASE SAVEPOINT op; COMMIT", prepare=False)
        except BaseException:
            self._roll_back(conn)
            raise
        self.commits += 1
        return outcomes, conn.wrote_notices

    def _connected(self) -> WriterConnection:
        """The writer connection, connected again if it is known to be lost."""
        assert self._writer is not None, "database is not open"
        if self._writer.raw.closed or self._writer.raw.broken:
            log.warning("reconnecting the writer to %s", self.path)
            self._writer = WriterConnection(connect(self.url))
        return self._writer

    def _begin(self) -> WriterConnection:
        """The writer connection in a new transaction, connected again first if the server dropped it."""
        assert self._writer is not None, "database is not open"
        try:
            self._writer.raw.execute(b"BEGIN; SAVEPOINT op", prepare=False)
        except psycopg.OperationalError:
            if not (self._writer.raw.closed or self._writer.raw.broken):
                raise
            # Nothing of the batch has run: after a server restart or a failover it simply goes on a new connection.
            log.warning("reconnecting the writer to %s", self.path)
            self._writer = WriterConnection(connect(self.url))
            self._writer.raw.execute(b"BEGIN; SAVEPOINT op", prepare=False)
        self._writer.wrote_notices = False
        return self._writer

    async def read_apart(self, read: Callable[[WriterConnection], T]) -> T:
        """`read(conn)` in a worker thread, on a connection of its own, inside one read-only snapshot.

        For long reads (exports): neither the event loop, nor the writer, nor the read pool waits for them.
        """
        return await asyncio.to_thread(self._read_apart, read)

    def _read_apart(self, read: Callable[[WriterConnection], T]) -> T:
        with connect(self.url) as raw:
            # REPEATABLE READ: every statement of `read` sees the same snapshot, as SQLite's read transaction does.
            raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                return read(StreamingConnection(raw))
            finally:
                raw.execute("ROLLBACK")

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows of a read-only query."""
        assert self._readers is not None, "database is not open"
        async with self._readers.connection() as conn:
            cursor = await conn.execute(translate(sql), tuple(params))
            return await cursor.fetchall() if cursor.description else []

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a read-only query, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None


def _run_together(conn: WriterConnection, ops: Sequence[WriteOp[Any]]) -> list[Outcome]:
    """The ops' outcomes, consecutive `Grouped` ops of one `run` in one call; any exception means a replay."""
    outcomes: list[Outcome] = []
    for run, group in runs(ops):
        if run is None:
            outcomes.append((True, group[0](conn)))
        else:
            outcomes.extend(run(conn, [op.item for op in group]))
    return outcomes

"""What stores may use of a database, whichever backend holds it (SQLite or PostgreSQL).

Store code is written once against these: `write(op)` runs a synchronous `op(conn)` inside a committed
transaction, and `conn` speaks the part of sqlite3 the stores use (qmark placeholders, cursors, rows by
index and by name). Both `bot.store.sqlite.database.Database` and `bot.store.postgres.database.Database` fit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

T = TypeVar("T")
SCHEMES = ("postgresql://", "postgres://")


def is_url(database: str) -> bool:
    """Whether a database setting names a PostgreSQL server rather than an SQLite file."""
    return database.startswith(SCHEMES)


def masked(url: str) -> str:
    """The URL with its password replaced by `***`, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[1]
        url = urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    return re.sub(r"(password=)[^&\s]*", r"\1***", url)  # libpq also takes it as a query parameter


class DatabaseError(Exception):
    """The database could not be opened or migrated; the message never holds a password."""


class Row(Protocol):
    """A result row, read by position or by column name (as `sqlite3.Row`)."""

    def __getitem__(self, key: int | str, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...
    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    """What a statement gives back."""

    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchmany(self, size: int, /) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """The connection a write op receives, inside the group transaction."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor: ...
    @property
    def in_transaction(self) -> bool: ...


@runtime_checkable
class NoticeRecorder(Protocol):
    """A writer connection that remembers whether the transaction recorded notices (the outbox)."""

    wrote_notices: bool


class Database(Protocol):
    """A database the stores write to by group commit and read from."""

    path: str  # the file, or the URL with its password masked
    commits: int
    on_notices: list[Callable[[], None]]  # called after each commit that recorded notices

    async def open(self) -> None: ...
    async def open_read_only(self) -> int: ...  # no migration, no write; the schema version
    async def close(self) -> None: ...
    async def write(self, op: Callable[[Connection], T]) -> T: ...
    async def read_apart(self, read: Callable[[Connection], T]) -> T: ...  # a long read: own connection, one snapshot
    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> Sequence[Row]: ...
    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...


Outcome = tuple[bool, Any]  # (committed, result) or (False, the exception the op raised)
GroupRun = Callable[[Connection, Sequence[Any]], list[Outcome]]


class Grouped(Generic[T]):
    """A write that runs together with the neighbouring writes of the same `run`, in a few set-based statements.

    `run(conn, items)` applies the items in order as if one after the other, and returns one outcome
    per item; an item it refuses must have changed nothing. If `run` raises, the transaction is
    replayed with every write alone in its savepoint, where `run` sees one item at a time.
    """

    __slots__ = ("item", "run")  # one is made per click: a plain slotted class builds several times faster

    def __init__(self, run: GroupRun, item: Any) -> None:
        self.run = run
        self.item = item

    def __call__(self, conn: Connection) -> T:
        """Apply the item alone."""
        ((ok, value),) = self.run(conn, [self.item])
        if not ok:
            raise value
        return value

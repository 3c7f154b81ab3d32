"""Copy a whole database into an empty one (SQLite or PostgreSQL, either way): `phosphore copy-db FROM TO`.

Tables go parents first, in chunks, ids kept, in one transaction on the target: a failure leaves it
as it was. Each table's row count is checked against the source before the commit, and the id
counters are carried over so the next id is never one the source had already given out.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

CHUNK = 1000  # rows per insert: bounded memory whatever the table's size
Row = tuple[Any, ...]


class CopyError(RuntimeError):
    """The copy cannot be done (or was undone): the message says why and what to do."""


@dataclass(frozen=True)
class Table:
    """What the copy needs to know about one table."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the primary key's columns ((), rowid order, when it has none)
    parents: tuple[tuple[str, str], ...]  # (column, referenced table)

    @property
    def self_references(self) -> tuple[str, ...]:
        """Columns naming another row of the same table (ideas merged into ideas)."""
        return tuple(column for column, parent in self.parents if parent == self.name)


class Side(Protocol):
    """One database, as the copy reads or writes it."""

    pseudo_columns: tuple[str, ...]  # columns every table has without declaring them (SQLite's rowid)

    def describe(self) -> str:
        """How to name it in messages (never with a password)."""
        ...

    def version(self) -> int:
        """Its schema version."""
        ...

    def tables(self) -> dict[str, Table]:
        """Its tables by name (the bookkeeping ones left out)."""
        ...

    def count(self, table: str) -> int:
        """How many rows `table` holds."""
        ...

    def rows(self, table: Table, chunk: int) -> Iterator[list[Row]]:
        """Every row of `table`, in key order, `chunk` at a time."""
        ...

    def insert(self, table: Table, rows: Sequence[Row]) -> None:
        """Insert rows given in `table.columns` order, ids included."""
        ...

    def update(self, table: Table, column: str, pairs: Sequence[tuple[Any, Row]]) -> None:
        """Set `column` to each value for the row with each key."""
        ...

    def high_water(self) -> dict[str, int]:
        """The highest id each table with a generated id has given out (deleted rows included where known)."""
        ...

    def set_high_water(self, marks: dict[str, int]) -> None:
        """Make each table's next generated id follow its mark (or its largest id, whichever is higher)."""
        ...

    def begin(self) -> None:
        """Start the one transaction (a consistent snapshot on the source)."""
        ...

    def commit(self) -> None:
        """Commit it."""
        ...

    def rollback(self) -> None:
        """Undo it."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


def copy_order(tables: dict[str, Table]) -> list[Table]:
    """Parents before children; a table's references to itself are filled in after its rows."""
    graph = {
        name: {parent for _, parent in table.parents if parent != name and parent in tables}
        for name, table in tables.items()
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise CopyError(f"the tables reference each other in a cycle: {error.args[1]}") from None
    return [tables[name] for name in order]


def copy_database(source: Side, target: Side, latest: int, chunk: int = CHUNK) -> dict[str, int]:
    """Copy every row of `source` into the empty `target` (both at schema version `latest`); rows per table."""
    source.begin()
    target.begin()
    try:
        target_tables = target.tables()
        filled = {name: n for name in target_tables if (n := target.count(name))}
        if filled:
            raise CopyError(
                f"{target.describe()} is not empty ({_listing(filled)}): copy-db only fills an empty database"
            )
        _check_versions(source, target, latest)
        tables = _matched(source.tables(), target_tables, source, target)
        copied = {table.name: _copy_table(source, target, table, chunk) for table in copy_order(tables)}
        target.set_high_water(source.high_water())
        for name, expected in copied.items():
            found = target.count(name)
            if found != expected or source.count(name) != expected:
                raise CopyError(
                    f"table {name}: {expected} rows read but {found} in {target.describe()}; nothing copied"
                )
        target.commit()
    except CopyError:
        target.rollback()
        raise
    except Exception as error:  # a driver's error: said plainly, the target left as it was
        target.rollback()
        raise CopyError(f"{type(error).__name__}: {error}; nothing was copied") from error
    except BaseException:
        target.rollback()
        raise
    finally:
        source.rollback()  # the source was only read
    return copied


def _copy_table(source: Side, target: Side, table: Table, chunk: int) -> int:
    """Copy one table chunk by chunk; self-references are set once every row of the table exists."""
    later = [table.columns.index(column) for column in table.self_references]
    keys = [table.columns.index(column) for column in table.key]
    deferred: dict[str, list[tuple[Any, Row]]] = {column: [] for column in table.self_references}
    count = 0
    for rows in source.rows(table, chunk):
        if later:
            for row in rows:
                for index in later:
                    if row[index] is not None:
                        deferred[table.columns[index]].append((row[index], tuple(row[i] for i in keys)))
            rows = [tuple(None if i in later else value for i, value in enumerate(row)) for row in rows]
        target.insert(table, rows)
        count += len(rows)
    for column, pairs in deferred.items():
        for start in range(0, len(pairs), chunk):
            target.update(table, column, pairs[start : start + chunk])
    log.info("copied table=%s rows=%d", table.name, count)
    return count


def _check_versions(source: Side, target: Side, latest: int) -> None:
    """Both at the schema this code knows, so every column means the same on both sides."""
    for side, what in ((source, "source"), (target, "target")):
        version = side.version()
        if version != latest:
            raise CopyError(f"the {what} {side.describe()} is at schema version {version}, not {latest}:"
                            " run `phosphore migrate` on it with this version of Phosphore first")  # fmt: skip


def _matched(tables: dict[str, Table], others: dict[str, Table], source: Side, target: Side) -> dict[str, Table]:
    """The source's tables, checked against the target's: the same tables with the same columns.

    A column that one side declares and the other has without declaring it (SQLite's rowid, which
    the PostgreSQL schema declares where the stores order by it) is copied too.
    """
    missing = sorted(set(tables) - set(others))
    if missing:
        raise CopyError(f"{target.describe()} has no table {', '.join(missing)}")
    matched = {}
    for name, table in tables.items():
        mine, theirs = set(table.columns), set(others[name].columns)
        implicit = tuple(sorted((theirs - mine) & set(source.pseudo_columns)))  # read from the source as well
        if not (mine | set(implicit)) - theirs <= set(target.pseudo_columns) or not theirs <= mine | set(implicit):
            raise CopyError(f"table {name} has columns {sorted(mine)} in {source.describe()}"
                            f" but {sorted(theirs)} in {target.describe()}")  # fmt: skip
        matched[name] = Table(name, table.columns + implicit, table.key, table.parents)
    return matched


def _listing(counts: dict[str, int]) -> str:
    """'events: 3 rows, polls: 1 row', the first few tables."""
    parts = [f"{name}: {n} row{'s' if n > 1 else ''}" for name, n in sorted(counts.items())]
    return ", ".join(parts[:5]) + (", …" if len(parts) > 5 else "")


def _quoted(name: str) -> str:
    """An identifier as SQL (names come from the database's own catalog)."""
    return '"' + name.replace('"', '""') + '"'


class SqliteSide:
    """A SQLite file: the source opened read-only, the target created and migrated if need be."""

    pseudo_columns: tuple[str, ...] = ("rowid",)

    def __init__(self, path: Path, *, write: bool = False, folders: Sequence[Traversable] = ()) -> None:
        from bot.store.sqlite.database import connect, migrate

        self.path = path
        self.write = write
        if not write:
            if not path.is_file():
                raise CopyError(f"no database at {path}")
            # mode=ro: nothing this command does can change the source.
            self.conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        else:
            self.conn = connect(path)
            if not self._filled():  # an existing database with rows is refused before anything changes
                migrate(self.conn, folders)

    def _filled(self) -> bool:
        """Whether any table already holds rows."""
        return any(self.count(name) for name in self.tables())

    def describe(self) -> str:
        """The file's path."""
        return str(self.path)

    def version(self) -> int:
        """PRAGMA user_version."""
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def tables(self) -> dict[str, Table]:
        """The tables of sqlite_master, with their columns, primary key and references."""
        names = [row[0] for row in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]  # fmt: skip
        found = {}
        for name in names:
            info = self.conn.execute(f"PRAGMA table_info({_quoted(name)})").fetchall()
            key = tuple(row[1] for row in sorted((row for row in info if row[5]), key=lambda row: row[5]))
            parents = tuple((row[3], row[2]) for row in self.conn.execute(f"PRAGMA foreign_key_list({_quoted(name)})"))
            found[name] = Table(name, tuple(row[1] for row in info), key, parents)
        return found

    def count(self, table: str) -> int:
        """SELECT COUNT(*)."""
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {_quoted(table)}").fetchone()[0])

    def rows(self, table: Table, chunk: int) -> Iterator[list[Row]]:
        """The rows in key (else rowid) order, `chunk` at a time."""
        order = ", ".join(map(_quoted, table.key)) or "rowid"
        cursor = self.conn.execute(f"SELECT {', '.join(map(_quoted, table.columns))} FROM {_quoted(table.name)} ORDER BY {order}")  # fmt: skip
        while batch := cursor.fetchmany(chunk):
            yield [tuple(row) for row in batch]

    def insert(self, table: Table, rows: Sequence[Row]) -> None:
        """executemany INSERT."""
        marks = ", ".join("?" for _ in table.columns)
        columns = ", ".join(map(_quoted, table.columns))
        self.conn.executemany(f"INSERT INTO {_quoted(table.name)} ({columns}) VALUES ({marks})", rows)

    def update(self, table: Table, column: str, pairs: Sequence[tuple[Any, Row]]) -> None:
        """executemany UPDATE by key."""
        where = " AND ".join(f"{_quoted(key)} = ?" for key in table.key)
        self.conn.executemany(f"UPDATE {_quoted(table.name)} SET {_quoted(column)} = ? WHERE {where}",
                              [(value, *key) for value, key in pairs])  # fmt: skip

    def high_water(self) -> dict[str, int]:
        """sqlite_sequence (AUTOINCREMENT tables remember deleted ids), else the largest integer id."""
        marks = {name: self._max_id(table) for name, table in self.tables().items() if table.key == ("id",)}
        if self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
            for name, seq in self.conn.execute("SELECT name, seq FROM sqlite_sequence"):
                marks[name] = max(marks.get(name, 0), int(seq))
        return marks

    def _max_id(self, table: Table) -> int:
        return int(self.conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_quoted(table.name)}").fetchone()[0])

    def set_high_water(self, marks: dict[str, int]) -> None:
        """AUTOINCREMENT tables: sqlite_sequence; the others follow their largest id by themselves."""
        if not self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
            return
        autoincrement = {row[0] for row in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'")}  # fmt: skip
        for name in sorted(autoincrement & set(marks)):
            self.conn.execute("DELETE FROM sqlite_sequence WHERE name = ?", (name,))
            self.conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, marks[name]))

    def begin(self) -> None:
        """BEGIN IMMEDIATE on the target (no other writer meanwhile); a read snapshot on the source."""
        self.conn.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")

    def commit(self) -> None:
        """COMMIT."""
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        """ROLLBACK, if a transaction is open."""
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


class PostgresSide:
    """A PostgreSQL schema (the URL's search_path): the source read in one snapshot, the target migrated if need be."""

    BOOKKEEPING = ("schema_version",)  # the migrations' own table: each side keeps its own
    pseudo_columns: tuple[str, ...] = ()

    def __init__(self, url: str, *, write: bool = False, folders: Sequence[Traversable] = ()) -> None:
        from bot.store.database import masked
        from bot.store.postgres.database import connect, migrate

        self.name = masked(url)
        self.write = write
        self.conn = connect(url)
        if write and not self._filled():
            migrate(self.conn, folders)

    def _filled(self) -> bool:
        """Whether any table already holds rows."""
        return any(self.count(name) for name in self.tables())

    def describe(self) -> str:
        """The URL, its password masked."""
        return self.name

    def version(self) -> int:
        """The last migration applied."""
        from bot.store.postgres.database import schema_version

        return schema_version(self.conn)

    def tables(self) -> dict[str, Table]:
        """The schema's tables from the catalog, with their columns, primary key and references."""
        names = [row[0] for row in self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE' ORDER BY table_name")]  # fmt: skip
        found = {}
        for name in names:
            if name in self.BOOKKEEPING:
                continue
            columns = tuple(row[0] for row in self.conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = %s ORDER BY ordinal_position", (name,)))  # fmt: skip
            key = tuple(row[0] for row in self.conn.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                " AND a.attnum = ANY (i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary"
                " ORDER BY array_position(i.indkey, a.attnum)", (_quoted(name),)))  # fmt: skip
            parents = tuple((row[0], row[1]) for row in self.conn.execute(
                "SELECT a.attname, c.confrelid::regclass::text FROM pg_constraint c"
                " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
                " WHERE c.contype = 'f' AND c.conrelid = %s::regclass", (_quoted(name),)))  # fmt: skip
            found[name] = Table(name, columns, key, tuple((column, parent.strip('"')) for column, parent in parents))
        return found

    def count(self, table: str) -> int:
        """SELECT COUNT(*)."""
        row = self.conn.execute(f"SELECT COUNT(*) FROM {_quoted(table)}").fetchone()
        return int(row[0]) if row else 0

    def rows(self, table: Table, chunk: int) -> Iterator[list[Row]]:
        """The rows in key order, `chunk` at a time, through a server-side cursor."""
        order = ", ".join(map(_quoted, table.key or table.columns))
        with self.conn.cursor(name=f"copy_{table.name}") as cursor:
            cursor.execute(f"SELECT {', '.join(map(_quoted, table.columns))} FROM {_quoted(table.name)} ORDER BY {order}")  # fmt: skip
            while batch := cursor.fetchmany(chunk):
                yield [tuple(row) for row in batch]

    def _identities(self, table: str) -> dict[str, str]:
        """The table's generated columns (ids, rowids) and the sequence behind each."""
        rows = self.conn.execute(
            "SELECT column_name, pg_get_serial_sequence(%s, column_name) FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s AND is_identity = 'YES'",
            (_quoted(table), table),
        )
        return {row[0]: row[1] for row in rows if row[1]}

    def insert(self, table: Table, rows: Sequence[Row]) -> None:
        """executemany INSERT, generated columns given (OVERRIDING SYSTEM VALUE)."""
        marks = ", ".join("%s" for _ in table.columns)
        columns = ", ".join(map(_quoted, table.columns))
        overriding = " OVERRIDING SYSTEM VALUE" if self._identities(table.name) else ""
        with self.conn.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {_quoted(table.name)} ({columns}){overriding} VALUES ({marks})", rows)

    def update(self, table: Table, column: str, pairs: Sequence[tuple[Any, Row]]) -> None:
        """executemany UPDATE by key."""
        where = " AND ".join(f"{_quoted(key)} = %s" for key in table.key)
        with self.conn.cursor() as cursor:
            cursor.executemany(f"UPDATE {_quoted(table.name)} SET {_quoted(column)} = %s WHERE {where}",
                               [(value, *key) for value, key in pairs])  # fmt: skip

    def high_water(self) -> dict[str, int]:
        """Each generated id's last value given out (0 when none was)."""
        marks = {}
        for name in self.tables():
            sequence = self._identities(name).get("id")
            if sequence is not None:
                row = self.conn.execute(f"SELECT last_value, is_called FROM {sequence}").fetchone()
                marks[name] = int(row[0]) if row and row[1] else 0
        return marks

    def set_high_water(self, marks: dict[str, int]) -> None:
        """Each sequence restarts after the largest value copied (or the id's mark, if higher)."""
        for name in self.tables():
            for column, sequence in self._identities(name).items():
                row = self.conn.execute(f"SELECT COALESCE(MAX({_quoted(column)}), 0) FROM {_quoted(name)}").fetchone()
                last = max(marks.get(name, 0) if column == "id" else 0, int(row[0]) if row else 0)
                # setval(…, 1, false): the next value is 1, as on a fresh table.
                self.conn.execute("SELECT setval(%s, %s, %s)", (sequence, max(last, 1), last > 0))

    def begin(self) -> None:
        """The target's transaction; the source's, one read-only snapshot for every table."""
        self.conn.execute("BEGIN" if self.write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def commit(self) -> None:
        """COMMIT."""
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        """ROLLBACK (a warning only when no transaction is open)."""
        self.conn.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def open_side(location: str, *, write: bool, folders: Sequence[Traversable] = ()) -> Side:
    """The database at `location`: a PostgreSQL URL or a SQLite path."""
    from bot.store.database import is_url

    if is_url(location):
        return PostgresSide(location, write=write, folders=folders)
    return SqliteSide(Path(location), write=write, folders=folders)

"""The PostgreSQL Database: group commit, sqlite3-like connection and rows, migrations, retries, masked secrets."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from bot.store.database import Connection, DatabaseError, masked
from bot.store.database import Database as DatabasePort
from bot.store.postgres.database import Database, migrate, translate
from bot.store.sqlite.database import Database as SqliteDatabase
from tests.postgres import fresh_schema

SCHEMA = """
CREATE TABLE votes (id BIGSERIAL PRIMARY KEY, voter TEXT NOT NULL UNIQUE, choice INTEGER NOT NULL, note TEXT);
CREATE TABLE tally (choice INTEGER PRIMARY KEY, n INTEGER NOT NULL);
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A feature's migrations folder with a PostgreSQL script of its own."""
    (tmp_path / "postgres").mkdir()
    (tmp_path / "postgres" / "0001_votes.sql").write_text(SCHEMA, encoding="utf-8")
    return tmp_path


@pytest.fixture
def url() -> Iterator[str]:
    """A fresh schema on the test server."""
    with fresh_schema() as found:
        yield found


@pytest.fixture
async def db(url: str, folder: Path) -> AsyncIterator[Database]:
    """An open database with the votes table."""
    database = Database(url, migrations=[folder])
    await database.open()
    try:
        yield database
    finally:
        await database.close()


def test_placeholders_and_percent_signs_are_translated() -> None:
    """`?` becomes `%s` outside quotes and comments; every `%` is doubled."""
    assert translate("SELECT * FROM t WHERE a = ? AND b LIKE '%?x' || ?") == (
        "SELECT * FROM t WHERE a = %s AND b LIKE '%%?x' || %s"
    )
    assert translate('SELECT "we?rd" -- why?\n, ? /* ? */') == 'SELECT "we?rd" -- why?\n, %s /* ? */'
    assert translate("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', %s"


def test_the_password_is_masked() -> None:
    """Logs and messages show the server, never its password."""
    assert (
        masked("postgresql://bot:s3cret@db.example:5432/phosphore") == "postgresql://bot:***@db.example:5432/phosphore"
    )
    assert masked("postgresql://db/phosphore?user=bot&password=s3cret&sslmode=require") == (
        "postgresql://db/phosphore?user=bot&password=***&sslmode=require"
    )
    assert masked("postgresql://bot@db/phosphore") == "postgresql://bot@db/phosphore"


def test_both_databases_fit_the_port() -> None:
    """The stores' type hints name the port; each backend's class fits it (checked by mypy, too)."""
    ports: list[type[DatabasePort]] = [Database, SqliteDatabase]
    assert all(hasattr(kind, "write") and hasattr(kind, "fetch_all") for kind in ports)


async def test_ops_see_sqlite_like_rows_and_cursors(db: Database) -> None:
    """An op written for sqlite3 runs unchanged: qmark parameters, rows by index and name, rowcount, iteration."""

    def op(conn: Connection) -> tuple[object, ...]:
        assert conn.in_transaction
        conn.executemany(
            "INSERT INTO votes (voter, choice, note) VALUES (?, ?, ?)", [("ana", 1, "50%"), ("bo", 2, None)]
        )
        row = conn.execute("SELECT id, voter AS Who, choice FROM votes WHERE voter = ?", ("ana",)).fetchone()
        changed = conn.execute("UPDATE votes SET choice = choice + 1 WHERE choice >= ?", (1,)).rowcount
        voters = [voter for (voter,) in conn.execute("SELECT voter FROM votes ORDER BY voter")]
        missing = conn.execute("SELECT voter FROM votes WHERE voter = ?", ("zed",)).fetchone()
        return row["who"], row[1], row["Who"], row.keys(), changed, voters, missing

    assert await db.write(op) == ("ana", "ana", "ana", ["id", "who", "choice"], 2, ["ana", "bo"], None)
    rows = await db.fetch_all("SELECT voter, choice, note FROM votes WHERE note LIKE '%\\%' ESCAPE '\\' ORDER BY voter")
    assert [tuple(row) for row in rows] == [("ana", 2, "50%")]
    assert (await db.fetch_one("SELECT count(*) AS n FROM votes"))["n"] == 2  # type: ignore[index]
    assert await db.fetch_one("SELECT voter FROM votes WHERE voter = ?", ("zed",)) is None


async def test_a_failing_op_spares_the_others_in_its_batch(db: Database) -> None:
    """Each op has its own savepoint: a constraint violation (as sqlite3.IntegrityError) undoes only its own op."""

    def vote(voter: str) -> Callable[[Connection], int]:
        return lambda conn: conn.execute("INSERT INTO votes (voter, choice) VALUES (?, 1)", (voter,)).rowcount

    outcomes = await asyncio.gather(*(db.write(vote(v)) for v in ("ana", "bo", "ana", "cy")), return_exceptions=True)
    assert outcomes[:2] == [1, 1] and outcomes[3] == 1
    assert isinstance(outcomes[2], sqlite3.IntegrityError)
    assert isinstance(outcomes[2].__cause__, psycopg.errors.UniqueViolation)
    assert [row["voter"] for row in await db.fetch_all("SELECT voter FROM votes ORDER BY voter")] == ["ana", "bo", "cy"]


async def test_a_failure_nobody_read_still_belongs_to_its_own_op(db: Database) -> None:
    """Statements are pipelined: a violation no op waited for still fails only the op that caused it."""

    def insert(voter: str) -> Callable[[Connection], None]:
        def op(conn: Connection) -> None:
            conn.execute("INSERT INTO votes (voter, choice) VALUES (?, 1)", (voter,))  # its answer is never read

        return op

    def refused(conn: Connection) -> None:
        conn.execute("INSERT INTO votes (voter, choice) VALUES ('zed', 1)")
        raise LookupError("refused after writing")  # an op's own refusal undoes what it wrote

    ops = [insert("ana"), insert("bo"), insert("ana"), refused, insert("cy")]
    outcomes = await asyncio.gather(*(db.write(op) for op in ops), return_exceptions=True)
    assert outcomes[:2] == [None, None] and outcomes[4] is None
    assert isinstance(outcomes[2], sqlite3.IntegrityError) and isinstance(outcomes[3], LookupError)
    assert [row["voter"] for row in await db.fetch_all("SELECT voter FROM votes ORDER BY voter")] == ["ana", "bo", "cy"]


async def test_a_burst_of_writes_shares_few_commits_and_all_are_durable(db: Database, url: str) -> None:
    """500 concurrent writes: each caller answered after COMMIT, in far fewer transactions than writes."""
    before = db.commits
    await asyncio.gather(*(db.write(lambda conn, i=i: conn.execute(  # type: ignore[misc]
        "INSERT INTO votes (voter, choice) VALUES (?, ?)", (f"v{i}", i % 3))) for i in range(500)))  # fmt: skip
    assert db.commits - before < 50
    with psycopg.connect(url) as other:  # another connection: committed means visible to everyone
        assert other.execute("SELECT count(*) FROM votes").fetchone() == (500,)


async def test_the_caller_is_answered_only_after_commit(db: Database, url: str) -> None:
    """When write() returns, a separate connection already sees the row."""
    await db.write(lambda conn: conn.execute("INSERT INTO votes (voter, choice) VALUES ('ana', 1)"))
    with psycopg.connect(url) as other:
        assert other.execute("SELECT voter FROM votes").fetchall() == [("ana",)]


async def test_a_deadlock_is_retried(db: Database, url: str) -> None:
    """A batch chosen as a deadlock victim is run again, and its callers see success."""
    await db.write(lambda conn: conn.executemany("INSERT INTO tally VALUES (?, 0)", [(1,), (2,)]))
    other = psycopg.connect(url)
    other.execute("SET deadlock_timeout = '10s'")  # our side finds the cycle, so our batch is the victim
    other.commit()
    other.execute("UPDATE tally SET n = n + 10 WHERE choice = 2")  # holds row 2 in an open transaction
    locked_1 = threading.Event()
    runs = 0

    def op(conn: Connection) -> int:
        nonlocal runs
        runs += 1
        assert conn.execute("UPDATE tally SET n = n + 1 WHERE choice = 1").rowcount == 1  # answered: row 1 is ours
        locked_1.set()
        assert conn.execute("UPDATE tally SET n = n + 1 WHERE choice = 2").rowcount == 1  # waits for `other`
        return runs

    def collide() -> None:
        locked_1.wait(5)
        try:
            other.execute("UPDATE tally SET n = n + 10 WHERE choice = 1")  # a cycle: one side is the victim
            other.commit()
        except psycopg.errors.DeadlockDetected:
            other.rollback()

    thread = threading.Thread(target=collide)
    thread.start()
    result = await db.write(op)
    thread.join()
    other.close()
    rows = {row["choice"]: row["n"] for row in await db.fetch_all("SELECT choice, n FROM tally")}
    assert result >= 2  # the first run was the victim (it waited first, so its backend found the cycle)
    assert rows == {1: 11, 2: 11}  # both transactions applied once each: `other` went on once ours rolled back


async def test_migrations_apply_once_under_a_lock(url: str, folder: Path) -> None:
    """Two processes starting at once: the versions are applied once, recorded in schema_version."""
    (folder / "postgres" / "0002_notes.sql").write_text("ALTER TABLE votes ADD COLUMN seen TEXT;", encoding="utf-8")

    def run() -> int:
        with psycopg.connect(url, autocommit=True) as conn:
            return migrate(conn, [folder])

    versions = await asyncio.gather(*(asyncio.to_thread(run) for _ in range(4)))
    assert len(set(versions)) == 1 and versions[0] >= 2  # the shared folder's versions come too
    with psycopg.connect(url) as conn:
        applied = [version for (version,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]
        assert applied[:2] == [1, 2] and len(applied) == len(set(applied))


async def test_a_failing_migration_leaves_the_previous_version(url: str, folder: Path) -> None:
    """Each version is its own transaction: a broken script changes nothing and is not recorded."""
    (folder / "postgres" / "0002_broken.sql").write_text(
        "ALTER TABLE votes ADD COLUMN x TEXT; SELECT nope;", encoding="utf-8"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedColumn):
            migrate(conn, [folder])
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (1,)  # nothing after the failure
        columns = conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'votes'"
                               " AND table_schema = current_schema()").fetchall()  # fmt: skip
        assert ("x",) not in columns


async def test_an_unreachable_server_is_named_without_its_password() -> None:
    """The error names the server with the password masked."""
    db = Database("postgresql://bot:s3cret@127.0.0.1:1/phosphore?connect_timeout=2")
    with pytest.raises(Exception, match=r"bot:\*\*\*@127\.0\.0\.1:1") as caught:
        await db.open()
    assert "s3cret" not in str(caught.value)


async def test_a_dropped_writer_connection_is_replaced(db: Database, url: str) -> None:
    """The server ends the writer's connection (a restart, an admin): the next write reconnects and commits."""
    pid = await db.write(lambda conn: conn.execute("SELECT pg_backend_pid()").fetchone()[0])
    with psycopg.connect(url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    await db.write(lambda conn: conn.execute("INSERT INTO votes (voter, choice) VALUES ('ana', 1)"))
    assert await db.write(lambda conn: conn.execute("SELECT pg_backend_pid()").fetchone()[0]) != pid
    assert [row["voter"] for row in await db.fetch_all("SELECT voter FROM votes")] == ["ana"]


async def test_a_read_only_opening_reads_the_version_and_cannot_write(db: Database, url: str) -> None:
    """Exports open the database read-only: the schema version is read, and nothing can be written."""
    reader = Database(url)
    try:
        assert await reader.open_read_only() >= 1
        assert await reader.fetch_all("SELECT voter FROM votes") == []
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            await reader.fetch_all("INSERT INTO votes (voter, choice) VALUES ('x', 1) RETURNING id")
    finally:
        await reader.close()
    with pytest.raises(DatabaseError, match=r"bot:\*\*\*@127\.0\.0\.1:1"):
        await Database("postgresql://bot:s3cret@127.0.0.1:1/x?connect_timeout=2").open_read_only()

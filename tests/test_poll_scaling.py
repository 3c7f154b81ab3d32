"""Polls cost the same at any size: rows read and statements run are counted, never timed.

Rows read are counted as SQLite virtual-machine steps (a progress handler called at every step):
a scan of n votes runs at least n steps, whatever the machine's speed or load, while a tally read
from the running counts runs the same steps at 10 votes as at 10,000.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import aiosqlite

from bot.app import App
from bot.feature import migration_folders
from bot.features import FEATURES
from bot.features.polls.domain import Poll, PollDraft, Tally, next_choices
from bot.features.polls.sqlite import SqlitePollStore
from bot.features.polls.store import VoteRule
from bot.store.sqlite.database import Database, migrate, migrations, statements
from tests.helpers import START, Session

SPACE = "console:local"


def sqlite_db(app: App) -> Database:
    """The app's database, which these tests read through SQLite's own hooks."""
    db = app.services.db
    assert isinstance(db, Database)
    return db


def reader(db: Database) -> aiosqlite.Connection:
    """The shared read connection, to watch what the store asks of it."""
    assert db._reader is not None
    return db._reader


def store(app: App) -> SqlitePollStore:
    """The app's poll store."""
    polls = app.services.polls.store
    assert isinstance(polls, SqlitePollStore)
    return polls


def click(option: int) -> VoteRule:
    """The rule of a click on `option`."""
    return lambda poll, current: next_choices(poll, current, option)


async def poll_with_votes(app: App, votes: int) -> Poll:
    """A three-option poll with `votes` voters, sent through the store as concurrent clicks."""
    polls = store(app)
    poll = await polls.create_poll(SPACE, "general", "console:alice", PollDraft("Q ?", ("A", "B", "C")), START)
    await asyncio.gather(
        *(polls.apply_vote(SPACE, poll.id, f"console:m{i}", f"m{i}", START, click(i % 3)) for i in range(votes))
    )
    return poll


async def steps(db: Database, read: object) -> int:
    """The SQLite VM steps the reader runs while `read` is awaited."""
    counted = 0

    def count() -> int:
        nonlocal counted
        counted += 1
        return 0  # go on

    await reader(db).set_progress_handler(count, 1)
    try:
        await read  # type: ignore[misc]
    finally:
        await reader(db).set_progress_handler(None, 1)  # type: ignore[arg-type]  # None removes it
    return counted


async def test_the_tally_reads_one_row_per_option_whatever_the_votes(app: App) -> None:
    """The tally of a poll with 10,000 votes runs the same steps as that of a poll with 10."""
    small, large = await poll_with_votes(app, 10), await poll_with_votes(app, 10_000)
    polls, db = store(app), sqlite_db(app)
    assert await polls.tally(large.id) == Tally((3334, 3333, 3333), 10_000)
    small_steps = await steps(db, polls.tally(small.id))
    large_steps = await steps(db, polls.tally(large.id))
    assert 0 < small_steps < 1_000 and abs(large_steps - small_steps) <= 5, (small_steps, large_steps)


async def test_poll_results_reads_the_tally_once(app: App, bot: Session) -> None:
    """/poll results asks the database for the counts once."""
    await bot.say('poll create "Q ?" "A" "B"')
    # Through the store, not a click: a click would also refresh the live card, which reads the counts too.
    await store(app).apply_vote(SPACE, 1, "console:bob", "bob", START, click(0))
    seen: list[str] = []
    await reader(sqlite_db(app)).set_trace_callback(seen.append)
    try:
        reply = await bot.say("poll results 1")
    finally:
        await reader(sqlite_db(app)).set_trace_callback(None)  # type: ignore[arg-type]  # None removes it
    assert reply.card is not None
    assert len([sql for sql in seen if "poll_counts" in sql]) == 1, seen


async def test_a_burst_of_votes_runs_fewer_statements_than_votes(app: App) -> None:
    """200 concurrent clicks: a few statements per transaction, not a few per vote."""
    polls, db = store(app), sqlite_db(app)
    poll = await polls.create_poll(SPACE, "general", "console:alice", PollDraft("Q ?", ("A", "B", "C")), START)
    writer = db._writer
    assert writer is not None
    seen: list[str] = []
    commits = db.commits
    writer.set_trace_callback(seen.append)  # called on the writer thread; list.append is atomic
    try:
        await asyncio.gather(
            *(polls.apply_vote(SPACE, poll.id, f"console:m{i}", f"m{i}", START, click(0)) for i in range(200))
        )
    finally:
        writer.set_trace_callback(None)
    transactions = db.commits - commits
    assert len(seen) <= 12 * transactions and len(seen) < 200, (transactions, seen)
    assert await polls.tally(poll.id) == Tally((200, 0, 0), 200)


async def test_the_export_is_built_off_the_event_loop_from_streamed_rows(app: App) -> None:
    """The export's builder runs in another thread and gets the voter rows as an iterator, not a list."""
    poll = await poll_with_votes(app, 30)

    def build(tally: Tally, rows: Iterator[object]) -> tuple[int, bool, int]:
        streamed = not isinstance(rows, list | tuple)
        return threading.get_ident(), streamed, sum(1 for _ in rows)

    thread, streamed, count = await store(app).export(poll.id, build)
    assert thread != threading.get_ident() and streamed and count == 30


def test_the_migration_counts_the_votes_already_there(tmp_path: Path) -> None:
    """A database from before the running counts gets them from its votes, multi-choice voters counted once."""
    folders = migration_folders(FEATURES)
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    for version, script in migrations(folders):
        if version < 14:
            for statement in statements(script):
                conn.execute(statement)
    conn.execute("PRAGMA user_version=13")
    conn.execute(
        "INSERT INTO polls (id, space, ref, channel, author, question, max_choices, results, created_at)"
        " VALUES (1, 'console:local', 1, 'general', 'console:alice', 'Q ?', 2, 'live', '2026-06-01'),"
        " (2, 'console:local', 2, 'general', 'console:alice', 'R ?', 1, 'live', '2026-06-01')"
    )
    conn.executemany("INSERT INTO poll_options VALUES (?, ?, ?)", [(1, 0, "A"), (1, 1, "B"), (1, 2, "C"), (2, 0, "X")])
    conn.executemany(
        "INSERT INTO votes VALUES (1, ?, ?, '2026-06-01')", [("bob", 0), ("bob", 1), ("carol", 1), ("dan", 2)]
    )
    assert migrate(conn, folders) >= 14
    counts = conn.execute("SELECT poll_id, position, n FROM poll_counts ORDER BY poll_id, position").fetchall()
    assert counts == [(1, 0, 1), (1, 1, 2), (1, 2, 1), (2, 0, 0)]
    assert conn.execute("SELECT id, voters FROM polls ORDER BY id").fetchall() == [(1, 3), (2, 0)]
    conn.close()


async def test_the_attached_file_is_the_csv_text_encoded(app: App, bot: Session) -> None:
    """/poll export's file, built as bytes, is byte for byte the CSV text in UTF-8, with either separator."""
    await bot.say('poll create "=Q ?" "é, «A»" "B;b" "C"')
    for i, name in enumerate(("Zoé", "-1", 'Ann "A"', "Ünal;x")):
        await store(app).apply_vote(SPACE, 1, f"console:m{i}", name, START, click(i % 3))
    for sep in (";", ","):
        reply = await bot.say(f'poll export 1 --sep "{sep}"')
        (attachment,) = reply.files
        _poll, text = await app.services.polls.export_csv(SPACE, 1, None, sep)
        assert attachment.content == text.encode("utf-8") and text.count("\n") == 10

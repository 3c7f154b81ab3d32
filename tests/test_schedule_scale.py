"""The schedule at scale: start-up reads no more per event, one wake-up job whatever the instants, chunked fan-outs."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.app import App
from bot.config import Settings
from bot.core.clock import ManualClock, RehearsalClock
from bot.scheduler import Wakeups
from bot.store.sqlite.rows import to_iso
from tests.helpers import START, running_app

SPACE = "console:local"
STEPS = (("reminder", 7 * 86400), ("reminder", 86400), ("reminder", 3600), ("followup_day", 0), ("followup_month", 0))


async def seed_planned_events(app: App, count: int) -> None:
    """`count` upcoming events, each with its five messages planned, written in one go."""

    def op(conn: sqlite3.Connection) -> None:
        now = to_iso(START)
        for number in range(1, count + 1):
            starts = START + timedelta(days=8, hours=number, seconds=number)
            (event_id,) = conn.execute(
                "INSERT INTO events (space, ref, channel, author, timezone, title, starts_at, ends_at,"
                " onsite_capacity, created_at, updated_at) VALUES (?, ?, 'general', 'console:alice', 'Europe/Paris',"
                " ?, ?, ?, 10, ?, ?) RETURNING id",
                (SPACE, number, f"Journée {number}", to_iso(starts), to_iso(starts + timedelta(hours=6)), now, now),
            ).fetchone()
            conn.executemany(
                "INSERT INTO scheduled_messages (space, ref, kind, event_id, offset_seconds, author, due_at,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'console:alice', ?, ?, ?)",
                [(SPACE, (number - 1) * len(STEPS) + step, kind, event_id, offset,
                  to_iso(starts - timedelta(seconds=offset) + timedelta(days=1 if kind == "followup_day" else
                                                                         30 if kind == "followup_month" else 0)),
                  now, now) for step, (kind, offset) in enumerate(STEPS, 1)],
            )  # fmt: skip

    await app.services.db.write(op)


def correlated_scans(conn: sqlite3.Connection, statement: str) -> list[str]:
    """The steps of a statement's plan that scan a whole table once per row of an outer query."""
    try:
        plan = conn.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
    except sqlite3.Error:
        return []  # BEGIN, SAVEPOINT, PRAGMA and the like have no plan
    details = {row[0]: (row[1], row[3]) for row in plan}

    def inside_correlated(node: int) -> bool:
        parent = details[node][0]
        while parent in details:
            if details[parent][1].startswith("CORRELATED"):
                return True
            parent = details[parent][0]
        return False

    return [detail for node, (_parent, detail) in details.items()
            if detail.startswith("SCAN") and inside_correlated(node)]  # fmt: skip


async def test_start_up_with_2000_planned_events_runs_no_correlated_scan(settings: Settings) -> None:
    """Every statement start-up runs finds an event's messages through an index, and their number does not grow."""
    async with running_app(settings) as first:
        await seed_planned_events(first, 2000)
    app = App(settings, ManualClock(START))
    statements: list[str] = []
    db, open_database = app.services.db, app.services.db.open

    async def open_traced() -> None:
        await open_database()
        assert db._writer is not None and db._reader is not None
        db._writer.set_trace_callback(statements.append)
        await db._reader.set_trace_callback(statements.append)

    db.open = open_traced  # type: ignore[method-assign]
    await app.start()
    await app.stop()
    with sqlite3.connect(settings.database) as conn:
        scans = {statement: found for statement in statements if (found := correlated_scans(conn, statement))}
    conn.close()
    assert any("NOT EXISTS" in statement for statement in statements)  # the unplanned events were looked for
    assert scans == {}
    assert len(statements) < 200  # not one look per event


async def test_many_instants_hold_one_job_and_each_fires_in_turn() -> None:
    """2,000 instants, half read at start and half added later: one APScheduler job, re-armed after each run."""
    clock = ManualClock(START)
    wakeups = Wakeups(clock)
    runs: list[datetime] = []
    instants = [START + timedelta(minutes=number) for number in range(1, 2001)]

    async def work() -> None:
        runs.append(clock.now())

    async def pending() -> list[datetime]:
        return instants[::2]

    wakeups.add_source(work, pending)
    await wakeups.start()
    try:
        for moment in reversed(instants[1::2]):  # each sooner than the last: the job is re-timed every time
            wakeups.wake_at(moment)
        runs.clear()  # the catch-up at start
        for _ in instants:
            (job,) = wakeups._scheduler.get_jobs()
            (moment,) = job.args
            clock.set(moment)
            await job.func(*job.args)  # what APScheduler does when the job's time comes
        assert wakeups._scheduler.get_jobs() == []
        assert runs == instants and wakeups.pending() == []
    finally:
        await wakeups.shutdown()


async def test_an_instant_falling_due_during_a_long_run_is_looked_at_after_it() -> None:
    """The one job, re-armed while a run is still sending, fires at the next instant and runs once that one ends."""
    clock = RehearsalClock()
    wakeups = Wakeups(clock)
    runs: list[datetime] = []
    release = asyncio.Event()

    async def work() -> None:
        runs.append(clock.now())
        if len(runs) == 2:  # the first wake-up after start's catch-up: a long fan-out
            await release.wait()

    async def until(condition: Callable[[], bool]) -> None:
        while not condition():
            await asyncio.sleep(0.01)

    wakeups.add_source(work)
    await wakeups.start()
    try:
        first, second = clock.now() + timedelta(milliseconds=50), clock.now() + timedelta(milliseconds=100)
        wakeups.wake_at(first)
        wakeups.wake_at(second)
        await asyncio.wait_for(until(lambda: wakeups.pending() == []), 5)  # both fired, the second during the run
        release.set()
        await asyncio.wait_for(until(lambda: len(runs) == 3), 5)
        assert runs[2] >= second
    finally:
        release.set()  # a failed wait must not leave shutdown waiting for the blocked run
        await wakeups.shutdown()

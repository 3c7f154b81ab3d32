"""Scheduler leadership between two bots on one PostgreSQL schema, in one test process."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from bot.app import App
from bot.config import Settings
from bot.core.clock import ManualClock
from bot.core.leadership import SoleProcess
from bot.core.model import Member
from bot.features.events.domain import EventDraft
from bot.ops.health import health
from bot.store.postgres.coordination import AdvisoryLocks
from tests.helpers import START, make_settings
from tests.postgres import fresh_schema

SPACE = "console:local"


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings on a fresh schema of the test server."""
    with fresh_schema() as url:
        yield make_settings(tmp_path / "unused.db", bot__database=url)


async def until(condition: object, seconds: float = 5.0) -> None:
    """Wait until `condition()` holds, failing after `seconds`."""
    assert callable(condition)
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"still false after {seconds} s")


async def test_one_bot_leads_the_other_takes_over_with_the_wake_ups_rebuilt(settings: Settings) -> None:
    """The first bot fires the wake-ups, the second arms none; once the first stops, the second leads with them."""
    first, second = App(settings, ManualClock(START)), App(settings, ManualClock(START))
    await first.start()
    try:
        staff = Member("console:alice", "alice", is_staff=True)
        draft = EventDraft("Journée", START + timedelta(days=2), START + timedelta(days=2, hours=8))
        await first.services.events.create(SPACE, "general", staff, draft)
        await second.start()
        assert isinstance(first.coordination, AdvisoryLocks)
        assert first.leadership.leading and not second.leadership.leading
        assert first.services.wakeups.pending() and second.services.wakeups.pending() == []
        second.services.wakeups.wake_at(START + timedelta(hours=1))  # a follower leaves it to the leader
        assert second.services.wakeups.pending() == []
        ok, body = await health(second)  # healthy: ready to take over
        assert ok and body["scheduler"] == {"ok": True, "leader": False, "running": False, "next_wakeup": None}
    finally:
        await first.stop()
    try:
        await until(lambda: second.leadership.leading)
        await until(lambda: bool(second.services.wakeups.pending()))  # rebuilt from the database
    finally:
        await second.stop()


async def test_the_leader_learns_within_seconds_what_a_follower_planned(settings: Settings) -> None:
    """An event created through a follower: its reminders' instants reach the leader's wake-ups."""
    first, second = App(settings, ManualClock(START)), App(settings, ManualClock(START))
    await first.start()
    await second.start()
    try:
        assert first.leadership.leading and first.services.wakeups.pending() == []
        staff = Member("console:alice", "alice", is_staff=True)
        draft = EventDraft("Journée", START + timedelta(days=2), START + timedelta(days=2, hours=8))
        await second.services.events.create(SPACE, "general", staff, draft)
        assert second.services.wakeups.pending() == []
        await until(lambda: START + timedelta(days=1) in first.services.wakeups.pending())  # the "1d" reminder
    finally:
        await second.stop()
        await first.stop()


async def test_a_leader_whose_session_is_cut_stands_down_then_leads_again(settings: Settings) -> None:
    """Its server session ended (a network cut), the leader stops firing, reconnects and leads again."""
    app = App(settings, ManualClock(START))
    await app.start()
    try:
        assert isinstance(app.coordination, AdvisoryLocks) and app.coordination._conn is not None
        pid = app.coordination._conn.info.backend_pid
        staff = Member("console:alice", "alice", is_staff=True)
        draft = EventDraft("Journée", START + timedelta(days=2), START + timedelta(days=2, hours=8))
        await app.services.events.create(SPACE, "general", staff, draft)
        with psycopg.connect(app.coordination.url, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        await until(lambda: not app.leadership.leading)
        assert app.services.wakeups.pending() == []
        await until(lambda: bool(app.services.wakeups.pending()))  # leading again, rebuilt
        assert app.leadership.leading
    finally:
        await app.stop()


async def test_on_sqlite_the_only_process_leads_from_the_start(tmp_path: Path) -> None:
    """One process per file: it leads before start returns."""
    app = App(make_settings(tmp_path / "bot.db"), ManualClock(START))
    await app.start()
    try:
        assert isinstance(app.coordination, SoleProcess) and app.leadership.leading
    finally:
        await app.stop()

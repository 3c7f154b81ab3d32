"""Check-in and follow-up setup stores: what each must do, whatever its database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.features.events.checkin_sqlite import SqliteCheckinStore
from bot.features.events.store import CheckinStore
from bot.features.schedule.domain import FollowupSetup
from bot.features.schedule.followup_sqlite import SqliteFollowupSetupStore
from bot.features.schedule.followup_store import FollowupSetupStore
from bot.store.sqlite.database import Database
from tests.contract.test_event_store import NOW, SPACE, create


async def test_a_member_checked_in_by_many_at_once_is_checked_in_once_at_the_first_time(
    store: Callable[[str], Any], database: Database
) -> None:
    """Ten concurrent check-ins of one member: one is new, all report the same first instant; staff can undo it."""
    event = await create(store("events"))
    checkins: CheckinStore = SqliteCheckinStore(database)
    results = await asyncio.gather(*(
        checkins.check_in(SPACE, event.id, "console:bob", "bob", "console:bob", NOW + timedelta(seconds=i))
        for i in range(10)
    ))  # fmt: skip
    assert sum(fresh for _at, fresh in results) == 1
    assert len({at for at, _fresh in results}) == 1
    await checkins.check_in(SPACE, event.id, "console:dan", "dan", "console:alice", NOW + timedelta(minutes=1))
    found = await checkins.checkins(event.id)
    assert [(p.member, p.how, p.source) for p in found] == [
        ("console:bob", "onsite", "self"), ("console:dan", "onsite", "staff"),
    ]  # fmt: skip
    assert await checkins.check_out(event.id, "console:bob") and not await checkins.check_out(event.id, "console:bob")
    assert [p.member for p in await checkins.checkins(event.id)] == ["console:dan"]


async def test_two_staff_changing_both_questions_at_once_both_land(
    store: Callable[[str], Any], database: Database
) -> None:
    """Each edit runs on the current setup inside its write: neither question is lost."""
    event = await create(store("events"))
    setups: FollowupSetupStore = SqliteFollowupSetupStore(database)
    assert await setups.setup(event.id) == FollowupSetup()
    await asyncio.gather(
        setups.change(event.id, SPACE, lambda s: s.with_text("day", "Jour ?"), "console:alice", NOW),
        setups.change(event.id, SPACE, lambda s: s.with_text("month", "Mois ?"), "console:zoe", NOW),
    )
    assert await setups.setup(event.id) == FollowupSetup("Jour ?", "Mois ?", "present")
    changed = await setups.change(event.id, SPACE, lambda s: FollowupSetup(None, s.month, "confirmed"), "x", NOW)
    assert changed == await setups.setup(event.id) == FollowupSetup(None, "Mois ?", "confirmed")

"""ScheduleStore contract: planned messages, deliveries claimed at most once, unsure after a stop, answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.notices import Notice
from bot.features.events.domain import EventDraft
from bot.features.schedule.domain import EventPlan, Planned
from bot.features.schedule.sqlite import SqliteScheduleStore
from bot.features.schedule.store import ScheduleStore
from bot.store.database import Database
from bot.store.sqlite.outbox import SqliteNoticeStore
from tests.contract.conftest import end_process

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
SPACE = "console:local"


@pytest.fixture
def schedule(store: Callable[[str], Any]) -> ScheduleStore:
    """The schedule store under test."""
    return store("schedule")


@pytest.fixture
async def event_id(store: Callable[[str], Any]) -> int:
    """An event that planned messages and answers belong to."""
    draft = EventDraft("Rencontre", NOW + timedelta(days=2), NOW + timedelta(days=2, hours=8))
    event = await store("events").create_event(SPACE, "general", "console:alice", "Europe/Paris", draft, NOW)
    return int(event.id)


async def test_staff_messages_are_numbered_found_and_due_in_order(schedule: ScheduleStore) -> None:
    """References per space, soonest first, due once their time has come."""
    later = await schedule.add(SPACE, "post", "general", "console:alice", "B", NOW + timedelta(hours=2), NOW)
    sooner = await schedule.add(SPACE, "post", "general", "console:alice", "A", NOW + timedelta(hours=1), NOW)
    await schedule.add("slack:T1", "post", "C1", "slack:U1", "other", NOW + timedelta(hours=1), NOW)
    assert (later.ref, sooner.ref) == (1, 2)
    assert [m.payload for m in await schedule.upcoming(SPACE)] == ["A", "B"]
    assert await schedule.find(SPACE, 2) == sooner
    assert [m.payload for m in await schedule.due(NOW + timedelta(hours=1))] == ["A", "other"]
    await schedule.set_status(sooner.id, "cancelled", NOW)
    assert [m.payload for m in await schedule.upcoming(SPACE)] == ["B"]


async def test_many_plans_in_one_write_store_each_event_once(
    schedule: ScheduleStore, store: Callable[[str], Any], event_id: int
) -> None:
    """Several events planned together, one already planned: the others get theirs, numbered in turn."""
    draft = EventDraft("Atelier", NOW + timedelta(days=3), NOW + timedelta(days=3, hours=2))
    other = (await store("events").create_event(SPACE, "general", "console:bob", "Europe/Paris", draft, NOW)).id
    steps = [Planned("reminder", 86400, NOW + timedelta(days=1)), Planned("followup_day", 0, NOW + timedelta(days=3))]
    await schedule.plan(SPACE, event_id, "console:alice", steps[:1], NOW)
    plans = [EventPlan(SPACE, event_id, "console:alice", steps), EventPlan(SPACE, other, "console:bob", steps)]
    assert await schedule.plan_many(plans, NOW) == [step.due_at for step in steps]
    assert await schedule.plan_many(plans, NOW) == []
    upcoming = await schedule.upcoming(SPACE)
    assert sorted((m.event_id, m.kind, m.ref, m.author) for m in upcoming) == [
        (event_id, "reminder", 1, "console:alice"),
        (other, "followup_day", 3, "console:bob"),
        (other, "reminder", 2, "console:bob"),
    ]


async def test_a_plan_is_stored_once_and_retimed_unless_moved_by_staff(schedule: ScheduleStore, event_id: int) -> None:
    """Planning twice plans once; an edit moves pending steps, but not the one staff rescheduled."""
    steps = [Planned("reminder", 86400, NOW + timedelta(days=1)), Planned("followup_day", 0, NOW + timedelta(days=3))]
    assert len(await schedule.plan(SPACE, event_id, "console:alice", steps, NOW)) == 2
    assert await schedule.plan(SPACE, event_id, "console:alice", steps, NOW) == []
    assert await schedule.has_plan(event_id) and not await schedule.has_plan(event_id + 1)
    reminder = next(m for m in await schedule.upcoming(SPACE) if m.kind == "reminder")
    moved = await schedule.reschedule(reminder.id, NOW + timedelta(hours=5), NOW)
    assert moved.manual
    await schedule.retime(
        event_id, {("reminder", 86400): NOW + timedelta(days=2), ("followup_day", 0): NOW + timedelta(days=4)}, NOW
    )
    due = {m.kind: m.due_at for m in await schedule.upcoming(SPACE)}
    assert due == {"reminder": NOW + timedelta(hours=5), "followup_day": NOW + timedelta(days=4)}


async def test_a_recipient_is_claimed_once_even_by_racing_senders(schedule: ScheduleStore) -> None:
    """Twenty concurrent claims of one recipient: exactly one wins; the claimed set says who has a row."""
    message = await schedule.add(SPACE, "post", "general", "console:alice", "Hi", NOW, NOW)
    wins = await asyncio.gather(*(schedule.claim(message.id, SPACE, "console:bob", "bob", NOW) for _ in range(20)))
    assert wins.count(True) == 1
    assert await schedule.claimed(message.id) == {"console:bob"}


async def test_a_chunk_of_claims_skips_rows_already_there_and_released_claims_vanish(
    schedule: ScheduleStore, database: Database, twin: Database
) -> None:
    """A chunk's claims skip recipients already holding a row; its outcomes mark rows, and released claims vanish."""
    message = await schedule.add(SPACE, "post", "general", "console:alice", "Hi", NOW, NOW)
    assert await SqliteScheduleStore(twin).claim(message.id, SPACE, "console:bob", "bob", NOW)
    await end_process(twin, database)  # the process that claimed bob is gone
    chunk = [(f"console:{name}", name) for name in ("bob", "carol", "dave", "erin")]
    assert await schedule.claim_many(message.id, SPACE, chunk, NOW) == ["console:carol", "console:dave", "console:erin"]
    outcomes = {"console:carol": "sent", "console:dave": "failed"}
    await schedule.finish_many(message.id, outcomes, ["console:erin"], NOW)
    assert await schedule.claimed(message.id) == {"console:bob", "console:carol", "console:dave"}
    assert [(m.id, names) for m, names in await schedule.mark_unsure(NOW)] == [(message.id, ["bob"])]
    assert await schedule.claim_many(message.id, SPACE, chunk, NOW) == ["console:erin"]  # released: claimable again


async def test_claims_left_sending_become_unsure_and_are_reported_by_name(
    schedule: ScheduleStore, database: Database, twin: Database
) -> None:
    """After a stop, rows still 'sending' turn 'unsure' (never re-sent) and the author's notice is queued with them."""
    message = await schedule.add(SPACE, "post", "general", "console:zoe", "Hi\nall", NOW, NOW)
    stopped = SqliteScheduleStore(twin)  # the process that stops mid fan-out
    for name in ("bob", "carol", "dave"):
        assert await stopped.claim(message.id, SPACE, f"console:{name}", name, NOW)
    await stopped.finish(message.id, "console:bob", "sent", NOW)
    await end_process(twin, database)
    unsure = await schedule.mark_unsure(NOW)
    assert [(m.id, sorted(names)) for m, names in unsure] == [(message.id, ["carol", "dave"])]
    assert await schedule.mark_unsure(NOW) == []
    assert not await schedule.claim(message.id, SPACE, "console:carol", "carol", NOW)
    assert await queued(database) == [
        Notice(SPACE, "console:zoe", "schedule.unsure", {"ref": message.ref, "title": "Hi", "names": ["carol", "dave"]})
    ]


@pytest.mark.parametrize("database", ["postgres"], indirect=True)  # on SQLite one process runs per file
async def test_claims_of_a_process_still_running_are_never_taken_for_unsure(
    schedule: ScheduleStore, database: Database, twin: Database
) -> None:
    """Another live process's claims in flight stay 'sending' when a process starts; they become unsure once it is gone."""
    message = await schedule.add(SPACE, "post", "general", "console:zoe", "Hi", NOW, NOW)
    assert await SqliteScheduleStore(twin).claim(message.id, SPACE, "console:bob", "bob", NOW)
    assert await schedule.mark_unsure(NOW) == []
    assert await schedule.claimed(message.id) == {"console:bob"}
    await end_process(twin, database)
    assert [(m.id, names) for m, names in await schedule.mark_unsure(NOW)] == [(message.id, ["bob"])]


async def test_completing_an_event_message_tells_its_author_whom_it_missed(
    schedule: ScheduleStore, database: Database, event_id: int
) -> None:
    """'done' with failed deliveries queues one notice to the event's author in that write; none when all went."""
    plan = [Planned("reminder", 3600, NOW), Planned("followup_day", 0, NOW)]
    await schedule.plan(SPACE, event_id, "console:alice", plan, NOW)
    reminder, followup = sorted(await schedule.due(NOW), key=lambda m: m.kind != "reminder")
    for name in ("bob", "carol", "dave"):
        await schedule.claim(reminder.id, SPACE, f"console:{name}", name, NOW)
        await schedule.finish(reminder.id, f"console:{name}", "sent" if name == "bob" else "failed", NOW)
        await schedule.claim(followup.id, SPACE, f"console:{name}", name, NOW)
        await schedule.finish(followup.id, f"console:{name}", "sent", NOW)
    for message in (reminder, followup):
        await schedule.complete(message.id, NOW)
    assert await schedule.due(NOW) == []
    assert await queued(database) == [
        Notice(SPACE, "console:alice", "schedule.missed", {"ref": 1, "title": "Rencontre", "names": ["carol", "dave"]})
    ]


async def queued(database: Database) -> list[Notice]:
    """The notices waiting in the outbox, oldest first."""
    return [item.notice for item in await SqliteNoticeStore(database).claim([SPACE], 100, NOW)]


async def test_feedback_keeps_a_rating_and_a_text_per_step(schedule: ScheduleStore, event_id: int) -> None:
    """A rating then a text for one step make one answer; None keeps what was stored."""
    await schedule.save_feedback(event_id, SPACE, "console:bob", "day", 4, None, NOW)
    await schedule.save_feedback(event_id, SPACE, "console:bob", "day", None, "Plus de pauses", NOW)
    [row] = await schedule.feedback(event_id)
    assert (row.member, row.step, row.rating, row.text) == ("console:bob", "day", 4, "Plus de pauses")

"""Reminders, follow-up questions and staff messages sent on schedule, at most once each."""

from __future__ import annotations

from bot.feature import Built, Feature, Kernel, Unit
from bot.features.events.domain import EventService
from bot.features.polls.domain import PollService
from bot.features.schedule.commands import ScheduleDeps
from bot.features.schedule.domain import ScheduleService
from bot.features.schedule.sqlite import SqliteScheduleStore
from bot.features.schedule.store import ScheduleStore
from bot.scheduler import Source


def build(kernel: Kernel, store: ScheduleStore, built: Built) -> Unit:
    """The schedule service, following every change of an event, woken at each due instant."""
    events, polls = built["events"].service, built["polls"].service
    assert isinstance(events, EventService) and isinstance(polls, PollService)
    schedule = ScheduleService(
        store, events, polls, kernel.cards, kernel.delivery, kernel.clock, kernel.spaces,
        kernel.wakeups.wake_at, kernel.pacer,
    )  # fmt: skip
    events.observers.append(schedule.sync_event)
    return Unit(
        service=schedule,
        deps=ScheduleDeps(schedule, events),
        wakeups=(Source(schedule.run_due, schedule.pending_times),),
        on_start=(schedule.recover,),
        on_stop=(schedule.stop,),
    )


FEATURE = Feature("schedule", __name__, build, store=SqliteScheduleStore)

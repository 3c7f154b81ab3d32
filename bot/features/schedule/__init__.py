"""Reminders, follow-up questions and staff messages sent on schedule, at most once each."""

from __future__ import annotations

from bot.feature import Built, Feature, Kernel, Unit
from bot.features.events.domain import EventService
from bot.features.polls.domain import PollService
from bot.features.schedule.commands import ScheduleDeps
from bot.features.schedule.followup_setup import FollowupSetups
from bot.features.schedule.followup_sqlite import SqliteFollowupSetupStore
from bot.features.schedule.service import Followups, Schedule, ScheduleService, Sender
from bot.features.schedule.sqlite import SqliteScheduleStore
from bot.features.schedule.store import ScheduleStore
from bot.features.schedule.views import SchedulePresenter, render_notice
from bot.scheduler import Source


def build(kernel: Kernel, store: ScheduleStore, built: Built) -> Unit:
    """Planning follows every change of an event; the sender is woken at each due instant."""
    events, polls = built["events"].service, built["polls"].service
    assert isinstance(events, EventService) and isinstance(polls, PollService)
    presenter = SchedulePresenter()
    setups = FollowupSetups(SqliteFollowupSetupStore(kernel.db), events, kernel.clock)
    schedule = ScheduleService(store, events, kernel.clock, kernel.spaces, kernel.wakeups.wake_at, presenter, setups)
    sender = Sender(
        store,
        events,
        polls,
        kernel.cards,
        kernel.delivery,
        kernel.clock,
        kernel.spaces,
        kernel.pacer,
        presenter,
        setups,
        kernel.metrics,
    )
    followups = Followups(store, events, kernel.clock)
    events.observers.append(schedule.sync_event)
    return Unit(
        service=Schedule(schedule, sender, followups),
        deps=ScheduleDeps(schedule, followups, events, setups),
        notices={"schedule": render_notice},  # authors told of recipients missed or unsure
        wakeups=(Source(sender.run_due, sender.pending_times),),
        on_start=(schedule.plan_missing, sender.recover),
        on_stop=(sender.stop,),
        on_takeover=(sender.recover,),
    )


FEATURE = Feature("schedule", __name__, build, store=SqliteScheduleStore)

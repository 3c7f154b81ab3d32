"""Events and sign-up: places on site and remote, waitlists, antennas, workshops, calendar files."""

from __future__ import annotations

from bot.core.livecards import subject_id
from bot.feature import Built, Feature, Kernel, Unit
from bot.features.events.checkin_sqlite import SqliteCheckinStore
from bot.features.events.commands import EventDeps
from bot.features.events.domain import EventService, missed
from bot.features.events.sqlite import SqliteEventStore
from bot.features.events.store import EventStore
from bot.features.events.views import event_card, render_notice
from bot.i18n import Translator
from bot.scheduler import Source
from bot.ui import Card


def build(kernel: Kernel, store: EventStore, _built: Built) -> Unit:
    """The event service, its live sign-up card, its notices and its offer-expiry wake-ups."""

    events = EventService(
        store,
        kernel.cards,
        kernel.clock,
        kernel.spaces,
        kernel.wakeups.wake_at,
        SqliteCheckinStore(kernel.db),
        kernel.metrics,
    )

    async def render(subject: str) -> Card | None:
        """The live card of "event:ID", in its space's language."""
        event = await store.get_event(subject_id(subject))
        if event is None:
            return None
        counts = await events.counts(event)
        return event_card(event, counts, Translator(kernel.spaces(event.space).locale), kernel.clock.now())

    return Unit(
        service=events,
        deps=EventDeps(events, kernel.cards),
        renderers={"event": render},
        notices={"event": render_notice},
        undelivered={"event": missed},
        wakeups=(Source(events.expire_offers, store.next_offer_expiries),),
    )


FEATURE = Feature("events", __name__, build, store=SqliteEventStore)

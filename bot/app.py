"""The composition root: settings -> store -> services -> scheduler -> dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.dispatch import Dispatcher
from bot.commands.registry import Registry, build_registry
from bot.config import Settings
from bot.core.clock import Clock, SystemClock
from bot.core.delivery import DeliveryHub
from bot.core.event_cards import event_card
from bot.core.events import EventService
from bot.core.idea_cards import idea_card, top_card
from bot.core.ideas import FINAL_TOP, IdeaLimits, IdeaService
from bot.core.live import LiveCards
from bot.core.poll_cards import final_card, poll_card
from bot.core.polls import PollService
from bot.core.ports import Delivery
from bot.core.schedule import Pacer, ScheduleService, parse_rates
from bot.core.spaces import SpaceDirectory
from bot.i18n import Translator
from bot.scheduler import Wakeups
from bot.store.sqlite.database import Database
from bot.store.sqlite.events import SqliteEventStore
from bot.store.sqlite.ideas import SqliteIdeaStore
from bot.store.sqlite.messages import SqliteMessageStore
from bot.store.sqlite.polls import SqlitePollStore
from bot.store.sqlite.schedule import SqliteScheduleStore
from bot.ui import Card, Reply


@dataclass
class Services:
    """Everything handlers may use; built once, here."""

    settings: Settings
    clock: Clock
    spaces: SpaceDirectory
    db: Database
    delivery: DeliveryHub
    live: LiveCards
    wakeups: Wakeups
    registry: Registry
    polls: PollService
    ideas: IdeaService
    events: EventService
    schedule: ScheduleService = None  # type: ignore[assignment]  # set right after, it needs the others


def subject_id(subject: str) -> int:
    """The id part of a live subject ("poll:42" -> 42)."""
    return int(subject.split(":", 1)[1])


class App:
    """A running Phosphore: open it, hand `dispatcher` to adapters, close it."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        clock = clock or SystemClock()
        spaces = SpaceDirectory(settings.space_defaults(), settings.spaces)
        db = Database(settings.database, settings["bot.synchronous"].upper())
        delivery = DeliveryHub()
        live = LiveCards(SqliteMessageStore(db), delivery, clock, settings["bot.live_update_interval"])
        wakeups = Wakeups(clock)
        limits = IdeaLimits(
            settings["ideas.max_length"], settings["ideas.flood_per_minute"], settings["ideas.duplicate_threshold"]
        )
        self.services = Services(
            settings, clock, spaces, db, delivery, live, wakeups, build_registry(),
            polls=PollService(SqlitePollStore(db), live, clock, spaces),
            ideas=IdeaService(SqliteIdeaStore(db), live, clock, spaces, delivery, limits),
            events=EventService(SqliteEventStore(db), live, clock, spaces, delivery, wakeups.wake_at),
        )  # fmt: skip
        self.services.schedule = ScheduleService(
            SqliteScheduleStore(db), self.services.events, self.services.polls, live, delivery, clock, spaces,
            wakeups.wake_at, Pacer(parse_rates(settings["schedule.send_rate"])),
        )
        self.services.events.observers.append(self.services.schedule.sync_event)
        delivery.on_register.append(lambda _platform: wakeups.wake_at(clock.now()))
        self.dispatcher = Dispatcher(self.services, self.services.registry)
        live.register("poll", self._render_poll)
        live.register("idea", self._render_idea)
        live.register("event", self._render_event)
        wakeups.add_source(self._close_due_polls, self.services.polls.store.next_closing_times)
        wakeups.add_source(self._close_due_walls, self.services.ideas.store.next_closing_times)
        wakeups.add_source(self.services.events.expire_offers, self.services.events.store.next_offer_expiries)
        wakeups.add_source(self.services.schedule.run_due, self.services.schedule.pending_times)

    def translator(self, space: str) -> Translator:
        """`_()` in a space's own language, for what the bot posts on its own."""
        return Translator(self.services.spaces(space).locale)

    async def start(self) -> None:
        """Open the database, schedule what is pending, and catch up on what fell due while down."""
        await self.services.db.open()
        try:
            await self.services.schedule.recover()
            await self.services.wakeups.start()
        except BaseException:
            # An open database keeps its threads alive: the process could not exit.
            await self.services.db.close()
            raise

    async def detach(self, platform: str, messenger: Delivery) -> None:
        """An adapter is stopping: show the last live states through it, then stop routing to it."""
        await self.services.live.drain()
        self.services.delivery.unregister(platform, messenger)

    async def stop(self) -> None:
        """Flush live cards and notices, stop the scheduler and close the database."""
        await self.services.wakeups.shutdown()
        await self.services.schedule.stop()
        await self.services.live.drain()
        await self.services.events.background.drain()
        await self.services.db.close()

    async def _render_poll(self, subject: str) -> Card | None:
        """The live card of "poll:ID", in its space's language."""
        poll = await self.services.polls.store.get_poll(subject_id(subject))
        if poll is None:
            return None
        tally = await self.services.polls.tally(poll)
        tz = self.services.spaces(poll.space).tz
        return poll_card(poll, tally, self.translator(poll.space), tz, self.services.clock.now())

    async def _render_idea(self, subject: str) -> Card | None:
        """The live card of "idea:ID", in its space's language."""
        store = self.services.ideas.store
        idea = await store.get_idea(subject_id(subject))
        wall = None if idea is None else await store.get_wall(idea.wall_id)
        if idea is None or wall is None:
            return None
        return idea_card(idea, wall, self.translator(idea.space), self.services.clock.now())

    async def _render_event(self, subject: str) -> Card | None:
        """The live card of "event:ID", in its space's language."""
        event = await self.services.events.store.get_event(subject_id(subject))
        if event is None:
            return None
        counts = await self.services.events.counts(event)
        return event_card(event, counts, self.translator(event.space), self.services.clock.now())

    async def _close_due_polls(self) -> None:
        """Close polls whose time has come: freeze their cards and post the final results."""
        for poll in await self.services.polls.close_due(self.services.delivery.ready):
            await self.services.live.flush_now(poll.subject)
            tally = await self.services.polls.tally(poll)
            tz = self.services.spaces(poll.space).tz
            card = final_card(poll, tally, self.translator(poll.space), tz, self.services.clock.now())
            await self.services.delivery.post(poll.space, poll.channel, Reply(card=card, public=True))

    async def _close_due_walls(self) -> None:
        """Close idea walls whose time has come and post their final top list in their channel."""
        for wall in await self.services.ideas.close_due(self.services.delivery.ready):
            ranking = await self.services.ideas.top(wall, limit=FINAL_TOP)
            card = top_card(wall, ranking, self.translator(wall.space), final=True)
            await self.services.delivery.post(wall.space, wall.channel, Reply(card=card, public=True))

"""The composition root: settings -> store -> features -> scheduler -> dispatcher, in one place."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from bot.commands.dispatch import Dispatcher
from bot.commands.registry import Registry, build_registry
from bot.config import Settings
from bot.core.clock import Clock, SystemClock
from bot.core.delivery import DeliveryHub
from bot.core.leadership import Coordination, Leadership, SoleProcess
from bot.core.livecards import LiveCards
from bot.core.metrics import Metrics
from bot.core.outbox import NoticeSender
from bot.core.pacing import Pacer, parse_rates
from bot.core.ports import Delivery
from bot.core.spaces import SpaceDirectory
from bot.core.subscriptions import Subscriptions
from bot.feature import Feature, Kernel, NoticeRenderer, Unit, migration_folders
from bot.features import FEATURES
from bot.i18n import add_catalogs
from bot.scheduler import Wakeups
from bot.store.database import Database
from bot.store.sqlite.database import Database as SqliteDatabase
from bot.store.sqlite.messages import SqliteMessageStore
from bot.store.sqlite.outbox import SqliteNoticeStore
from bot.store.sqlite.subscriptions import SqliteSubscriptionStore

T = TypeVar("T")


class Services:
    """The kernel and every feature's public service, for adapters and the command line.

    Handlers do not see this: each receives its own feature's `deps`.
    """

    def __init__(self, kernel: Kernel, units: Mapping[str, Unit]) -> None:
        self.settings = kernel.settings
        self.clock = kernel.clock
        self.spaces = kernel.spaces
        self.db = kernel.db
        self.delivery = kernel.delivery
        self.cards = kernel.cards
        self.wakeups = kernel.wakeups
        self.registry = kernel.registry
        self.pacer = kernel.pacer
        self.subscriptions = kernel.subscriptions
        self.metrics = kernel.metrics
        self.units = units

    def __getattr__(self, feature: str) -> Any:
        """A feature's public service by the feature's name (`services.polls`)."""
        unit = self.__dict__.get("units", {}).get(feature)
        if unit is None:
            raise AttributeError(feature)
        return unit.service

    def get(self, kind: type[T]) -> T:
        """The one feature service of type `kind`, typed."""
        found = [unit.service for unit in self.units.values() if isinstance(unit.service, kind)]
        if len(found) != 1:
            raise LookupError(f"{len(found)} services of type {kind.__name__}")
        return found[0]


def open_database(settings: Settings, features: tuple[Feature, ...] = FEATURES) -> Database:
    """The database `bot.database` names: a PostgreSQL server for a postgresql:// URL, else an SQLite file."""
    url = settings.database_url
    if url is not None:
        from bot.store.postgres.database import Database as PostgresDatabase  # psycopg only for those who use it

        return PostgresDatabase(url, migration_folders(features))
    return SqliteDatabase(settings.database, settings["bot.synchronous"].upper(), migration_folders(features))


def open_coordination(settings: Settings) -> Coordination:
    """How this process agrees with the others on its database: advisory locks on a server, none on a file."""
    url = settings.database_url
    if url is not None:
        from bot.store.postgres.coordination import AdvisoryLocks

        return AdvisoryLocks(url)
    return SoleProcess()


class App:
    """A running Phosphore, built in one go: open it, hand `dispatcher` to adapters, close it.

    Tests inject a clock, stores (by feature name), a delivery hub or fewer features.
    """

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        stores: Mapping[str, object] | None = None,
        delivery: DeliveryHub | None = None,
        features: tuple[Feature, ...] = FEATURES,
    ) -> None:
        clock = clock or SystemClock()
        db = open_database(settings, features)
        self.coordination = open_coordination(settings)
        delivery = delivery or DeliveryHub()
        metrics = Metrics()
        cards = LiveCards(
            SqliteMessageStore(db), delivery, clock, settings["bot.live_update_interval"], None, metrics,
            exclusive=self.coordination.exclusive,
        )  # fmt: skip
        wakeups = Wakeups(clock)
        spaces = SpaceDirectory(settings.space_defaults(), settings.spaces)
        registry: Registry = build_registry(features)
        pacer = Pacer(parse_rates(settings["schedule.send_rate"]))
        subscriptions = Subscriptions(SqliteSubscriptionStore(db), clock)
        for folder in (feature.locales() for feature in features):
            if folder is not None:
                add_catalogs(Path(str(folder)))
        kernel = Kernel(settings, clock, spaces, db, delivery, cards, wakeups, registry, pacer, subscriptions, metrics)
        self.units = self._build(kernel, features, stores or {})
        notice_store = SqliteNoticeStore(db)
        self.notices = NoticeSender(
            notice_store, delivery, pacer, spaces, clock, self._notice_renderers(),
            {prefix: tell for unit in self.units.values() for prefix, tell in unit.undelivered.items()}, metrics,
        )  # fmt: skip
        metrics.add_queue("outbox", notice_store.waiting_by_platform)
        wakeups.add_source(self.notices.run)
        db.on_notices.append(self.notices.nudge)
        self.services = Services(kernel, self.units)
        # Other processes' `wake_at` does nothing: a leader among several reads the instants they planned.
        refresh = wakeups.refresh if self.coordination.shared else None
        self.leadership = Leadership(self.coordination, self._take_lead, wakeups.stand_down, refresh)
        self._started = False
        deps = {name: unit.deps for name, unit in self.units.items()}
        inbound = {name: unit.on_message for name, unit in self.units.items() if unit.on_message is not None}
        self.dispatcher = Dispatcher(registry, deps, clock, spaces, cards, subscriptions, inbound, metrics)
        delivery.on_register.append(lambda _platform: wakeups.wake_at(clock.now()))

    @staticmethod
    def _build(kernel: Kernel, features: tuple[Feature, ...], stores: Mapping[str, object]) -> dict[str, Unit]:
        """Build each feature on its store, in list order, and register its renderers and wake-ups."""
        units: dict[str, Unit] = {}
        for feature in features:
            store = stores.get(feature.name) or (feature.store(kernel.db) if feature.store else None)
            unit = feature.build(kernel, store, units)
            for kind, renderer in unit.renderers.items():
                kernel.cards.register(kind, renderer)
            for source in unit.wakeups:
                kernel.wakeups.add_source(source.run, source.pending)
            units[feature.name] = unit
        return units

    def _notice_renderers(self) -> dict[str, NoticeRenderer]:
        """Every unit's notice renderers by kind prefix; two features may not claim one prefix."""
        renderers: dict[str, NoticeRenderer] = {}
        for name, unit in self.units.items():
            for prefix, render in unit.notices.items():
                if prefix in renderers:
                    raise ValueError(f"notice prefix {prefix!r} of feature {name!r} is already taken")
                renderers[prefix] = render
        return renderers

    async def start(self) -> None:
        """Open the database, let features recover, then, leading, schedule what is pending and catch up."""
        await self.services.db.open()
        try:
            await self.coordination.open()
            await self.notices.recover()  # before anything can send: what a dead process was sending is unsure
            await self.services.subscriptions.load()
            for unit in self.units.values():
                for hook in unit.on_start:
                    await hook()
            await self.leadership.start()  # the sole process (SQLite) leads at once; others follow, ready to take over
            self._started = True
        except BaseException:
            # An open database keeps its threads alive: the process could not exit.
            await self.coordination.close()
            await self.services.db.close()
            raise

    async def _take_lead(self) -> None:
        """This process fires the wake-ups from now on; taking over from a dead leader, it first recovers."""
        if self._started:  # at start the recovery has just run
            await self.notices.recover()  # the dead leader's claims are unsure; a live process's are left alone
            for unit in self.units.values():
                for hook in unit.on_takeover:
                    await hook()
        await self.services.wakeups.start()  # rebuilt from the database, then caught up, as at start

    async def detach(self, platform: str, messenger: Delivery) -> None:
        """An adapter is stopping: show the last live states through it, then stop routing to it."""
        await self.services.cards.drain()
        self.services.delivery.unregister(platform, messenger)

    async def stop(self) -> None:
        """Stop the scheduler and every sender at once, flush live cards and close the database.

        The senders are told to stop together with the scheduler, not after its run in progress: a long
        paced fan-out then ends at its next recipient (the claims it never sent released) instead of
        holding the stop until a container's grace period runs out and the process is killed mid-chunk.
        """
        await self.leadership.stop()
        hooks = [hook for unit in reversed(list(self.units.values())) for hook in unit.on_stop]
        await asyncio.gather(self.services.wakeups.shutdown(), self.notices.stop(), *(hook() for hook in hooks))
        await self.services.cards.drain()
        await self.coordination.close()  # leadership passes on
        await self.services.db.close()

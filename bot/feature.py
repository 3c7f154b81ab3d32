"""A feature as one unit: its declaration, the kernel it builds on, and what it gives back once built."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module, resources
from importlib.resources.abc import Traversable
from types import ModuleType
from typing import Any

from bot.commands.registry import Registry
from bot.config import Settings
from bot.core.clock import Clock
from bot.core.delivery import DeliveryHub
from bot.core.livecards import LiveCards, Renderer
from bot.core.metrics import Metrics
from bot.core.notices import Notice
from bot.core.pacing import Pacer
from bot.core.spaces import SpaceDirectory
from bot.core.subscriptions import InboundHandler, Subscriptions
from bot.i18n import Translator
from bot.scheduler import Source, Wakeups
from bot.store.database import Database
from bot.ui import Reply

Hook = Callable[[], Awaitable[None]]
NoticeRenderer = Callable[[Notice, Translator], Reply]
Undelivered = Callable[[Sequence[Notice]], Sequence[Notice]]  # notices that could not be sent -> notices about that


@dataclass(frozen=True)
class Kernel:
    """What every feature builds on: settings, time, spaces, storage, sending, live cards, wake-ups, listening."""

    settings: Settings
    clock: Clock
    spaces: SpaceDirectory
    db: Database
    delivery: DeliveryHub
    cards: LiveCards
    wakeups: Wakeups
    registry: Registry
    pacer: Pacer  # the platforms' rate limits, shared by everything that sends private messages
    subscriptions: Subscriptions  # the channels and threads whose messages reach a feature's `on_message`
    metrics: Metrics = field(default_factory=Metrics)  # what happened, counted where it happens (served by bot.ops)


@dataclass(frozen=True)
class Unit:
    """A built feature: its public service, what its handlers receive, and what the app runs for it."""

    service: object
    deps: object  # handed to the feature's handlers as `ctx.deps`
    renderers: Mapping[str, Renderer] = field(default_factory=dict)  # live subject kind -> renderer
    notices: Mapping[str, NoticeRenderer] = field(default_factory=dict)  # notice kind prefix -> renderer
    undelivered: Mapping[str, Undelivered] = field(default_factory=dict)  # prefix -> who to tell of failures
    wakeups: tuple[Source, ...] = ()  # due work and where its next instants are read
    on_start: tuple[Hook, ...] = ()  # after the database opens, before wake-ups start
    on_stop: tuple[Hook, ...] = ()  # before the database closes
    # When this process takes the scheduler over from one that died (PostgreSQL): what it left in flight is unsure.
    on_takeover: tuple[Hook, ...] = ()
    on_message: InboundHandler | None = None  # messages posted where the feature subscribed


Built = Mapping[str, Unit]  # the units built so far, by feature name: a feature reaches another's service here
Build = Callable[[Kernel, Any, Built], Unit]  # (kernel, its store, units built before it) -> its unit


@dataclass(frozen=True)
class Feature:
    """One folder of `bot/features/`: commands and actions, rules, views, store port, migrations, catalog.

    `package` holds `commands.py` (collected by the registry), `migrations/*.sql` and
    `locales/<lang>.po`; `store` builds its SQLite store on the database; `build` wires the rest.
    """

    name: str
    package: str
    build: Build
    store: Callable[[Database], object] | None = None
    command_modules: tuple[str, ...] = ("commands",)  # a large feature may split its commands by topic

    def commands(self) -> list[ModuleType]:
        """The modules declaring the feature's commands, action routes and reference sources."""
        return [import_module(f"{self.package}.{name}") for name in self.command_modules]

    def migrations(self) -> Traversable | None:
        """The feature's migrations folder, if it has one."""
        folder = resources.files(self.package) / "migrations"
        return folder if folder.is_dir() else None

    def locales(self) -> Traversable | None:
        """The feature's catalogs folder (`<lang>.po`), if it has one."""
        folder = resources.files(self.package) / "locales"
        return folder if folder.is_dir() else None


def migration_folders(features: Iterable[Feature]) -> list[Traversable]:
    """The migrations folders of `features` (the shared one is always applied too)."""
    return [folder for folder in (feature.migrations() for feature in features) if folder is not None]

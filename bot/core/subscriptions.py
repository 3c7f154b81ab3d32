"""Which features listen to which channels and threads: routed from memory, kept in a store across restarts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.clock import Clock
from bot.core.model import InboundMessage

InboundHandler = Callable[[InboundMessage], Awaitable[None]]  # a feature's `on_message`


@dataclass(frozen=True)
class Subscription:
    """A feature listens to a channel of a space, or to one thread of it."""

    feature: str
    space: str
    channel: str
    thread: str | None = None  # None: the whole channel, its threads included

    def covers(self, message: InboundMessage) -> bool:
        """Whether `message` was posted where this subscription listens."""
        return (
            message.space == self.space
            and message.channel == self.channel
            and (self.thread is None or self.thread == message.thread)
        )


class SubscriptionStore(Protocol):
    """Where subscriptions outlive the process."""

    async def add(self, subscription: Subscription, now: datetime) -> bool:
        """Record `subscription`; False when it already existed."""
        ...

    async def remove(self, subscription: Subscription) -> bool:
        """Forget `subscription`; False when it did not exist."""
        ...

    async def all(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        ...


class Subscriptions:
    """The registry features subscribe through at run time; the dispatcher asks it who listens where."""

    def __init__(self, store: SubscriptionStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._by_channel: dict[tuple[str, str], list[Subscription]] = {}

    async def load(self) -> None:
        """Read the stored subscriptions (at start, once the database is open)."""
        self._by_channel.clear()
        self._index(await self.store.all())

    def _index(self, subscriptions: Iterable[Subscription]) -> None:
        for subscription in subscriptions:
            entries = self._by_channel.setdefault((subscription.space, subscription.channel), [])
            if subscription not in entries:
                entries.append(subscription)

    async def subscribe(self, feature: str, space: str, channel: str, thread: str | None = None) -> bool:
        """Route what is posted there to `feature` from now on, restarts included; False if it already was."""
        subscription = Subscription(feature, space, channel, thread)
        added = await self.store.add(subscription, self.clock.now())  # on disk before it takes effect
        self._index([subscription])
        return added

    async def unsubscribe(self, feature: str, space: str, channel: str, thread: str | None = None) -> bool:
        """Stop routing there to `feature`; False if it was not subscribed."""
        subscription = Subscription(feature, space, channel, thread)
        removed = await self.store.remove(subscription)
        entries = self._by_channel.get((space, channel), [])
        if subscription in entries:
            entries.remove(subscription)
        return removed

    def of(self, feature: str) -> list[Subscription]:
        """The subscriptions of one feature."""
        return [s for entries in self._by_channel.values() for s in entries if s.feature == feature]

    def listeners(self, message: InboundMessage) -> list[str]:
        """The features subscribed where `message` was posted, each once, in subscription order."""
        entries = self._by_channel.get((message.space, message.channel), [])
        return list(dict.fromkeys(s.feature for s in entries if s.covers(message)))

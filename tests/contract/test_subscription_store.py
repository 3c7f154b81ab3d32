"""The subscription store contract: written against the port, run on every backend."""

from __future__ import annotations

from bot.core.subscriptions import Subscription
from bot.store.database import Database
from bot.store.sqlite.subscriptions import SqliteSubscriptionStore
from tests.helpers import START

CHANNEL = Subscription("echo", "slack:T1", "C1")
THREAD = Subscription("echo", "slack:T1", "C1", "1700000000.000100")


async def test_a_channel_and_one_of_its_threads_are_two_subscriptions(database: Database) -> None:
    """Adding is idempotent; a thread subscription is distinct from its channel's; listing keeps the order."""
    store = SqliteSubscriptionStore(database)
    assert await store.add(CHANNEL, START) and await store.add(THREAD, START)
    assert not await store.add(CHANNEL, START)
    assert await store.all() == [CHANNEL, THREAD]


async def test_removing_forgets_only_that_subscription(database: Database) -> None:
    """Removing the channel leaves the thread; removing twice says it was not there."""
    store = SqliteSubscriptionStore(database)
    await store.add(CHANNEL, START)
    await store.add(THREAD, START)
    assert await store.remove(CHANNEL) and not await store.remove(CHANNEL)
    assert await store.all() == [THREAD]

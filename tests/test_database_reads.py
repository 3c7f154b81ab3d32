"""The shared read connection never answers with a state older than a confirmed write."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.core.model import Action, MessageRef
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import member

SPACE = "console:local"


async def test_a_read_after_a_confirmed_vote_sees_it(app: App) -> None:
    """Members vote then unvote at once while others read the tally; each reads its own choices after each confirmation."""
    app.services.delivery.register("console", RecordingDelivery())
    reply = await app.dispatcher.invoke_text(SPACE, "general", member("alice", staff=True), 'poll create "Q ?" "A" "B"')
    await app.dispatcher.posted(reply, MessageRef(SPACE, "general", "m1"))
    first = reply.card.controls[0].action_id
    polls = app.services.polls
    stale: list[str] = []

    async def voter(name: str) -> None:
        who = member(name)
        for expected in ((0,), ()):
            await app.dispatcher.act(Action(SPACE, "general", who, first))
            seen = (await polls.my_choices(SPACE, 1, who))[1]
            if seen != expected:
                stale.append(f"{name}: confirmed {expected}, read {seen}")

    async def watcher(done: asyncio.Event) -> None:
        # Readers that never pause keep a statement open on the reader almost all the time.
        while not done.is_set():
            await polls.store.tally(1)

    done = asyncio.Event()
    watchers = [asyncio.create_task(watcher(done)) for _ in range(10)]
    for round_ in range(10):
        await asyncio.gather(*(voter(f"m{round_}_{i}") for i in range(40)))
    done.set()
    await asyncio.gather(*watchers)
    assert stale == []
    tally = await polls.store.tally(1)
    assert tally.voters == 0 and tally.counts == (0, 0)

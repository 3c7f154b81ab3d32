"""Live cards under slow edits: renders stay an interval apart however long the platform takes to edit."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime

from bot.core.clock import ManualClock
from bot.core.livecards import LiveCards
from bot.core.model import MessageRef
from bot.ui import Card
from tests.helpers import START, VirtualTimer

INTERVAL = 2.0
FIRST_EDIT_TAKES = 3.0  # a platform slowed down by its rate limits: longer than the interval


class Messages:
    """One message shows the subject."""

    async def attach(self, subject: str, ref: MessageRef, now: datetime) -> None:
        """Nothing to record."""

    async def refs(self, subject: str) -> list[MessageRef]:
        """The one message."""
        return [MessageRef("console:local", "general", "m1")]


class SlowDelivery:
    """The first edit takes FIRST_EDIT_TAKES virtual seconds, the next ones a tenth of a second."""

    def __init__(self, timer: VirtualTimer) -> None:
        self.timer = timer
        self.edits = 0

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Take a while, the first time."""
        self.edits += 1
        await self.timer.sleep(FIRST_EDIT_TAKES if self.edits == 1 else 0.1)


async def settle() -> None:
    """Let the flush tasks run up to their next wait."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_renders_stay_an_interval_apart_when_an_edit_is_slow() -> None:
    """A flush that waited for a slow edit counts from its own render: the next one comes an interval after it."""
    timer = VirtualTimer()
    renders: list[float] = []

    async def render(subject: str) -> Card:
        renders.append(timer.time())
        return Card(f"state {len(renders)}")

    cards = LiveCards(Messages(), SlowDelivery(timer), ManualClock(START), INTERVAL, timer)  # type: ignore[arg-type]
    cards.register("poll", render)
    for touch_at in (0.0, 2.5, 3.2):  # the second waits for the slow first edit; the third comes just after
        await timer.advance(touch_at - timer.time())
        await settle()
        cards.touch("poll:1")
        await settle()
    for _ in range(20):
        await timer.advance(0.25)
        await settle()
    assert len(renders) == 3, renders
    assert renders[1] >= FIRST_EDIT_TAKES, renders  # after the slow edit ended, never alongside it
    gaps = [later - earlier for earlier, later in itertools.pairwise(renders)]
    assert min(gaps) >= INTERVAL, renders

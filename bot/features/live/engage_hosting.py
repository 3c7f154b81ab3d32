"""Putting what members and staff do in a live thread on screen, in every attached thread."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.livecards import LiveCards
from bot.features.live.domain import LiveThread
from bot.features.live.engage import Engage
from bot.features.live.relaying import Relay


@dataclass(frozen=True)
class Stage:
    """Puts what members and staff do on screen: queued with the change, sent by the relay's paced senders."""

    engage: Engage
    cards: LiveCards
    relay: Relay

    async def published(self, live: LiveThread) -> int:
        """Send what a change just queued for every attached thread (posts_sqlite.py); to how many channels."""
        await self.relay.wake()
        return len(await self.engage.live.channels(live))

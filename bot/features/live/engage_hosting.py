"""Putting what members and staff do in a live thread on screen, in every attached thread."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.delivery import DeliveryHub
from bot.core.livecards import LiveCards
from bot.core.spaces import SpaceDirectory
from bot.features.live.domain import LiveThread
from bot.features.live.engage import Engage
from bot.features.live.relaying import Relay
from bot.i18n import Translator


@dataclass(frozen=True)
class Stage:
    """Puts what members and staff do on screen: queued with the change, sent by the relay's paced senders."""

    engage: Engage
    delivery: DeliveryHub
    cards: LiveCards
    spaces: SpaceDirectory
    relay: Relay

    def thread_language(self, live: LiveThread) -> Translator:
        """Live cards read one language everywhere (their copies are re-rendered as one): the thread's space's."""
        return Translator(self.spaces(live.space).locale)

    async def published(self, live: LiveThread) -> int:
        """Send what a change just queued for every attached thread (posts_sqlite.py); to how many channels."""
        await self.relay.wake()
        return len(await self.engage.live.channels(live))

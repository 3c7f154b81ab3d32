"""Putting what members and staff do in a live thread on screen, in every attached thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.delivery import DeliveryHub
from bot.core.livecards import LiveCards
from bot.core.spaces import SpaceDirectory
from bot.features.live.domain import LiveChannel, LiveThread
from bot.features.live.engage import Engage
from bot.i18n import Translator
from bot.ui import Card, Reply


@dataclass(frozen=True)
class Stage:
    """Posts cards and messages in the thread of every attached channel; live cards are tracked there."""

    engage: Engage
    delivery: DeliveryHub
    cards: LiveCards
    spaces: SpaceDirectory

    def thread_language(self, live: LiveThread) -> Translator:
        """Live cards read one language everywhere (their copies are re-rendered as one): the thread's space's."""
        return Translator(self.spaces(live.space).locale)

    async def show(self, live: LiveThread, subject: str, card: Card) -> int:
        """Post a live card in every attached thread and keep its copies live; how many were posted."""
        posted = 0
        for channel in await self.engage.live.channels(live):
            ref = await self.delivery.post(channel.space, channel.channel, Reply(card=card, public=True,
                                                                                 thread=channel.thread))  # fmt: skip
            if ref is not None:
                await self.cards.attach(subject, ref)
                posted += 1
        return posted

    async def say(
        self, live: LiveThread, text_for: Callable[[Translator], str], channels: list[LiveChannel] | None = None
    ) -> int:
        """Post a message in every attached thread, in each space's language; how many were posted."""
        posted = 0
        for channel in channels if channels is not None else await self.engage.live.channels(live):
            text = text_for(Translator(self.spaces(channel.space).locale))
            ref = await self.delivery.post(channel.space, channel.channel, Reply(text=text, public=True,
                                                                                 thread=channel.thread))  # fmt: skip
            posted += ref is not None
        return posted

"""Routes what the core sends to the adapter of the right platform."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.core.model import MessageRef, platform_of
from bot.core.ports import Delivery
from bot.ui import Card, Reply

log = logging.getLogger(__name__)


class DeliveryHub:
    """A Delivery that forwards to one messenger per platform ("slack", "discord", "console")."""

    def __init__(self) -> None:
        self._messengers: dict[str, Delivery] = {}
        self.on_register: list[Callable[[str], None]] = []  # e.g. wake up: sends held back for it can go now

    def register(self, platform: str, messenger: Delivery) -> None:
        """Send messages of spaces on `platform` through `messenger`."""
        self._messengers[platform] = messenger
        for listener in self.on_register:
            listener(platform)

    def unregister(self, platform: str, messenger: Delivery) -> None:
        """Stop routing to `messenger` (its adapter is stopping; a newer one may have replaced it)."""
        if self._messengers.get(platform) is messenger:
            del self._messengers[platform]

    def ready(self, space: str) -> bool:
        """Whether an adapter is running for the platform of `space` (before that, sends would be lost)."""
        return platform_of(space) in self._messengers

    def _for(self, space: str) -> Delivery | None:
        messenger = self._messengers.get(platform_of(space))
        if messenger is None:
            log.warning("no adapter running for space=%s", space)
        return messenger

    async def post(self, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Post in a channel of `space`."""
        messenger = self._for(space)
        return None if messenger is None else await messenger.post(space, channel, reply)

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Replace the card of a message."""
        messenger = self._for(ref.space)
        if messenger is not None:
            await messenger.edit(ref, card)

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Send a private message; False when it could not be delivered."""
        messenger = self._for(space)
        return False if messenger is None else await messenger.send_private(space, member, reply)

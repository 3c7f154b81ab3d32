"""The ports the core talks through: storage and message delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.core.model import MessageRef
from bot.ui import Card, Reply


class MessageStore(Protocol):
    """Which platform messages show which subject."""

    async def attach(self, subject: str, ref: MessageRef, now: datetime) -> None:
        """Record that `ref` shows `subject`."""
        ...

    async def refs(self, subject: str) -> list[MessageRef]:
        """Every message showing `subject`."""
        ...


class Delivery(Protocol):
    """Sends what the core decides to send on its own (not as a reply to someone)."""

    async def post(self, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Post a public message in a channel."""
        ...

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Replace the card shown in a message."""
        ...

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Send a private message to a member; False when it could not be delivered."""
        ...


class Outbox(Delivery, Protocol):
    """A Delivery that knows whether an adapter is running for a space's platform."""

    def ready(self, space: str) -> bool:
        """Whether sends to `space` can reach a platform now."""
        ...

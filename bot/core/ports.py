"""The ports the core talks through: storage and message delivery."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Literal, Protocol

from bot.core.model import MessageRef
from bot.core.notices import Notice, QueuedNotice
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


class ReadyDelivery(Delivery, Protocol):
    """A Delivery that knows whether an adapter is running for a space's platform."""

    def ready(self, space: str) -> bool:
        """Whether sends to `space` can reach a platform now."""
        ...


Outbox = ReadyDelivery  # its former name, kept while branches written against it are merged


class NoticeStore(Protocol):
    """The outbox's rows after they were written with their change: claimed, then marked, never sent twice."""

    async def waiting_spaces(self) -> list[str]:
        """The spaces that have notices waiting to be sent."""
        ...

    async def claim(self, spaces: Collection[str], limit: int, now: datetime) -> list[QueuedNotice]:
        """Mark up to `limit` waiting notices of `spaces` 'sending' in one write, oldest first.

        A notice is claimed once: concurrent claimers never get the same one.
        """
        ...

    async def finish(self, notice_id: int, status: Literal["sent", "failed"], now: datetime) -> None:
        """Record how sending a claimed notice went."""
        ...

    async def fail(self, notice_ids: Collection[int], consequences: Sequence[Notice], now: datetime) -> None:
        """Mark claimed notices 'failed' and queue the notices telling someone so, in one write."""
        ...

    async def release(self, notice_ids: Collection[int], now: datetime) -> None:
        """Put claimed notices back to waiting: the platform was never called for them."""
        ...

    async def mark_unsure(self, now: datetime) -> Mapping[str, int]:
        """At start: notices a stopped process left 'sending' become 'unsure' (never re-sent); how many per kind."""
        ...

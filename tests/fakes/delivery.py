"""A Delivery port that records what the core sends, as an adapter would receive it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

from bot.core.model import MessageRef
from bot.ui import Card, Reply


class RecordingDelivery:
    """Records posts, edits (with their loop time) and private messages; `unreachable` members have DMs closed."""

    def __init__(self) -> None:
        self.unreachable: set[str] = set()
        self.posts: list[tuple[str, str, Reply]] = []
        self.edits: list[tuple[MessageRef, Card]] = []
        self.edit_times: list[float] = []
        self.text_edits: list[tuple[MessageRef, Reply]] = []
        self.deleted: list[MessageRef] = []
        self.private: list[tuple[str, Reply, bool]] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()

    async def _note(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def post(self, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Record a public post; it gets a message id."""
        self.posts.append((space, channel, reply))
        await self._note()
        return MessageRef(space, channel, f"m{next(self._ids)}")

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Record a card edit and when it happened."""
        self.edits.append((ref, card))
        self.edit_times.append(asyncio.get_running_loop().time())
        await self._note()

    async def edit_text(self, ref: MessageRef, reply: Reply) -> None:
        """Record a text edit."""
        self.text_edits.append((ref, reply))
        await self._note()

    async def delete(self, ref: MessageRef) -> None:
        """Record a deletion."""
        self.deleted.append(ref)
        await self._note()

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Record a private message; False for unreachable members."""
        delivered = member not in self.unreachable
        self.private.append((member, reply, delivered))
        await self._note()
        return delivered

    def to(self, member: str) -> list[str]:
        """The texts (or card texts) sent privately to `member`, in order."""
        return [reply.text or "\n".join(reply.card.text if reply.card else ()) for who, reply, _ in self.private
                if who == member]  # fmt: skip

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait on a condition (never a sleep loop) until `predicate()` holds."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

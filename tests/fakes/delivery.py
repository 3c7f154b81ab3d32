"""A Delivery for tests: a real implementation of the port that records what the core sends."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

from bot.core.model import MessageRef
from bot.ui import Card, Reply


class RecordingDelivery:
    """Posts, edits and private messages, kept in order; `wait_for` waits on a condition, never sleeps."""

    def __init__(self) -> None:
        self.posts: list[tuple[MessageRef, Reply]] = []
        self.edits: list[tuple[MessageRef, Card]] = []
        self.private: list[tuple[str, Reply]] = []
        self.unreachable: set[str] = set()  # members whose private messages are closed
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()

    async def _record(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def post(self, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Keep a public message and give it a message id."""
        ref = MessageRef(space, channel, f"m{next(self._ids)}")
        self.posts.append((ref, reply))
        await self._record()
        return ref

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Keep a live card edit."""
        self.edits.append((ref, card))
        await self._record()

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Keep a private message to a member; False for an unreachable member."""
        if member in self.unreachable:
            return False
        self.private.append((member, reply))
        await self._record()
        return True

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Return once `condition()` holds; fail after `timeout` seconds."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)

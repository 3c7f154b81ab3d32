"""A Delivery that records what the core sends on its own, for tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.core.model import MessageRef
from bot.ui import Card, Reply


@dataclass
class RecordingDelivery:
    """Records posts, edits and private messages; members in `unreachable` cannot be messaged."""

    unreachable: set[str] = field(default_factory=set)
    posts: list[tuple[str, str, Reply]] = field(default_factory=list)
    edits: list[tuple[MessageRef, Card]] = field(default_factory=list)
    private: list[tuple[str, Reply, bool]] = field(default_factory=list)
    _ids: Iterable[int] = field(default_factory=lambda: itertools.count(1))

    async def post(self, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Record a public post; it gets a message id."""
        self.posts.append((space, channel, reply))
        return MessageRef(space, channel, f"m{next(iter(self._ids))}")

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Record a card edit."""
        self.edits.append((ref, card))

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Record a private message; False for unreachable members."""
        delivered = member not in self.unreachable
        self.private.append((member, reply, delivered))
        return delivered

    def to(self, member: str) -> list[str]:
        """The texts (or card texts) sent privately to `member`, in order."""
        return [reply.text or "\n".join(reply.card.text if reply.card else ()) for who, reply, _ in self.private
                if who == member]  # fmt: skip

"""The ports the core talks through: storage, message delivery, threads and what adapters can do."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from bot.core.model import Member, MessageRef
from bot.core.notices import Notice, QueuedNotice
from bot.ui import Card, Reply

Capability = Literal["threads", "inbound", "edits", "members"]


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
        """Post a public message in a channel, inside `reply.thread` when it names one."""
        ...

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Replace the card shown in a message."""
        ...

    async def edit_text(self, ref: MessageRef, reply: Reply) -> None:
        """Replace the text of a posted message (the live relay mirrors a member's edit)."""
        ...

    async def delete(self, ref: MessageRef) -> None:
        """Delete a posted message (the live relay mirrors a member's deletion)."""
        ...

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Send a private message to a member; False when it could not be delivered."""
        ...


@runtime_checkable
class Threads(Protocol):
    """An adapter that can open a thread on a message (declared with `Capabilities(threads=True)`)."""

    async def open_thread(self, space: str, channel: str, parent: MessageRef, name: str) -> MessageRef | None:
        """Open a thread on `parent`; the ref's `thread` names it (post there with `Reply(thread=…)`); None if refused."""
        ...


@runtime_checkable
class Members(Protocol):
    """An adapter that can list who is in a channel or a group (declared with `Capabilities(members=True)`).

    Both lists hold people only: bots and deactivated accounts are left out. `channel` and `group` are
    written as staff typed them (a mention, an id or a name); None when the platform knows no such one.
    """

    async def channel_members(self, space: str, channel: str) -> list[Member] | None:
        """The people in a channel."""
        ...

    async def group_members(self, space: str, group: str) -> list[Member] | None:
        """The people in a group (a Slack user group, a Discord role)."""
        ...


@dataclass(frozen=True)
class Capabilities:
    """What an adapter can do beyond posting and private messages, declared when it registers.

    Inbound messages are never the bot's own: an adapter with `inbound=True` drops them itself,
    so a feature that relays what it receives cannot feed on its own posts.
    """

    threads: bool = False  # opens threads (Threads) and posts in them
    inbound: bool = False  # tells the dispatcher when members post, edit or delete messages
    edits: bool = False  # replaces a posted card in place (live cards)
    members: bool = False  # lists the people of a channel or a group (Members)

    def has(self, capability: Capability) -> bool:
        """Whether the adapter declared `capability`."""
        return bool(getattr(self, capability))


NO_CAPABILITIES = Capabilities()


class ReadyDelivery(Delivery, Protocol):
    """A Delivery that knows whether an adapter is running for a space's platform."""

    def ready(self, space: str) -> bool:
        """Whether sends to `space` can reach a platform now."""
        ...


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

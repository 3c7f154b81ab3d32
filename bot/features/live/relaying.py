"""The relay service: members' messages of a live thread copied into every other attached thread, paced, once.

What a member posts is stored in `live_messages` with the copies to make, in one transaction. One
sender per target channel then posts the copies in order, at most one post per channel per `gap`
(relay.GAPS): what waited meanwhile is coalesced into that one post, never dropped nor reordered.
A post is claimed ('sending', its copies assigned) before the platform is called, so it is never
sent twice; a process stopped mid-send leaves it 'unsure', never re-sent (as the outbox does).
Edits and deletions of a source bump the revision of the posts that show it; the sender then edits
them (or deletes a post whose sources are all gone). The mapping is stored: restarts keep it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.core.clock import Clock
from bot.core.delivery import DeliveryHub
from bot.core.model import InboundMessage, MessageRef, platform_of
from bot.features.live.relay import gap
from bot.ui import Reply

log = logging.getLogger(__name__)
STOP_GRACE = 5.0  # seconds a stopping process keeps sending what waits


@dataclass(frozen=True)
class Target:
    """An attached channel copies are posted in (its platform thread, or the channel itself on the console)."""

    channel_id: int
    space: str
    channel: str
    thread: str | None

    def ref(self, message_id: str) -> MessageRef:
        """A post of the relay there."""
        return MessageRef(self.space, self.channel, message_id, self.thread)


@dataclass(frozen=True)
class Claimed:
    """A post about to be sent: its row, where, and its text (one or several members' messages)."""

    post_id: int
    target: Target
    text: str
    copies: int


@dataclass(frozen=True)
class ClaimedItem:
    """A post of the bot about to be sent (a card, an announcement, the summary): what to render, and where."""

    post_id: int
    item_id: int
    thread_id: int
    target: Target
    kind: str
    params: dict[str, Any]
    subject: str | None  # the live card it shows, attached once posted


class Presenter(Protocol):
    """Renders the bot's queued posts at send time, in the target channel's language (publishing.py)."""

    async def render(self, item: ClaimedItem) -> Reply | None:
        """What to post for an item there (None: nothing left to show)."""
        ...

    async def shown(self, item: ClaimedItem, ref: MessageRef) -> None:
        """An item was posted: a live card's copy is now kept up to date."""
        ...


@dataclass(frozen=True)
class Mirror:
    """A post whose sources changed: its new text, or None when every source was deleted."""

    post_id: int
    revision: int
    ref: MessageRef
    text: str | None


class RelayStore(Protocol):
    """Where the relay keeps messages, copies and posts (relay_sqlite.py)."""

    async def record(self, message: InboundMessage, antenna: str | None = None) -> list[int]:
        """Store a member's new message and its copies, in one write; the target channel ids (none if not relayed)."""
        ...

    async def revise(self, message: InboundMessage) -> list[int]:
        """Store an edit or deletion and mark the posts showing it; the channel ids that have posts to mirror."""
        ...

    async def target(self, channel_id: int) -> Target | None:
        """Where copies for an attached channel go."""
        ...

    async def waiting(self, channel_id: int) -> bool:
        """Whether copies wait for a channel."""
        ...

    async def claim(self, channel_id: int, now: datetime) -> Claimed | ClaimedItem | None:
        """The next post of a channel, in order: waiting copies (as many as fit) or the bot's own item; None if none."""
        ...

    async def posted(self, post_id: int, message_id: str | None) -> None:
        """Record how sending a claimed post went (None: refused, 'failed')."""
        ...

    async def item_posted(self, post_id: int, message_id: str | None) -> None:
        """Record how sending a claimed post of the bot went (None: refused, 'failed')."""
        ...

    async def to_mirror(self, channel_id: int) -> list[Mirror]:
        """The posts of a channel whose sources were edited or deleted since they were last shown."""
        ...

    async def mirrored(self, mirror: Mirror) -> None:
        """Record that a post now shows `mirror.revision` (deleted when it has no text left)."""
        ...

    async def recover(self) -> int:
        """At start: posts a stopped process left 'sending' become 'unsure' (never re-sent); how many."""
        ...

    async def pending(self) -> list[int]:
        """The channel ids with copies waiting or posts to mirror."""
        ...


class Relay:
    """Receives the live thread's messages and runs one paced sender per target channel."""

    def __init__(
        self,
        store: RelayStore,
        delivery: DeliveryHub,
        clock: Clock,
        presenter: Presenter | None = None,
        antenna_of: Callable[[InboundMessage], Awaitable[str | None]] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.clock = clock
        self.presenter = presenter
        self.antenna_of = antenna_of  # the antenna a member follows the event from, for their copies' label
        self._monotonic = monotonic
        self._sleep = sleep
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self._last_post: dict[int, float] = {}  # channel id -> when the relay last posted there (monotonic)
        self._started = False
        self._stopping = False
        self._waking: asyncio.Task[None] | None = None

    async def on_message(self, message: InboundMessage) -> None:
        """A member posted, edited or deleted a message in an attached thread."""
        if message.kind == "posted":
            antenna = None if self.antenna_of is None else await self.antenna_of(message)
            targets = await self.store.record(message, antenna)
        else:
            targets = await self.store.revise(message)
        for channel_id in targets:
            self.nudge(channel_id)

    async def start(self) -> None:
        """At start: what a stopped process was sending is unsure; what waits is sent once platforms connect."""
        unsure = await self.store.recover()
        if unsure:
            log.warning("live relay: %d posts cut off mid-send are unsure, never re-sent", unsure)
        self._started = True
        await self.wake()

    async def wake(self) -> None:
        """Look for waiting copies and edits in every channel (at start, and when a platform connects)."""
        if not self._started or self._stopping:
            return
        for channel_id in await self.store.pending():
            self.nudge(channel_id)

    def on_register(self, _platform: str) -> None:
        """A platform connected: copies held back for it can go now."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._waking = loop.create_task(self.wake())  # kept: a task nobody references may be collected

    def nudge(self, channel_id: int) -> None:
        """Send what waits for a channel soon (its sender runs in the background)."""
        if self._stopping:
            return
        self._again.add(channel_id)
        task = self._tasks.get(channel_id)
        if task is None or task.done():
            self._tasks[channel_id] = asyncio.get_running_loop().create_task(self._drain(channel_id))

    async def idle(self) -> None:
        """Wait until no sender runs (tests, shutdown)."""
        while running := [task for task in self._tasks.values() if not task.done()]:
            await asyncio.wait(running)

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Send what waits for connected platforms for up to `grace` seconds, then claim nothing more.

        What is still waiting then stays queued and goes at the next start (a summary typed just before a
        rehearsal's input ends is shown; a long burst does not hold the process for minutes).
        """
        await self.wake()
        if running := [task for task in self._tasks.values() if not task.done()]:
            await asyncio.wait(running, timeout=grace)
        self._stopping = True
        await self.idle()

    async def _drain(self, channel_id: int) -> None:
        """Mirror edits and post copies for one channel until nothing waits there."""
        try:
            while channel_id in self._again and not self._stopping:
                self._again.discard(channel_id)
                target = await self.store.target(channel_id)
                if target is None or not self.delivery.ready(target.space):
                    return  # the platform's connection nudges us again
                while not self._stopping and (await self._mirror(channel_id) | await self._post(target)):
                    pass
        except Exception:
            log.exception("live relay: sending to channel=%s failed", channel_id)

    async def _post(self, target: Target) -> bool:
        """Wait for the channel's next slot, then post everything that waits (as fits); whether anything did."""
        if not await self.store.waiting(target.channel_id):
            return False
        wait = self._last_post.get(target.channel_id, float("-inf")) + gap(platform_of(target.space))
        delay = wait - self._monotonic()
        if delay > 0:
            await self._sleep(delay)  # what arrives meanwhile joins this post: the burst is coalesced
        if self._stopping:
            return False
        claimed = await self.store.claim(target.channel_id, self.clock.now())
        if claimed is None:
            return False
        self._last_post[target.channel_id] = self._monotonic()
        if isinstance(claimed, ClaimedItem):
            await self._post_item(claimed)
            return True
        ref = None
        try:
            ref = await self.delivery.post(target.space, target.channel, Reply(
                text=claimed.text, public=True, thread=target.thread, verbatim=True,
            ))  # fmt: skip
        finally:
            await self.store.posted(claimed.post_id, None if ref is None else ref.message_id)
        if ref is None:
            log.warning("live relay: post refused space=%s channel=%s copies=%d",
                        target.space, target.channel, claimed.copies)  # fmt: skip
        return True

    async def _post_item(self, item: ClaimedItem) -> None:
        """Render one of the bot's posts for its channel now, post it, record it, then keep its card live."""
        ref = None
        try:
            reply = None if self.presenter is None else await self.presenter.render(item)
            if reply is not None:
                target = item.target
                ref = await self.delivery.post(target.space, target.channel, Reply(
                    text=reply.text, card=reply.card, public=True, thread=target.thread,
                ))  # fmt: skip
        finally:
            await self.store.item_posted(item.post_id, None if ref is None else ref.message_id)
        if ref is None:
            log.warning("live: %s not posted space=%s channel=%s", item.kind, item.target.space, item.target.channel)
        elif self.presenter is not None:
            await self.presenter.shown(item, ref)

    async def _mirror(self, channel_id: int) -> bool:
        """Edit (or delete) the channel's posts whose sources changed; whether there were any."""
        mirrors = await self.store.to_mirror(channel_id)
        for mirror in mirrors:
            if mirror.text is None:
                await self.delivery.delete(mirror.ref)
            else:
                await self.delivery.edit_text(mirror.ref, Reply(text=mirror.text, public=True, verbatim=True))
            await self.store.mirrored(mirror)
        return bool(mirrors)

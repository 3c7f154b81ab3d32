"""The live thread: one continuous thread of an event, followed from channels of several spaces and platforms.

Staff start it in a channel (a header message and a thread under it), hand out single-use
join codes, and staff of any space attach their own channel with one. What members post in
any attached thread is relayed to the others (relay.py); questions, polls and check-ins are
shared by every attached channel.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member, MessageRef, platform_of
from bot.core.refs import parse_ref
from bot.features.events.domain import Event, EventService
from bot.features.live.store import LiveStore

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed by hand
CODE_LENGTH = 8  # 32^8 ≈ 10^12: unguessable for a single-use code that expires
CODE_LIFETIME = timedelta(hours=24)
FEATURE = "live"  # the name its channel subscriptions are kept under


@dataclass(frozen=True)
class LiveThread:
    """A live thread, started for an event in a space."""

    id: int
    space: str
    ref: int
    event_id: int
    started_by: str
    started_at: datetime
    stopped_at: datetime | None = None

    @property
    def running(self) -> bool:
        """Whether it still relays."""
        return self.stopped_at is None

    @property
    def subject(self) -> str:
        """The live subject of its header cards."""
        return f"livehead:{self.id}"


@dataclass(frozen=True)
class LiveChannel:
    """A channel a live thread is attached in; `thread` is the platform's thread under its header."""

    id: int
    thread_id: int
    space: str
    channel: str
    thread: str | None
    header: str | None
    attached_by: str
    attached_at: datetime
    detached_at: datetime | None = None

    @property
    def platform(self) -> str:
        """ "slack", "discord" or "console"."""
        return platform_of(self.space)

    def here(self, space: str, channel: str) -> bool:
        """Whether a member acting in `channel` of `space` is in this channel or its thread."""
        return space == self.space and channel in (self.channel, self.thread)

    def header_ref(self) -> MessageRef | None:
        """The header message, to edit it."""
        return None if self.header is None else MessageRef(self.space, self.channel, self.header)


def new_code(token: Callable[[int], str] | None = None) -> str:
    """A join code such as `LIVE-7K3Q-XH2P`."""
    pick = token or (lambda n: "".join(secrets.choice(CODE_ALPHABET) for _ in range(n)))
    raw = pick(CODE_LENGTH)
    return f"LIVE-{raw[:4]}-{raw[4:]}"


def normalize_code(text: str) -> str:
    """A code as typed (`live-7k3q xh2p`, `7K3QXH2P`) in its canonical form, or "" when it cannot be one."""
    raw = "".join(c for c in text.upper() if c.isalnum())
    raw = raw.removeprefix("LIVE")
    if len(raw) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in raw):
        return ""
    return f"LIVE-{raw[:4]}-{raw[4:]}"


@dataclass(frozen=True)
class Started:
    """A live thread just started, where it is attached, and the code to attach more channels."""

    live: LiveThread
    channel: LiveChannel
    code: str


class LiveService:
    """Starting, joining, listing, detaching and stopping live threads (staff); who follows from where."""

    def __init__(self, store: LiveStore, events: EventService, clock: Clock) -> None:
        self.store = store
        self.events = events
        self.clock = clock
        self.observers: list[Callable[[LiveThread], Awaitable[None]]] = []  # told of each start (workshop wake-ups)
        self.listeners: list[Callable[[int], None]] = []  # told of each change of a thread, by id (its web page)

    def notify(self, thread_id: int) -> None:
        """Something a thread shows changed: tell the listeners (they coalesce and read the state themselves)."""
        for listener in self.listeners:
            listener(thread_id)

    @staticmethod
    def require_staff(by: Member) -> None:
        """Live threads are steered by staff only."""
        if not by.is_staff:
            raise UserError("live.staff_only")

    async def begin(self, space: str, channel: str, by: Member, event_ref: str) -> tuple[LiveThread, Event]:
        """Create a live thread for an event of this space (before its header is posted)."""
        self.require_staff(by)
        event = await self.events.get(space, event_ref)
        if event.cancelled_at is not None:
            raise UserError("event.cancelled", ref=event.ref)
        if await self.store.attached(space, channel) is not None:
            raise UserError("live.channel_taken")
        live = await self.store.start(space, event.id, by.key, self.clock.now())
        for observer in self.observers:
            await observer(live)
        return live, event

    async def attach(
        self, live: LiveThread, space: str, channel: str, thread: str | None, header: str | None, by: Member
    ) -> LiveChannel:
        """Record where the thread is shown in a channel (its header, its platform thread)."""
        return await self.store.attach(live.id, space, channel, thread, header, by.key, self.clock.now())

    async def issue_code(self, live: LiveThread, by: Member) -> str:
        """A new single-use join code for a running thread (staff of the thread's space)."""
        self.require_staff(by)
        code = new_code()
        await self.store.add_code(code, live.id, by.key, self.clock.now(), self.clock.now() + CODE_LIFETIME)
        return code

    async def redeem(self, space: str, channel: str, by: Member, text: str) -> LiveThread:
        """The running thread a join code opens to this channel; the code is spent (single use)."""
        self.require_staff(by)
        code = normalize_code(text)
        if not code:
            raise UserError("live.bad_code", code=text.strip()[:20])
        if await self.store.attached(space, channel) is not None:
            raise UserError("live.channel_taken")
        return await self.store.redeem(code, f"{space} {channel}", self.clock.now())

    async def here(self, space: str, channel: str) -> tuple[LiveThread, LiveChannel]:
        """The running thread attached where a member acts (the channel or its thread), or a clear error."""
        found = await self.store.attached(space, channel)
        if found is None:
            raise UserError("live.not_here")
        return found

    async def channels(self, live: LiveThread) -> list[LiveChannel]:
        """The channels the thread is attached in, in the order they joined."""
        return await self.store.channels(live.id)

    async def detach(self, space: str, channel: str, by: Member, number: str) -> tuple[LiveThread, LiveChannel]:
        """Detach channel N (as numbered by /live channels) from the thread attached here (staff)."""
        self.require_staff(by)
        live, _ = await self.here(space, channel)
        attached = await self.store.channels(live.id)
        index = parse_ref(number, "live.bad_channel") - 1
        if not 0 <= index < len(attached):
            raise UserError("live.bad_channel", ref=number)
        target = attached[index]
        if target.space != space and live.space != space:
            raise UserError("live.detach_forbidden")  # staff detach their own channels; the owners any
        await self.store.detach(target.id, self.clock.now())
        return live, target

    async def stop(self, space: str, channel: str, by: Member) -> tuple[LiveThread, list[LiveChannel]]:
        """Stop the thread attached here (staff of the space that started it); the channels it was in."""
        self.require_staff(by)
        live, _ = await self.here(space, channel)
        if live.space != space:
            raise UserError("live.stop_forbidden")
        attached = await self.store.channels(live.id)
        stopped = await self.store.stop(live.id, self.clock.now())
        self.notify(live.id)
        return stopped, attached

    async def event_polls(self, event: Event) -> list[int]:
        """The ids of the polls opened in an event's live threads, oldest first (for reports)."""
        return await self.store.event_polls(event.id)

    async def event_of(self, live: LiveThread) -> Event:
        """The event a thread follows."""
        event = await self.events.lookup(live.event_id)
        if event is None:
            raise UserError("event.not_found", ref=live.event_id)
        return event

"""The port live threads, their join codes and attached channels are stored through."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.features.live.domain import LiveChannel, LiveThread


class LiveStore(Protocol):
    """Where live threads, join codes and attached channels live."""

    async def start(self, space: str, event_id: int, by: str, now: datetime) -> LiveThread:
        """A new running thread for an event, with the next short reference of its space (one per event)."""
        ...

    async def get(self, live_id: int) -> LiveThread | None:
        """A thread by its id."""
        ...

    async def event_polls(self, event_id: int) -> list[int]:
        """The ids of the polls opened in an event's live threads, oldest first."""
        ...

    async def attach(
        self, live_id: int, space: str, channel: str, thread: str | None, header: str | None, by: str, now: datetime
    ) -> LiveChannel:
        """Attach a channel to a running thread (one thread per channel at a time)."""
        ...

    async def attached(self, space: str, channel: str) -> tuple[LiveThread, LiveChannel] | None:
        """The running thread attached in a channel, or in the platform thread under its header."""
        ...

    async def channels(self, live_id: int) -> list[LiveChannel]:
        """The channels a thread is attached in now, in the order they joined."""
        ...

    async def detach(self, channel_id: int, now: datetime) -> None:
        """Detach one channel."""
        ...

    async def stop(self, live_id: int, now: datetime) -> LiveThread:
        """Stop a running thread; its channels stay recorded for the summary."""
        ...

    async def add_code(self, code: str, live_id: int, by: str, now: datetime, expires_at: datetime) -> None:
        """Store a fresh join code."""
        ...

    async def redeem(self, code: str, used_in: str, now: datetime) -> LiveThread:
        """Spend a join code atomically: the running thread it opens, or live.bad_code / live.code_used / live.code_expired."""
        ...

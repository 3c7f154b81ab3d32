"""Live cards: re-render a subject's messages after changes, at most once per interval."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from bot.core.clock import Clock
from bot.core.metrics import Metrics
from bot.core.model import MessageRef
from bot.core.ports import Delivery, MessageStore
from bot.ui import Card

log = logging.getLogger(__name__)

Renderer = Callable[[str], Awaitable[Card | None]]
Exclusive = Callable[[str], AbstractAsyncContextManager[None]]


@contextlib.asynccontextmanager
async def alone(subject: str) -> AsyncIterator[None]:
    """No other process edits cards: nothing to hold."""
    yield


class Timer(Protocol):
    """Monotonic time and sleeping, in seconds: the event loop's, or a virtual one in tests."""

    def time(self) -> float:
        """The current monotonic time."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds`."""
        ...


class LoopTimer:
    """The running event loop's clock."""

    def time(self) -> float:
        """The loop's monotonic time."""
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        """Sleep on the loop."""
        await asyncio.sleep(seconds)


class LiveCards:
    """Coalesces edits: the first change shows at once, later ones at most once per interval.

    Platforms rate-limit message edits (Slack chat.update ~50/min, Discord ~5/5 s per
    channel), so a burst of votes becomes a few edits; the last state always lands
    within one interval of the last change because rendering reads the state at flush time.
    One flush at a time renders and edits a subject (`exclusive` extends that to other processes):
    a flush that waited for another's edits renders after them, so the last state lands last.
    """

    def __init__(
        self,
        messages: MessageStore,
        delivery: Delivery,
        clock: Clock,
        interval: float = 2.0,
        timer: Timer | None = None,
        metrics: Metrics | None = None,
        exclusive: Exclusive = alone,
    ) -> None:
        self.messages = messages
        self.metrics = metrics or Metrics()
        self.delivery = delivery
        self.clock = clock
        self.interval = interval
        self.timer: Timer = timer or LoopTimer()
        self.exclusive = exclusive
        self.edits = 0
        self._renderers: dict[str, Renderer] = {}
        self._last_flush: dict[str, float] = {}
        self._editing: dict[str, asyncio.Lock] = {}  # per subject, as `_last_flush`
        self._scheduled: dict[str, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def register(self, kind: str, renderer: Renderer) -> None:
        """Render subjects "kind:…" with `renderer`."""
        self._renderers[kind] = renderer

    async def attach(self, subject: str, ref: MessageRef) -> None:
        """Record that a freshly posted message shows `subject`."""
        await self.messages.attach(subject, ref, self.clock.now())

    def touch(self, subject: str) -> None:
        """Note that `subject` changed; its messages will be edited soon."""
        if subject in self._scheduled:
            return  # the pending flush will render the newest state
        last = self._last_flush.get(subject)
        delay = 0.0 if last is None else max(0.0, last + self.interval - self.timer.time())
        task = asyncio.get_running_loop().create_task(self._flush_later(subject, delay))
        self._scheduled[subject] = task
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _flush_later(self, subject: str, delay: float) -> None:
        await self.timer.sleep(delay)
        self._scheduled.pop(subject, None)  # changes from now on need a flush of their own
        await self.flush(subject, paced=True)

    async def flush(self, subject: str, paced: bool = False) -> None:
        """Render `subject` now and edit every message that shows it (`paced`: not within an interval of the last)."""
        kind = subject.split(":", 1)[0]
        renderer = self._renderers.get(kind)
        if renderer is None:
            log.warning("no renderer for subject kind=%s", kind)
            return
        try:
            # One flush of a subject at a time, in this process and across processes: the one that
            # waited renders after the other's edits, so an older state never lands last.
            async with self._editing.setdefault(subject, asyncio.Lock()), self.exclusive(subject):
                # Timed once the previous flush's edits are done, not when this one was due: edits slowed
                # down by the platform's rate limits must not bring the next render closer than the interval.
                if (
                    paced
                    and (wait := self._last_flush.get(subject, -self.interval) + self.interval - self.timer.time()) > 0
                ):
                    await self.timer.sleep(wait)
                self._last_flush[subject] = self.timer.time()
                card = await renderer(subject)
                if card is None:
                    return
                for ref in await self.messages.refs(subject):
                    self.edits += 1
                    self.metrics.count("card_edits", ref.space)
                    await self.delivery.edit(ref, card)
        except Exception:
            log.exception("live update failed subject=%s", subject)

    async def flush_now(self, subject: str) -> None:
        """Skip the wait: cancel a pending flush and render at once (closing, final state)."""
        pending = self._scheduled.pop(subject, None)
        if pending is not None:
            pending.cancel()
        self._last_flush[subject] = self.timer.time()
        await self.flush(subject)

    async def drain(self) -> None:
        """Wait for every pending flush (shutdown, tests)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)


def subject_id(subject: str) -> int:
    """The id part of a live subject ("poll:42" -> 42)."""
    return int(subject.split(":", 1)[1])

"""The outbox sender: private notices written with their change, sent after the commit, at most once.

Each round claims a chunk of waiting notices of spaces whose platform is connected (one write,
'sending' before any platform call), renders each in its space's language, sends it paced per
platform, and marks it 'sent' or 'failed'. A notice found 'sending' at start was cut off by a
stopped process: it becomes 'unsure' and is never sent again, because neither platform can
recognise a repeated message (the same choice as the reminders' deliveries).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from bot.core.clock import Clock
from bot.core.metrics import Metrics
from bot.core.model import platform_of
from bot.core.notices import Notice, QueuedNotice
from bot.core.pacing import Pacer
from bot.core.ports import NoticeStore, ReadyDelivery
from bot.core.spaces import SpaceDirectory
from bot.i18n import Translator
from bot.ui import Reply

log = logging.getLogger(__name__)

CHUNK = 100  # notices claimed per write at most
WORKERS = 8  # members sent to at once; the pacer sets the rate
Outcome = Literal["sent", "failed", "released"]
NoticeRender = Callable[[Notice, Translator], Reply]  # the same shape as bot.feature.NoticeRenderer
Undelivered = Callable[[Sequence[Notice]], Sequence[Notice]]  # the same shape as bot.feature.Undelivered


class NoticeSender:
    """Drains the outbox: after each commit that recorded notices, at every wake-up and when a platform connects."""

    def __init__(
        self,
        store: NoticeStore,
        delivery: ReadyDelivery,
        pacer: Pacer,
        spaces: SpaceDirectory,
        clock: Clock,
        renderers: Mapping[str, NoticeRender],
        undelivered: Mapping[str, Undelivered] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.pacer = pacer
        self.spaces = spaces
        self.clock = clock
        self.renderers = renderers  # kind prefix ("idea") -> renderer
        self.undelivered = undelivered or {}  # kind prefix -> the notices telling someone of failures
        self.metrics = metrics or Metrics()
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._recovered = False
        self._stopping = False

    async def recover(self) -> None:
        """At start, before any send: notices a stopped process left 'sending' become 'unsure'."""
        unsure = await self.store.mark_unsure(self.clock.now())
        # The store counts them by kind only: they are reported without a platform.
        self.metrics.count("notices", "", "unsure", amount=sum(unsure.values()))
        if unsure:
            log.warning("outbox: %d notices cut off mid-send are unsure, never re-sent kinds=%s",
                        sum(unsure.values()), dict(sorted(unsure.items())))  # fmt: skip
        self._recovered = True

    def nudge(self) -> None:
        """Look for waiting notices soon, without waiting for them to be sent."""
        if not self._recovered or self._stopping:
            return
        self._again = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def run(self) -> None:
        """A wake-up: send what waits (in the background, so other due work is not held up by pacing)."""
        self.nudge()

    async def idle(self) -> None:
        """Wait until nothing is being sent (tests and shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        """Claim nothing more; notices claimed but not yet sent go back to waiting."""
        self._stopping = True
        await self.idle()

    async def _drain(self) -> None:
        """Send rounds until no connected platform has notices waiting."""
        try:
            while self._again and not self._stopping:
                self._again = False
                while not self._stopping and await self._round():
                    pass
        except Exception:
            log.exception("outbox: sending notices failed")

    async def _round(self) -> bool:
        """One chunk per connected platform with waiting notices, sent; whether any was claimed."""
        by_platform: dict[str, list[str]] = {}
        for space in await self.store.waiting_spaces():
            if self.delivery.ready(space):
                by_platform.setdefault(platform_of(space), []).append(space)
        claimed = await asyncio.gather(*(self._chunk(platform, spaces) for platform, spaces in by_platform.items()))
        return any(claimed)

    async def _chunk(self, platform: str, spaces: Sequence[str]) -> bool:
        """Claim and send one chunk of a platform's notices; whether there was any."""
        queued = await self.store.claim(spaces, self._chunk_size(platform), self.clock.now())
        by_member: dict[tuple[str, str], list[QueuedNotice]] = {}
        for item in queued:  # one member's notices go one after another, in the order they were written
            by_member.setdefault((item.notice.space, item.notice.member), []).append(item)
        slots = asyncio.Semaphore(WORKERS)
        released: list[int] = []
        failed: list[QueuedNotice] = []

        async def send_in_order(items: list[QueuedNotice]) -> None:
            async with slots:
                for item in items:
                    outcome = await self._send(item)
                    if outcome == "released":
                        released.append(item.id)
                    elif outcome == "failed":
                        failed.append(item)

        await asyncio.gather(*(send_in_order(items) for items in by_member.values()))
        await self.store.release(released, self.clock.now())
        await self._fail(failed)
        return bool(queued)

    async def _fail(self, failed: Sequence[QueuedNotice]) -> None:
        """Mark failures and queue, in the same write, what their features tell about them (an author, of members missed)."""
        consequences: list[Notice] = []
        by_prefix: dict[str, list[Notice]] = {}
        for item in failed:
            by_prefix.setdefault(item.notice.prefix, []).append(item.notice)
        for prefix, notices in by_prefix.items():
            tell = self.undelivered.get(prefix)
            if tell is not None:
                consequences += [n for n in tell(notices) if n.kind not in {m.kind for m in notices}]  # no loops
        await self.store.fail([item.id for item in failed], consequences, self.clock.now())
        for item in failed:
            self.metrics.count("notices", item.notice.space, "failed")

    def _chunk_size(self, platform: str) -> int:
        """About a second of the platform's rate: a process killed mid-chunk leaves that few unsure."""
        rate = self.pacer.per_second(platform)
        return CHUNK if rate is None else max(1, min(CHUNK, int(rate)))

    async def _send(self, item: QueuedNotice) -> Outcome:
        """Render and send one claimed notice, then mark it; 'released' when the platform was never called."""
        notice = item.notice
        if self._stopping or not self.delivery.ready(notice.space):
            return "released"
        reply = self._render(item)
        sent = False
        if reply is not None:
            await self.pacer.acquire(notice.space)
            if self._stopping or not self.delivery.ready(notice.space):
                return "released"
            try:
                sent = await self.delivery.send_private(notice.space, notice.member, reply)
            except Exception:
                log.exception("outbox: sending notice=%s kind=%s failed", item.id, notice.kind)
        if not sent:
            return "failed"  # marked with the rest of the chunk's failures, and what they cause
        await self.store.finish(item.id, "sent", self.clock.now())
        self.metrics.count("notices", notice.space, "sent")
        return "sent"

    def _render(self, item: QueuedNotice) -> Reply | None:
        """The notice in its space's language, or None (logged) when it cannot be rendered."""
        render = self.renderers.get(item.notice.prefix)
        if render is None:
            log.error("outbox: no renderer for notice=%s kind=%s, marked failed", item.id, item.notice.kind)
            return None
        try:
            return render(item.notice, Translator(self.spaces(item.notice.space).locale))
        except Exception:
            log.exception("outbox: rendering notice=%s kind=%s failed", item.id, item.notice.kind)
            return None

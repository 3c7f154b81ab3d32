"""Several processes on one database: one of them leads (fires the scheduler's wake-ups), any may take over.

On SQLite one process runs per file, so it always leads. On PostgreSQL the leader holds a lock on the
server (`bot.store.postgres.coordination`); the others try for it every second, and the first to get it
after the leader is gone takes over: it marks what the dead process left in flight as unsure, rebuilds
the wake-ups from the database and catches up, as a process does at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

log = logging.getLogger(__name__)

TRY_EVERY = 1.0  # seconds between a follower's tries: the takeover delay after a leader dies

Hook = Callable[[], Awaitable[None]]


class Coordination(Protocol):
    """What processes sharing a database agree through it."""

    shared: bool  # whether other processes may work on the same database

    async def open(self) -> None:
        """Connect (nothing to do for a single process)."""
        ...

    async def lead(self) -> bool:
        """Become, or stay, the process that fires wake-ups; whether this process leads now."""
        ...

    def exclusive(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold `key` against every other process while the block runs (one live card editor at a time)."""
        ...

    async def close(self) -> None:
        """Let go of everything held (leadership passes on)."""
        ...


class SoleProcess:
    """Coordination of the only process on the database (SQLite): it always leads, nothing to share."""

    shared = False

    async def open(self) -> None:
        """Nothing to connect."""

    async def lead(self) -> bool:
        """Always the leader."""
        return True

    @contextlib.asynccontextmanager
    async def exclusive(self, key: str) -> AsyncIterator[None]:
        """No other process to keep out."""
        yield

    async def close(self) -> None:
        """Nothing held."""


class Leadership:
    """Tries to lead now and then every `interval` seconds.

    Runs `elected` on becoming the leader, `deposed` on losing it and `leading` at each later try while it leads.
    """

    def __init__(
        self, coordination: Coordination, elected: Hook, deposed: Hook, leading: Hook | None = None,
        interval: float = TRY_EVERY,
    ) -> None:  # fmt: skip
        self.coordination = coordination
        self.elected = elected
        self.deposed = deposed
        self.still_leading = leading  # run at each try that finds this process still leading
        self.interval = interval
        self.leading = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Try at once (a sole process leads before start returns), then keep trying in the background."""
        await self._try()
        self._task = asyncio.get_running_loop().create_task(self._keep_trying())

    async def _keep_trying(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self._try()
            except Exception:
                log.exception("leadership: a try failed")

    async def _try(self) -> None:
        """Ask for leadership and act on a change."""
        leading = await self.coordination.lead()
        if leading and not self.leading:
            self.leading = True
            log.info("leadership: this process now fires the scheduled work")
            await self.elected()
        elif leading and self.still_leading is not None:
            await self.still_leading()
        elif not leading and self.leading:
            self.leading = False
            log.warning("leadership: lost (the database connection dropped); another process takes over")
            await self.deposed()

    @property
    def trying(self) -> bool:
        """Whether this process takes part: started, not stopped (a follower is ready to take over)."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Stop trying; leadership itself passes on when the coordination closes."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

"""Builders shared by the tests: settings on a temporary database, a running app, a console session."""

from __future__ import annotations

import asyncio
import heapq
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.adapters.console.adapter import ConsoleAdapter
from bot.app import App
from bot.config import Settings, load_settings
from bot.core.clock import ManualClock
from bot.core.model import Action, Member
from bot.feature import Feature
from bot.features import FEATURES

# A fixed "now" keeps dates in tests stable: Monday 1 June 2026, 10:00 in Paris.
START = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


def make_settings(db: Path, **values: Any) -> Settings:
    """Default settings on `db`; keyword `bot__timezone="…"` sets the key `bot.timezone`."""
    settings = load_settings(environ={}, database=str(db))
    merged = dict(settings.values)
    merged["bot.live_update_interval"] = 0.05
    merged.update({key.replace("__", "."): value for key, value in values.items()})
    return Settings(merged, settings.spaces, {}, None)


@asynccontextmanager
async def running_app(
    settings: Settings, clock: ManualClock | None = None, features: tuple[Feature, ...] = FEATURES
) -> AsyncIterator[App]:
    """An App (of `features`) started on its database, stopped afterwards."""
    app = App(settings, clock or ManualClock(START), features=features)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


def member(name: str, staff: bool = False, platform: str = "console") -> Member:
    """A member of the console space."""
    return Member(f"{platform}:{name}", name, is_staff=staff)


class ConsoleSession:
    """Types lines into the console adapter and returns what it printed since the last call."""

    def __init__(self, app: App) -> None:
        self.out = io.StringIO()
        self.adapter = ConsoleAdapter(app, self.out)
        self._read = 0

    async def say(self, *lines: str) -> str:
        """Handle each line in turn; the new output."""
        for line in lines:
            await self.adapter.handle(line)
        text = self.out.getvalue()
        new, self._read = text[self._read :], len(text)
        return new

    def click(self, action_id: str, who: Member, values: tuple[str, ...] = ()) -> Action:
        """An action as a platform would send it."""
        return Action(self.adapter.space, "general", who, action_id, values)



class VirtualTimer:
    """A monotonic clock that moves only when a test says so, for timing rules checked without real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._count = 0

    def time(self) -> float:
        """The virtual monotonic time."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Wait until the test advances past `seconds` from now (zero: just yield)."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._count += 1
        heapq.heappush(self._sleepers, (self.now + seconds, self._count, future))
        await future

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking each sleeper at its own instant and letting it run up to its next await."""
        target = self.now + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            wake, _, future = heapq.heappop(self._sleepers)
            self.now = wake
            future.set_result(None)
            await asyncio.sleep(0)  # the woken task runs now, reading this instant
        self.now = target

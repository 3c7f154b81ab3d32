"""Builders shared by the tests: settings on a temporary database, a running app, a console session."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.adapters.console.adapter import ConsoleAdapter
from bot.app import App
from bot.config import Settings, load_settings
from bot.core.clock import ManualClock
from bot.core.model import Action, Member

# A fixed "now" keeps dates in tests stable: Monday 1 June 2026, 10:00 in Paris.
START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def make_settings(db: Path, **values: Any) -> Settings:
    """Default settings on `db`; keyword `bot__timezone="…"` sets the key `bot.timezone`."""
    settings = load_settings(environ={}, database=str(db))
    merged = dict(settings.values)
    merged["bot.live_update_interval"] = 0.05
    merged.update({key.replace("__", "."): value for key, value in values.items()})
    return Settings(merged, settings.spaces, {}, None)


@asynccontextmanager
async def running_app(settings: Settings, clock: ManualClock | None = None) -> AsyncIterator[App]:
    """An App started on its database, stopped afterwards."""
    app = App(settings, clock or ManualClock(START))
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


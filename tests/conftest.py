"""Fixtures: every test gets its own database file and a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings
from tests.helpers import ConsoleSession, make_settings, running_app


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh temporary database, live updates every 50 ms."""
    return make_settings(tmp_path / "phosphore.db")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    """A started app on the temporary database."""
    async with running_app(settings) as started:
        yield started


@pytest.fixture
def console(app: App) -> ConsoleSession:
    """A console session on the app, acting as alice (staff)."""
    return ConsoleSession(app)

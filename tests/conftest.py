"""Fixtures: every test gets its own database file and a fixed clock."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings
from bot.logs import configure_logging
from tests.helpers import ConsoleSession, Session, make_settings, running_app


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
def bot(app: App) -> Session:
    """The console space as its members use it, acting as alice (staff); `bot.as_("bob")` acts as bob."""
    return Session(app)


@pytest.fixture
def console(app: App) -> ConsoleSession:
    """A console session on the app, acting as alice (staff)."""
    return ConsoleSession(app)


@pytest.fixture(autouse=True)
def no_unexpected_errors_logged(caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest) -> Iterator[None]:
    """A test fails if our code (or APScheduler running our jobs) logged an ERROR it did not expect."""
    yield
    if request.node.get_closest_marker("logs_errors"):
        return
    errors = [r for r in caplog.get_records("call") + caplog.get_records("teardown")
              if r.levelno >= logging.ERROR and r.name.startswith(("bot", "apscheduler"))]  # fmt: skip
    assert not errors, [f"{r.name}: {r.getMessage()}" for r in errors]


@pytest.fixture
def logs() -> Iterator[Callable[[str, str], io.StringIO]]:
    """Configure logging as `phosphore` does, into a buffer; the previous configuration comes back after."""
    root, ours = logging.getLogger(), logging.getLogger("bot")
    saved = (root.level, ours.level, list(root.handlers))
    buffers: list[io.StringIO] = []

    def configure(level: str, library_level: str) -> io.StringIO:
        buffers.append(io.StringIO())
        configure_logging(level, library_level, buffers[-1])
        return buffers[-1]

    yield configure
    root.handlers[:] = saved[2]
    root.setLevel(saved[0])
    ours.setLevel(saved[1])

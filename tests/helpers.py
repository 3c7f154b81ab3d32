"""The test harness: settings on a temporary database, a running app, and sessions that drive the whole bot.

`Session` is how feature tests act: members type commands and click, as a platform adapter would send them,
and it records what the bot posts and sends privately. `ConsoleSession` drives the console adapter itself.
"""

from __future__ import annotations

import asyncio
import copy
import heapq
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.console.render import Choice, render_card
from bot.app import App
from bot.config import Settings, load_settings
from bot.core.clock import ManualClock
from bot.core.model import Action, Member, platform_of
from bot.feature import Feature
from bot.features import FEATURES
from bot.ui import Button, Reply, Select
from tests.fakes.delivery import RecordingDelivery

SPACE = "console:local"
STAFF = frozenset({"alice"})  # as in the console's default settings

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


@dataclass
class _Screen:
    """What every member of a session shares: the recording platform and the latest card's choices."""

    sent: RecordingDelivery
    posts: bool
    choices: list[tuple[str, Choice]] = field(default_factory=list)  # (label, what pressing it sends)


class Session:
    """The whole bot as members use it in one space: type commands, click, switch member, read what it sent.

    Public replies are posted through a recording platform and kept live, as an adapter does (`posts=False`
    only returns them, for tests that post by hand). `as_` gives the same session acting as another member.
    """

    def __init__(
        self, app: App, who: str | Member = "alice", *, space: str = SPACE, channel: str = "general",
        locale: str | None = None, posts: bool = True,
    ) -> None:  # fmt: skip
        self.app = app
        self.space = space
        self.channel = channel
        self.member = who if isinstance(who, Member) else member(who, staff=who in STAFF)
        self.locale = locale
        self._screen = _Screen(RecordingDelivery(), posts)
        app.services.delivery.register(platform_of(space), self._screen.sent)

    @property
    def sent(self) -> RecordingDelivery:
        """Everything the bot posted, edited and sent privately, in order."""
        return self._screen.sent

    def as_(
        self, who: str | Member | None = None, locale: str | None = None, space: str | None = None,
        channel: str | None = None,
    ) -> Session:  # fmt: skip
        """The same session acting as `who` ("alice" is staff; default: the same member), in a language, space or channel."""
        other = copy.copy(self)
        other.channel = channel or self.channel
        if who is not None:
            other.member = who if isinstance(who, Member) else member(who, staff=who in STAFF)
        other.locale = locale
        other.space = space or self.space
        return other

    async def say(self, *lines: str, channel: str | None = None) -> Reply:
        """Type each line as a command ("/poll list" or "poll list"); the last reply."""
        reply = Reply()
        for line in lines:
            text = line.removeprefix("/")
            reply = await self.app.dispatcher.invoke_text(
                self.space, channel or self.channel, self.member, text, self.locale
            )
            await self._show(reply, channel or self.channel)
        return reply

    async def click(self, target: int | str) -> Reply:
        """Press button `target` of the latest card with controls: its number (1, 2…, as /click N) or its label."""
        choices = self._screen.choices
        if isinstance(target, int):
            assert 1 <= target <= len(choices), f"no control {target} among {[label for label, _ in choices]}"
            action_id, values = choices[target - 1][1]
        else:
            found = [choice for label, choice in choices if label == target]
            assert len(found) == 1, f"{len(found)} controls labelled {target!r} among {[label for label, _ in choices]}"
            action_id, values = found[0]
        return await self.act(action_id, values)

    async def act(self, action_id: str, values: tuple[str, ...] = (), fields: dict[str, str] | None = None) -> Reply:
        """A click, menu choice or form submission on a raw action id, as a platform sends it."""
        action = Action(self.space, self.channel, self.member, action_id, values, fields or {}, self.locale)
        reply = await self.app.dispatcher.act(action)
        await self._show(reply, self.channel)
        return reply

    def private(self, who: str | None = None) -> list[str]:
        """The texts sent privately to `who` (a name or member id; default: the acting member), in order."""
        name = who or self.member.key
        return self.sent.to(name if ":" in name else f"{platform_of(self.space)}:{name}")

    async def settle(self) -> None:
        """Wait until the live card edits started so far have landed."""
        await self.app.services.cards.drain()

    async def _show(self, reply: Reply, channel: str) -> None:
        """Remember the reply's controls for `click`; post and track a public reply as an adapter does."""
        if reply.card is not None and reply.card.controls:
            _lines, numbered = render_card(reply.card)
            self._screen.choices = list(zip(_labels(reply), numbered, strict=True))
        if reply.public and self._screen.posts:
            ref = await self.sent.post(self.space, channel, reply)
            assert ref is not None
            await self.app.dispatcher.posted(reply, ref)


def _labels(reply: Reply) -> list[str]:
    """The label of every numbered entry of a card: buttons, then each option of a menu."""
    assert reply.card is not None
    labels: list[str] = []
    for control in reply.card.controls:
        if isinstance(control, Button):
            labels.append(control.label)
        elif isinstance(control, Select):
            labels += [option.label for option in control.options]
    return labels


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

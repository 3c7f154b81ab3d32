"""/echo watch and /echo unwatch: listen to this channel (or stop), if the platform lets the bot read it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.commands.context import Context
from bot.commands.registry import command
from bot.core.delivery import DeliveryHub
from bot.core.model import InboundMessage
from bot.core.subscriptions import Subscriptions
from bot.ui import Reply


@dataclass
class Heard:
    """What the feature received, in order; tests wait on it."""

    messages: list[InboundMessage] = field(default_factory=list)
    fail_on: str | None = None  # a text that makes the handler raise (to prove errors stay contained)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def record(self, message: InboundMessage) -> None:
        """The feature's `on_message`."""
        if self.fail_on is not None and message.text == self.fail_on:
            raise RuntimeError("echo was told to fail")
        self.messages.append(message)
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[list[InboundMessage]], bool], timeout: float = 5.0) -> None:
        """Wait (on a condition, not a sleep) until `predicate(messages)` holds."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self.messages)), timeout)


@dataclass(frozen=True)
class EchoDeps:
    """Subscribing, and knowing what the platform can do."""

    subscriptions: Subscriptions
    delivery: DeliveryHub


@command("echo", "watch")
async def watch(ctx: Context[EchoDeps]) -> Reply:
    """Listen to this channel; refused, with a reason, where the bot cannot read messages."""
    ctx.deps.delivery.require(ctx.space, "inbound")
    await ctx.deps.subscriptions.subscribe("echo", ctx.space, ctx.channel)
    return Reply(text=ctx._("echo.watching"))


@command("echo", "unwatch")
async def unwatch(ctx: Context[EchoDeps]) -> Reply:
    """Stop listening to this channel."""
    removed = await ctx.deps.subscriptions.unsubscribe("echo", ctx.space, ctx.channel)
    return Reply(text=ctx._("echo.stopped" if removed else "echo.not_watching"))

"""The /live commands: start, join, list, detach, stop and show the event's live thread."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.context import Context
from bot.commands.registry import Kind, Option, command
from bot.features.live.domain import LiveService
from bot.features.live.engage_hosting import Stage
from bot.features.live.hosting import Host
from bot.features.live.views import channels_card, platform_name
from bot.ui import Reply
from bot.web.links import Links

EVENT = Option("event", Kind.REF, required=True, positional=True, refers="event")


@dataclass(frozen=True)
class LiveDeps:
    """What the live-thread handlers use."""

    live: LiveService
    host: Host
    stage: Stage  # questions, polls, check-ins, announcements (engage_commands, questions_commands)
    links: Links  # the links to the thread's web page (web_commands)
    web_url: str  # where the web page is reached, without a trailing slash


@command("live", "start", EVENT, permission="staff")
async def start(ctx: Context[LiveDeps], event: str) -> Reply:
    """Start the event's live thread in this channel; the reply gives the code other channels join with."""
    started = await ctx.deps.host.start(ctx.space, ctx.channel, ctx.member, event)
    return Reply(text=ctx._("live.started", ref=started.live.ref, code=started.code))


@command("live", "join", Option("code", Kind.TEXT, required=True, positional=True, max_length=40), permission="staff")
async def join(ctx: Context[LiveDeps], code: str) -> Reply:
    """Attach this channel to a live thread started elsewhere, with its join code."""
    live, _attached = await ctx.deps.host.join(ctx.space, ctx.channel, ctx.member, code)
    return Reply(text=ctx._("live.joined", ref=live.ref))


@command("live", "code", permission="staff")
async def code(ctx: Context[LiveDeps]) -> Reply:
    """A new single-use join code for the live thread attached here."""
    live, _ = await ctx.deps.live.here(ctx.space, ctx.channel)
    return Reply(text=ctx._("live.code", code=await ctx.deps.live.issue_code(live, ctx.member)))


@command("live", "channels", permission="staff")
async def channels(ctx: Context[LiveDeps]) -> Reply:
    """The channels the live thread attached here is followed in."""
    live, _ = await ctx.deps.live.here(ctx.space, ctx.channel)
    return Reply(card=channels_card(live, await ctx.deps.live.channels(live), ctx.now(), ctx._))


@command(
    "live", "detach", Option("channel", Kind.INT, required=True, positional=True, min_value=1, max_value=100),
    permission="staff",
)  # fmt: skip
async def detach(ctx: Context[LiveDeps], channel: int) -> Reply:
    """Detach channel N (as /live channels numbers them) from the live thread."""
    live, target = await ctx.deps.live.detach(ctx.space, ctx.channel, ctx.member, str(channel))
    await ctx.deps.host.hide(live, target)
    return Reply(text=ctx._("live.detached", number=channel, platform=platform_name(target.platform)))


@command("live", "stop", permission="staff")
async def stop(ctx: Context[LiveDeps]) -> Reply:
    """End the live thread: the summary is posted in every attached channel and relaying stops."""
    live, attached = await ctx.deps.live.stop(ctx.space, ctx.channel, ctx.member)
    for channel in attached:
        await ctx.deps.host.hide(live, channel)
    await ctx.deps.host.summarize(live)
    await ctx.deps.stage.published(live)  # the summary, queued as the thread stopped
    return Reply(text=ctx._("live.stopped_done", ref=live.ref, count=len(attached)))


@command("live", "status")
async def status(ctx: Context[LiveDeps]) -> Reply:
    """What is running here: the live thread, its event and where it is followed."""
    found = await ctx.deps.live.store.attached(ctx.space, ctx.channel)
    if found is None:
        return Reply(text=ctx._("live.status.none"))
    live, _ = found
    event = await ctx.deps.live.event_of(live)
    count = len(await ctx.deps.live.channels(live))
    return Reply(text=ctx._("live.status.running", ref=event.ref, title=event.title, count=count))

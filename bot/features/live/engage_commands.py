"""Taking part in the live thread: /live poll and its votes, /live here, /live post, /live export."""

from __future__ import annotations

from bot.commands.context import Context
from bot.commands.exports import SEP, csv_reply, export_separator
from bot.commands.registry import Kind, Option, action, command
from bot.features.live.commands import LiveDeps
from bot.features.live.engage import ANNOUNCEMENT_MAX, CHECKIN_MAX
from bot.features.live.engage_views import LIVE_VOTE
from bot.features.polls.domain import OPTIONS_MAX, QUESTION_MAX, check_draft
from bot.features.polls.views import choices_text
from bot.ui import Reply


@command(
    "live", "poll",
    Option("question", Kind.TEXT, required=True, positional=True, max_length=QUESTION_MAX),
    Option("options", Kind.LIST, required=True, positional=True),
    Option("multi", Kind.INT, min_value=1, max_value=OPTIONS_MAX),
    Option("anonymous", Kind.FLAG),
    permission="poll_creators",
    form=True,
)  # fmt: skip
async def poll(
    ctx: Context[LiveDeps], question: str, options: list[str], multi: int = 1, anonymous: bool = False
) -> Reply:
    """Open a poll in the live thread: posted in every attached thread, votes from everywhere in one result."""
    stage = ctx.deps.stage
    draft = check_draft(question, options, multi, anonymous)
    live, opened = await stage.engage.open_poll(ctx.space, ctx.channel, ctx.member, draft)
    count = await stage.published(live)  # its card, queued with the poll (rendered by the live feature's livepoll)
    return Reply(text=ctx._("live.poll_opened", ref=opened.ref, count=count))


@action(LIVE_VOTE)
async def vote(ctx: Context[LiveDeps], poll_id: int, option: int) -> Reply:
    """A vote on a copy of a live poll, from any channel attached to its thread (and only from one)."""
    voted, choices = await ctx.deps.stage.engage.vote(ctx.space, ctx.channel, ctx.member, poll_id, option)
    return Reply(text=choices_text(voted, choices, ctx._))


@command(
    "live", "here",
    Option("antenna", Kind.TEXT, required=True, positional=True, max_length=60),
    Option("count", Kind.INT, positional=True, min_value=1, max_value=CHECKIN_MAX),
)  # fmt: skip
async def here(ctx: Context[LiveDeps], antenna: str, count: int = 1) -> Reply:
    """Check an antenna in: how many people follow the thread from there."""
    stage = ctx.deps.stage
    live, checkin = await stage.engage.check_in(ctx.space, ctx.channel, ctx.member, antenna, count)
    await stage.published(live)
    return Reply(text=ctx._("live.checked_in", antenna=checkin.antenna, count=checkin.count))


@command(
    "live", "post", Option("text", Kind.PARAGRAPH, required=True, positional=True, max_length=ANNOUNCEMENT_MAX),
    permission="staff",
)  # fmt: skip
async def post(ctx: Context[LiveDeps], text: str) -> Reply:
    """A staff announcement in every attached thread, marked as such."""
    stage = ctx.deps.stage
    live, _said = await stage.engage.announce(ctx.space, ctx.channel, ctx.member, text)
    count = await stage.published(live)
    return Reply(text=ctx._("live.announced", count=count))


@command("live", "export", SEP, permission="staff")
async def export(ctx: Context[LiveDeps], sep: str | None = None) -> Reply:
    """The thread's transcript as CSV: time, platform, author (empty when anonymous), kind, text."""
    chosen = export_separator(ctx, sep)
    _live, event, content = await ctx.deps.stage.engage.export_here(ctx.space, ctx.channel, ctx.member, chosen)
    return csv_reply(ctx, ctx._("live.exported", ref=event.ref), f"live-{event.ref}.csv", content, chosen)

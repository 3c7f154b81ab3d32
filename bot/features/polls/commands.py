"""The /poll commands and the vote clicks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.commands.context import Context
from bot.commands.exports import SEP, csv_reply, export_separator
from bot.commands.registry import Kind, Option, action, command, references
from bot.core.livecards import LiveCards
from bot.features.polls.domain import OPTIONS_MAX, QUESTION_MAX, Poll, PollService, check_draft
from bot.features.polls.views import VOTE, choices_text, final_card, poll_card
from bot.ui import Card, Reply

REF = Option("ref", Kind.REF, required=True, positional=True, refers="poll")


@dataclass(frozen=True)
class PollDeps:
    """What the poll handlers use."""

    polls: PollService
    cards: LiveCards


async def card_for(ctx: Context[PollDeps], poll: Poll) -> Card:
    """The poll's card in the reader's language."""
    tally = await ctx.deps.polls.tally(poll)
    return poll_card(poll, tally, ctx._, ctx.settings.tz, ctx.now())


@command(
    "poll",
    "create",
    Option("question", Kind.TEXT, required=True, positional=True, max_length=QUESTION_MAX),
    Option("options", Kind.LIST, required=True, positional=True),
    Option("multi", Kind.INT, min_value=1, max_value=OPTIONS_MAX),
    Option("anonymous", Kind.FLAG),
    Option("results", Kind.CHOICE, choices=("live", "closed")),
    Option("closes", Kind.WHEN),
    permission="poll_creators",
    form=True,
)
async def create(
    ctx: Context[PollDeps],
    question: str,
    options: list[str],
    multi: int = 1,
    anonymous: bool = False,
    results: str = "live",
    closes: datetime | None = None,
) -> Reply:
    """Open a poll in this channel."""
    draft = check_draft(question, options, multi, anonymous, results, closes)
    poll = await ctx.deps.polls.create(ctx.space, ctx.channel, ctx.member, draft)
    return Reply(card=await card_for(ctx.for_everyone(), poll), public=True, subject=poll.subject)


@action(VOTE)
async def vote(ctx: Context[PollDeps], poll_id: int, option: int) -> Reply:
    """A click on an option (buttons carry the option, a select sends it as its value)."""
    poll, choices = await ctx.deps.polls.vote(ctx.space, ctx.member, poll_id, option)
    return Reply(text=choices_text(poll, choices, ctx._))


@command("poll", "close", REF)
async def close(ctx: Context[PollDeps], ref: str) -> Reply:
    """Close a poll now and post its final results."""
    poll = await ctx.deps.polls.close(ctx.space, ref, ctx.member)
    await ctx.deps.cards.flush_now(poll.subject)
    tally = await ctx.deps.polls.tally(poll)
    return Reply(card=final_card(poll, tally, ctx.for_everyone()._, ctx.settings.tz, ctx.now()), public=True)


@command("poll", "results", REF)
async def results(ctx: Context[PollDeps], ref: str) -> Reply:
    """Show a poll's results to me."""
    poll, tally = await ctx.deps.polls.results(ctx.space, ref)
    return Reply(card=poll_card(poll, tally, ctx._, ctx.settings.tz, ctx.now()))


@command("poll", "list")
async def list_open(ctx: Context[PollDeps]) -> Reply:
    """The open polls of this space."""
    polls = await ctx.deps.polls.open_polls(ctx.space)
    if not polls:
        return Reply(text=ctx._("poll.list.empty"))
    lines = [ctx._("poll.list.item", ref=poll.ref, question=poll.question) for poll in polls]
    return Reply(card=Card(title=ctx._("poll.list.title", count=len(polls)), text=("\n".join(lines),)))


@command("poll", "mine", REF)
async def mine(ctx: Context[PollDeps], ref: str) -> Reply:
    """My current choices on a poll."""
    poll, choices = await ctx.deps.polls.my_choices(ctx.space, ref, ctx.member)
    if not choices:  # a query, not a click: "no choice left" and "vote recorded" would both be wrong
        return Reply(text=ctx._("poll.mine.none", ref=poll.ref))
    return Reply(text=ctx._("poll.mine.current", ref=poll.ref, choices=", ".join(poll.options[i] for i in choices)))


@command("poll", "export", REF, SEP)
async def export(ctx: Context[PollDeps], ref: str, sep: str | None = None) -> Reply:
    """The poll as a CSV file (creator and staff)."""
    chosen = export_separator(ctx, sep)
    poll, content = await ctx.deps.polls.export_file(ctx.space, ref, ctx.member, chosen)
    return csv_reply(ctx, ctx._("poll.export.done", ref=poll.ref), f"poll-{poll.ref}.csv", content, chosen)


@references("poll")
async def open_poll_refs(ctx: Context[PollDeps]) -> list[tuple[int, str]]:
    """The open polls of this space, for autocomplete."""
    return [(poll.ref, f"#{poll.ref} {poll.question}") for poll in await ctx.deps.polls.open_polls(ctx.space)]

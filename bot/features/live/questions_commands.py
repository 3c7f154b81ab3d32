"""Questions in the live thread: /live ask (or its form), upvote and answered clicks, /live questions|answered|hide."""

from __future__ import annotations

from bot.commands.context import Context
from bot.commands.registry import Kind, Option, action, command
from bot.features.live.commands import LiveDeps
from bot.features.live.engage_views import ANSWERED, UPVOTE, questions_card
from bot.features.live.questions import QUESTION_MAX, Question
from bot.ui import Reply

NUMBER = Option("number", Kind.INT, required=True, positional=True, min_value=1)


async def refreshed(ctx: Context[LiveDeps], question: Question) -> None:
    """A staff change shows at once on every copy (no need to coalesce a single edit)."""
    await ctx.deps.stage.cards.flush_now(question.subject)


@command(
    "live", "ask",
    Option("question", Kind.PARAGRAPH, required=True, positional=True, max_length=QUESTION_MAX),
    Option("anonymous", Kind.FLAG),
    form=True,
)  # fmt: skip
async def ask(ctx: Context[LiveDeps], question: str, anonymous: bool = False) -> Reply:
    """Ask a question in the live thread: it is shown in every attached thread, where everyone can upvote it."""
    stage = ctx.deps.stage
    live, asked = await stage.engage.ask(ctx.space, ctx.channel, ctx.member, question, anonymous)
    await stage.published(live)  # its card, queued with the question
    return Reply(text=ctx._("live.asked_anonymous" if anonymous else "live.asked", number=asked.number))


@action(UPVOTE)
async def upvote(ctx: Context[LiveDeps], question_id: int) -> Reply:
    """A click on ▲: upvote, or take the upvote back."""
    question, on = await ctx.deps.stage.engage.upvote(ctx.space, ctx.channel, ctx.member, question_id)
    return Reply(text=ctx._("live.upvoted" if on else "live.unvoted", number=question.number, count=question.votes))


@action(ANSWERED)
async def answered_click(ctx: Context[LiveDeps], question_id: int) -> Reply:
    """Staff click "answered" on a question card."""
    question = await ctx.deps.stage.engage.mark_by_id(ctx.space, ctx.channel, ctx.member, question_id, "answered")
    await refreshed(ctx, question)
    return Reply(text=ctx._("live.marked_answered", number=question.number))


@command("live", "questions")
async def questions(ctx: Context[LiveDeps]) -> Reply:
    """The most upvoted questions of the live thread."""
    _live, top = await ctx.deps.stage.engage.top(ctx.space, ctx.channel)
    return Reply(card=questions_card(top, ctx._))


@command("live", "answered", NUMBER, permission="staff")
async def answered(ctx: Context[LiveDeps], number: int) -> Reply:
    """Mark question n° N answered."""
    question = await ctx.deps.stage.engage.mark(ctx.space, ctx.channel, ctx.member, number, "answered")
    await refreshed(ctx, question)
    return Reply(text=ctx._("live.marked_answered", number=question.number))


@command("live", "hide", NUMBER, permission="staff")
async def hide(ctx: Context[LiveDeps], number: int) -> Reply:
    """Hide question n° N: its cards say so and it leaves the lists."""
    question = await ctx.deps.stage.engage.mark(ctx.space, ctx.channel, ctx.member, number, "hidden")
    await refreshed(ctx, question)
    return Reply(text=ctx._("live.marked_hidden", number=question.number))

"""The /idea commands and the idea wall's clicks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.commands.context import Context
from bot.commands.exports import SEP, csv_reply, export_separator
from bot.commands.registry import Kind, Option, action, command, references
from bot.core.errors import UserError
from bot.features.ideas.domain import (
    FINAL_TOP,
    PROMPT_MAX,
    STATUSES,
    TOP_MAX,
    Idea,
    IdeaService,
    Telling,
    Wall,
    fold,
    shorten,
)
from bot.features.ideas.views import (
    FORCE,
    INSTEAD,
    LIKE,
    PAGE,
    hint_card,
    idea_card,
    mine_card,
    page_card,
    top_card,
    wall_line,
    wall_title,
)
from bot.features.polls.domain import OPTIONS_MIN, PollService, check_draft
from bot.features.polls.views import poll_card
from bot.i18n import SUPPORTED, Translator, translate
from bot.ui import Card, Reply

REF = Option("ref", Kind.REF, required=True, positional=True, refers="idea")
WALL = Option("wall", Kind.TEXT, refers="wall")
WALL_ACTIONS = ("open", "close", "list")


@dataclass(frozen=True)
class IdeaDeps:
    """What the idea handlers use: their service, and polls for /idea to-poll."""

    ideas: IdeaService
    polls: PollService


def pick(_: Translator, word: str, choices: tuple[str, ...], prefix: str, option: str) -> str:
    """The choice a member typed, by its id or its name in any language (`prefix.<choice>`)."""
    wanted = fold(word)
    for choice in choices:
        names = {choice} | {translate(locale, f"{prefix}.{choice}") for locale in SUPPORTED}
        if wanted in {fold(name) for name in names}:
            return choice
    named = ", ".join(_(f"{prefix}.{choice}") for choice in choices)
    raise UserError("idea.bad_choice", field=option, value=word, choices=named)


async def card_for(ctx: Context[IdeaDeps], idea: Idea) -> Card:
    """The idea's card in the reader's language."""
    wall = await ctx.deps.ideas.wall_by_id(ctx.space, idea.wall_id)
    return idea_card(idea, wall, ctx._, ctx.now())


async def posted(ctx: Context[IdeaDeps], idea: Idea) -> Reply:
    """A freshly submitted idea, posted in the channel as a live card (an anonymous one apart from its author's command)."""
    return Reply(
        card=await card_for(ctx.for_everyone(), idea), public=True, subject=idea.subject, detached=idea.anonymous
    )


def liked_text(ctx: Context[IdeaDeps], idea: Idea, liked: bool) -> str:
    """ "You like idea #3 (12 likes)" or "You no longer like it"."""
    return ctx._("idea.liked" if liked else "idea.unliked", ref=idea.ref, count=idea.likes)


def with_telling(ctx: Context[IdeaDeps], text: str, telling: Telling) -> str:
    """A moderation confirmation, saying how the author will hear of it (sent after the commit)."""
    return text if telling == "own" else f"{text} {ctx._(f'idea.telling.{telling}')}"


@command(
    "idea",
    "submit",
    Option("text", Kind.PARAGRAPH, required=True, positional=True),
    WALL,
    Option("category", Kind.TEXT),
    Option("anonymous", Kind.FLAG),
    form=True,
)
async def submit(
    ctx: Context[IdeaDeps], text: str, wall: str | None = None, category: str | None = None, anonymous: bool = False
) -> Reply:
    """Post an idea on a wall; a similar idea already there is offered first."""
    outcome = await ctx.deps.ideas.submit(ctx.space, ctx.channel, ctx.member, text, wall, category, anonymous)
    if outcome.idea is None:
        assert outcome.similar is not None and outcome.draft_id is not None
        return Reply(card=hint_card(outcome.similar, outcome.draft_id, ctx._))
    return await posted(ctx, outcome.idea)


@action(LIKE)
async def like(ctx: Context[IdeaDeps], idea_id: int) -> Reply:
    """The Like button: a toggle."""
    idea, liked = await ctx.deps.ideas.like(ctx.space, ctx.member, idea_id)
    return Reply(text=liked_text(ctx, idea, liked))


@action(INSTEAD)
async def like_instead(ctx: Context[IdeaDeps], draft_id: int, idea_id: int) -> Reply:
    """ "Like it instead": like the similar idea and drop the held-back draft."""
    idea, _ = await ctx.deps.ideas.like(ctx.space, ctx.member, idea_id, only_add=True)
    await ctx.deps.ideas.drop_draft(ctx.space, ctx.member, draft_id)
    return Reply(text=liked_text(ctx, idea, True))


@action(FORCE)
async def submit_anyway(ctx: Context[IdeaDeps], draft_id: int) -> Reply:
    """ "Submit anyway": post the held-back draft."""
    return await posted(ctx, await ctx.deps.ideas.submit_draft(ctx.space, ctx.member, draft_id))


@action(PAGE)
async def page_click(ctx: Context[IdeaDeps], wall_id: int, number: int) -> Reply:
    """Previous / next page of a wall's ideas."""
    wall = await ctx.deps.ideas.wall_by_id(ctx.space, wall_id)
    return await _page(ctx, wall, number)


async def _page(ctx: Context[IdeaDeps], wall: Wall, number: int) -> Reply:
    """Page `number` of a wall's ideas, as a card with its paging buttons."""
    ideas, pages = await ctx.deps.ideas.page(wall, number)
    return Reply(card=page_card(wall, ideas, min(max(1, number), pages), pages, ctx._))


@command("idea", "like", REF)
async def like_ref(ctx: Context[IdeaDeps], ref: str) -> Reply:
    """Like an idea by its reference, or take the like back."""
    idea = await ctx.deps.ideas.get(ctx.space, ref)
    idea, liked = await ctx.deps.ideas.like(ctx.space, ctx.member, idea.id)
    return Reply(text=liked_text(ctx, idea, liked))


@command("idea", "show", REF)
async def show(ctx: Context[IdeaDeps], ref: str) -> Reply:
    """An idea's card, with its Like button."""
    return Reply(card=await card_for(ctx, await ctx.deps.ideas.get(ctx.space, ref)))


@command("idea", "top", WALL, Option("category", Kind.TEXT), Option("limit", Kind.INT, min_value=1, max_value=TOP_MAX))
async def top(ctx: Context[IdeaDeps], wall: str | None = None, category: str | None = None, limit: int = 10) -> Reply:
    """The most liked ideas of a wall (ties: older first)."""
    chosen = await ctx.deps.ideas.wall(ctx.space, ctx.channel, wall)
    return Reply(card=top_card(chosen, await ctx.deps.ideas.top(chosen, category, limit), ctx._))


@command("idea", "list", WALL, Option("page", Kind.INT, min_value=1))
async def list_ideas(ctx: Context[IdeaDeps], wall: str | None = None, page: int = 1) -> Reply:
    """A wall's ideas, newest first, a page at a time."""
    return await _page(ctx, await ctx.deps.ideas.wall(ctx.space, ctx.channel, wall), page)


@command("idea", "mine")
async def mine(ctx: Context[IdeaDeps]) -> Reply:
    """My ideas, anonymous ones included (only I see that they are mine)."""
    return Reply(card=mine_card(await ctx.deps.ideas.mine(ctx.space, ctx.member), ctx._))


@command("idea", "edit", REF, Option("text", Kind.PARAGRAPH, required=True, positional=True))
async def edit(ctx: Context[IdeaDeps], ref: str, text: str) -> Reply:
    """Change an idea's text: my own while its wall is open, or any (staff, to correct a typo)."""
    idea = await ctx.deps.ideas.edit(ctx.space, ref, ctx.member, text)
    return Reply(text=ctx._("idea.edited", ref=idea.ref))


@command("idea", "withdraw", REF)
async def withdraw(ctx: Context[IdeaDeps], ref: str) -> Reply:
    """Take back one of my ideas while its wall is open."""
    idea = await ctx.deps.ideas.withdraw(ctx.space, ref, ctx.member)
    return Reply(text=ctx._("idea.withdrawn", ref=idea.ref))


@command(
    "idea",
    "status",
    REF,
    Option("status", Kind.TEXT, required=True, positional=True),
    Option("reason", Kind.TEXT),
    permission="staff",
)
async def status(ctx: Context[IdeaDeps], ref: str, status: str, reason: str | None = None) -> Reply:
    """Move an idea along: new, to explore, retained, done or declined (its author is told)."""
    chosen = pick(ctx._, status, STATUSES, "idea.status", "status")
    idea, telling = await ctx.deps.ideas.set_status(ctx.space, ref, ctx.member, chosen, reason)
    text = ctx._("idea.status_set", ref=idea.ref, status=ctx._(f"idea.status.{idea.status}"))
    return Reply(text=with_telling(ctx, text, telling))


@command("idea", "hide", REF, Option("reason", Kind.TEXT), permission="staff")
async def hide(ctx: Context[IdeaDeps], ref: str, reason: str | None = None) -> Reply:
    """Take an idea off the listings; it is kept, and its author is told why."""
    idea, telling = await ctx.deps.ideas.hide(ctx.space, ref, ctx.member, reason)
    return Reply(text=with_telling(ctx, ctx._("idea.hidden", ref=idea.ref), telling))


@command("idea", "merge", REF, Option("into", Kind.REF, required=True, positional=True), permission="staff")
async def merge(ctx: Context[IdeaDeps], ref: str, into: str) -> Reply:
    """Merge a duplicate into another idea: likes united, each member counted once."""
    target, telling = await ctx.deps.ideas.merge(ctx.space, ref, into, ctx.member)
    text = ctx._("idea.merged", ref=ref.lstrip("#"), into=target.ref, count=target.likes)
    return Reply(text=with_telling(ctx, text, telling))


@command(
    "idea",
    "wall",
    Option("action", Kind.TEXT, required=True, positional=True),
    Option("subject", Kind.TEXT, positional=True),
    Option("categories", Kind.TEXT),
    Option("closes", Kind.WHEN),
)
async def wall(
    ctx: Context[IdeaDeps],
    action: str,
    subject: str | None = None,
    categories: str | None = None,
    closes: datetime | None = None,
) -> Reply:
    """Open a wall with a prompt (staff), close one (staff), or list them."""
    verb = pick(ctx._, action, WALL_ACTIONS, "idea.wall.action", "action")
    if verb == "list":
        walls = await ctx.deps.ideas.walls(ctx.space)
        lines = [wall_line(w, ctx._, ctx.settings.tz, ctx.now()) for w in walls]
        return Reply(
            card=Card(title=ctx._("idea.wall.list_title"), text=("\n".join(lines) or ctx._("idea.wall.none"),))
        )
    if not ctx.member.is_staff:
        raise UserError("args.forbidden", command=f"/idea wall {verb}")
    if not subject:
        raise UserError(f"idea.wall.{verb}_needs_subject", field="subject")
    if verb == "close":
        return await _close(ctx, subject)
    opened = await ctx.deps.ideas.open_wall(ctx.space, ctx.channel, ctx.member, subject, categories, closes)
    _ = ctx.for_everyone()._
    text = _("idea.wall.opened", ref=opened.ref, prompt=wall_title(opened, _))
    return Reply(text=text + "\n" + wall_line(opened, _, ctx.settings.tz, ctx.now()), public=True)


async def _close(ctx: Context[IdeaDeps], ref: str) -> Reply:
    """Close a wall and announce its final ranking in the channel."""
    closed = await ctx.deps.ideas.close_wall(ctx.space, ref)
    ranking = await ctx.deps.ideas.top(closed, limit=FINAL_TOP)
    return Reply(card=top_card(closed, ranking, ctx.for_everyone()._, final=True), public=True)


@command("idea", "export", WALL, SEP, permission="staff")
async def export(ctx: Context[IdeaDeps], wall: str | None = None, sep: str | None = None) -> Reply:
    """The ideas as a CSV file: one wall, or every wall of this space."""
    chosen = export_separator(ctx, sep)
    content = await ctx.deps.ideas.export_csv(ctx.space, wall, chosen)
    name = f"ideas-wall-{wall.lstrip('#')}.csv" if wall else "ideas.csv"
    return csv_reply(ctx, ctx._("idea.export.done"), name, content, chosen)


@command(
    "idea",
    "to-poll",
    Option("top", Kind.INT, min_value=OPTIONS_MIN, max_value=TOP_MAX),
    WALL,
    permission="poll_creators",
)
async def to_poll(ctx: Context[IdeaDeps], top: int = 5, wall: str | None = None) -> Reply:
    """Open a poll whose options are the wall's top ideas."""
    ideas = ctx.deps.ideas
    chosen = await ideas.wall(ctx.space, ctx.channel, wall)
    options = ideas.poll_choices(await ideas.top(chosen, limit=top))
    question = shorten(ctx._("idea.to_poll.question", wall=wall_title(chosen, ctx._)), PROMPT_MAX)
    poll = await ctx.deps.polls.create(ctx.space, ctx.channel, ctx.member, check_draft(question, options))
    public = ctx.for_everyone()
    card = poll_card(poll, await ctx.deps.polls.tally(poll), public._, ctx.settings.tz, ctx.now())
    return Reply(card=card, public=True, subject=poll.subject)


IDEAS_SUGGESTED_FROM = 1000  # per wall: autocomplete reads at most this many ideas of each wall


@references("wall")
async def wall_refs(ctx: Context[IdeaDeps]) -> list[tuple[int, str]]:
    """The walls of this space, for autocomplete."""
    return [(wall.ref, f"#{wall.ref} {wall_title(wall, ctx._)}") for wall in await ctx.deps.ideas.walls(ctx.space)]


@references("idea")
async def idea_refs(ctx: Context[IdeaDeps]) -> list[tuple[int, str]]:
    """The ideas of this space, newest first, for autocomplete."""
    walls = await ctx.deps.ideas.walls(ctx.space)
    ideas = [idea for wall in walls for idea in await ctx.deps.ideas.top(wall, limit=IDEAS_SUGGESTED_FROM)]
    ideas.sort(key=lambda idea: idea.ref, reverse=True)
    return [(idea.ref, f"#{idea.ref} {idea.text}") for idea in ideas]

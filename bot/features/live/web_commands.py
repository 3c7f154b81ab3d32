"""/live web: links to the live thread's web page (personal for everyone, shared and projector for staff), revoked at once."""

from __future__ import annotations

from bot.commands.context import Context
from bot.commands.registry import Kind, Option, command
from bot.features.live.commands import LiveDeps
from bot.ui import Reply


@command("live", "web", Option("action", Kind.CHOICE, positional=True, choices=("revoke",)))
async def web(ctx: Context[LiveDeps], action: str | None = None) -> Reply:
    """Your personal link to the thread's page, privately; staff also get the shared and projector links."""
    live, _attached = await ctx.deps.live.here(ctx.space, ctx.channel)
    links = ctx.deps.links
    base = f"{ctx.deps.web_url}/live/"
    if action == "revoke":
        ctx.deps.live.require_staff(ctx.member)
        count = await links.revoke(live)
        return Reply(text=ctx._("live.web.revoked", count=count))
    personal = await links.personal(live, ctx.member)
    text = ctx._("live.web.personal", url=base + personal.token)
    if ctx.member.is_staff:
        shared, projector = await links.public(live)
        text += "\n" + ctx._(
            "live.web.public", shared=base + shared.token, projector=f"{base}{projector.token}?present=1"
        )
    return Reply(text=text)  # private: the personal link acts as this member

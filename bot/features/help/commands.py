"""/help: what the caller may use."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.context import Context, usage
from bot.commands.registry import Registry, command
from bot.ui import Card, Reply


@dataclass(frozen=True)
class HelpDeps:
    """Help reads the declarations."""

    registry: Registry


@command("help", "me")
async def help_me(ctx: Context[HelpDeps]) -> Reply:
    """Every command the caller may use, with its usage and what it does."""
    registry = ctx.deps.registry
    blocks = []
    for group in registry.groups():
        if group == "help":
            continue
        lines = [
            f"`{usage(ctx._, c)}`\n    {ctx._(f'cmd.{c.key}.help')}"
            for c in registry.in_group(group)
            if ctx.may(c.permission)
        ]
        if lines:
            blocks.append(f"*{ctx._(f'cmd.{group}.help')}*\n" + "\n".join(lines))
    return Reply(card=Card(title=ctx._("help.title"), text=tuple(blocks), footer=ctx._("help.footer")))

"""/help: what the caller may use; `/help poll` (or `/poll help`) explains one group's commands and options."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.context import Context, label, usage
from bot.commands.parsing import localized_names
from bot.commands.registry import Command, Kind, Option, Registry, command
from bot.core.errors import UserError
from bot.core.text import fold
from bot.ui import Card, Reply


@dataclass(frozen=True)
class HelpDeps:
    """Help reads the declarations."""

    registry: Registry


def spoken(ctx: Context[HelpDeps], command: Command) -> str:
    """The command's words in the reader's language ("/sondage créer"), which work as well as the English ones."""
    return f"/{ctx._(f'cmd.{command.group}.name')} {ctx._(f'cmd.{command.key}.name')}"


def entry(ctx: Context[HelpDeps], command: Command) -> str:
    """One command: its usage, its words in the reader's language when they differ, what it does."""
    local = spoken(ctx, command)
    also = f"{local} — " if fold(local) != fold(f"/{command.path}") else ""
    return f"`{usage(ctx._, command)}`\n    {also}{ctx._(f'cmd.{command.key}.help')}"


def option_line(ctx: Context[HelpDeps], command: Command, option: Option) -> str:
    """One option explained: `--closes (--clôture)` or `"question"`, then its help."""
    meta = label(ctx._, command, option)
    if option.positional:
        name = f'"{meta}"'
    else:
        local = "-".join(meta.split())
        name = f"--{option.name}" + (f" (--{local})" if fold(local) != fold(option.name) else "")
        if option.kind is Kind.CHOICE:
            name += " " + "|".join(option.choices)
    return "      " + ctx._("help.option", name=name, help=ctx._(f"cmd.{command.key}.{option.name}.help"))


@command("help", "me", Option("topic", Kind.TEXT, positional=True))
async def help_me(ctx: Context[HelpDeps], topic: str | None = None) -> Reply:
    """Every command the caller may use, with its usage and what it does; one group in detail."""
    registry = ctx.deps.registry
    groups = [group for group in registry.groups() if group != "help"]
    if topic:
        wanted = fold(topic.split()[0].lstrip("/"))
        groups = [group for group in groups if wanted in localized_names(f"cmd.{group}", group)]
        if not groups:
            raise UserError("help.unknown_topic", topic=topic)
    blocks = []
    for group in groups:
        lines = []
        for c in registry.in_group(group):
            if ctx.may(c.permission):
                lines.append(entry(ctx, c))
                if topic:
                    lines += [option_line(ctx, c, option) for option in c.options]
        if lines:
            blocks.append(f"*{ctx._(f'cmd.{group}.help')}*\n" + "\n".join(lines))
    return Reply(card=Card(title=ctx._("help.title"), text=tuple(blocks), footer=ctx._("help.footer"), markup=True))

"""What every CSV export command shares: its separator option and its reply."""

from __future__ import annotations

from typing import Any

from bot.commands.context import Context
from bot.commands.registry import Kind, Option
from bot.core.exports import COMMA, SEMICOLON, SEPARATORS, separator
from bot.ui import Attachment, Reply

SEP = Option("sep", Kind.CHOICE, choices=SEPARATORS)  # default: the space's language's


def export_separator(ctx: Context[Any], chosen: str | None) -> str:
    """The separator asked for, else the one the space's language expects."""
    return separator(chosen, ctx.settings.locale)


def csv_reply(ctx: Context[Any], done: str, filename: str, content: str | bytes, sep: str) -> Reply:
    """An export's reply: what it is, which separator it uses and how to get the other, and the file (text or UTF-8)."""
    other = COMMA if sep == SEMICOLON else SEMICOLON
    text = f"{done}\n{ctx._('export.separator', sep=sep, other=other)}"
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    return Reply(text=text, files=(Attachment(filename, data, "text/csv"),))

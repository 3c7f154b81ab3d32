"""The console adapter: a terminal chat in one space, the embedded default."""

from __future__ import annotations

import sys

from bot.adapters.console.adapter import ConsoleAdapter, stdin_lines
from bot.app import App


async def serve(app: App) -> None:
    """Run the console on standard input until it ends or /quit."""
    await ConsoleAdapter(app).run(stdin_lines(), interactive=sys.stdin.isatty())

"""The console's line loop survives a failure while it handles a line."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import AsyncIterator

import pytest

from bot.adapters.console.adapter import ConsoleAdapter
from bot.app import App


async def typed(*lines: str) -> AsyncIterator[str]:
    """Lines as standard input would give them."""
    for line in lines:
        yield f"{line}\n"


@pytest.mark.logs_errors
async def test_a_failed_database_write_is_reported_and_the_session_goes_on(app: App) -> None:
    """The card's message cannot be recorded: the member is told, and the next line still runs."""
    other = sqlite3.connect(app.services.settings.database)
    other.execute("CREATE TRIGGER refuse BEFORE INSERT ON message_refs BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    other.commit()
    other.close()
    out = io.StringIO()
    await ConsoleAdapter(app, out).run(typed('/poll create "Q ?" "A" "B"', "/poll list"))
    text = out.getvalue()
    failure = text.index("Oups, quelque chose s'est mal passé")
    assert "1 sondage ouvert" in text[failure:], text

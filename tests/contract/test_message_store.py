"""MessageStore contract: which platform messages show which live subject."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.core.model import MessageRef

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


async def test_a_subject_is_shown_in_a_list_of_messages_across_platforms(store: Callable[[str], Any]) -> None:
    """Refs come back oldest first, on any platform; attaching the same message twice keeps one."""
    messages = store("messages")
    slack = MessageRef("slack:T1", "C1", "1700000000.0001")
    discord = MessageRef("discord:9", "42", "1234")
    await messages.attach("poll:1", slack, NOW)
    await messages.attach("poll:1", discord, NOW)
    await messages.attach("poll:1", slack, NOW)
    await messages.attach("poll:2", MessageRef("console:local", "general", "m1"), NOW)
    assert await messages.refs("poll:1") == [slack, discord]
    assert await messages.refs("poll:3") == []


async def test_concurrent_attaches_of_one_message_keep_one(store: Callable[[str], Any]) -> None:
    """Fifty racing attaches of the same message record it once."""
    messages = store("messages")
    ref = MessageRef("console:local", "general", "m1")
    await asyncio.gather(*(messages.attach("idea:1", ref, NOW) for _ in range(50)))
    assert await messages.refs("idea:1") == [ref]

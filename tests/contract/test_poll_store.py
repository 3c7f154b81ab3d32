"""PollStore contract: what every poll store must do, whatever its database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.errors import UserError
from bot.features.polls.domain import PollDraft, next_choices
from bot.features.polls.store import PollStore, VoteRule

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
SPACE = "console:local"


@pytest.fixture
def polls(store: Callable[[str], Any]) -> PollStore:
    """The poll store under test."""
    return store("polls")


def option_rule(option: int) -> VoteRule:
    """The vote rule of a click on `option`."""
    return lambda poll, current: next_choices(poll, current, option)


async def test_refs_are_numbered_per_space(polls: PollStore) -> None:
    """Each space numbers its polls from 1; a reference finds only its own space's poll."""
    draft = PollDraft("Q ?", ("A", "B"))
    first = await polls.create_poll(SPACE, "general", "console:alice", draft, NOW)
    other = await polls.create_poll("slack:T1", "general", "slack:U1", draft, NOW)
    second = await polls.create_poll(SPACE, "general", "console:alice", draft, NOW)
    assert (first.ref, other.ref, second.ref) == (1, 1, 2)
    assert (await polls.find_poll(SPACE, 2)) == second
    assert await polls.find_poll("discord:9", 1) is None


async def test_200_concurrent_votes_are_all_counted_once(polls: PollStore) -> None:
    """200 voters at once on three options: exactly 200 voters, and a second click by one voter moves it."""
    poll = await polls.create_poll(SPACE, "general", "console:alice", PollDraft("Q ?", ("A", "B", "C")), NOW)
    await asyncio.gather(
        *(polls.apply_vote(SPACE, poll.id, f"console:m{i}", f"m{i}", NOW, option_rule(i % 3)) for i in range(200))
    )
    tally = await polls.tally(poll.id)
    assert tally.voters == 200 and tally.counts == (67, 67, 66)
    _, choices = await polls.apply_vote(SPACE, poll.id, "console:m0", "m0", NOW, lambda p, cur: next_choices(p, cur, 1))
    assert choices == (1,) and (await polls.tally(poll.id)).counts == (66, 68, 66)


async def test_a_vote_on_a_missing_poll_is_refused(polls: PollStore) -> None:
    """No poll, no vote: the store says so with the poll-not-found error."""
    with pytest.raises(UserError) as raised:
        await polls.apply_vote(SPACE, 999, "console:bob", "bob", NOW, lambda p, cur: (0,))
    assert raised.value.key == "poll.not_found"


async def test_closing_happens_once(polls: PollStore) -> None:
    """Closing an open poll returns it closed; closing it again returns None."""
    poll = await polls.create_poll(SPACE, "general", "console:alice", PollDraft("Q ?", ("A", "B")), NOW)
    closed = await polls.close_poll(poll.id, NOW)
    assert closed is not None and closed.closed_at == NOW
    assert await polls.close_poll(poll.id, NOW) is None

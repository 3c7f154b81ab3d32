"""PollStore contract: what every poll store must do, whatever its database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from random import Random
from typing import Any

import pytest

from bot.core.errors import UserError
from bot.features.polls.domain import PollDraft, Tally, next_choices
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


async def recount(polls: PollStore, poll_id: int, voters: list[str], options: int) -> Tally:
    """The tally counted again from every voter's choices."""
    counts = [0] * options
    voting = 0
    for voter in voters:
        choices = await polls.choices(poll_id, voter)
        voting += bool(choices)
        for position in choices:
            counts[position] += 1
    return Tally(tuple(counts), voting)


async def test_running_counts_match_a_recount_after_concurrent_votes_changes_and_retractions(polls: PollStore) -> None:
    """Waves of 200 concurrent random clicks (votes, changes, retractions, refusals): the tally equals a recount."""
    random = Random(14)
    single = await polls.create_poll(SPACE, "general", "console:alice", PollDraft("Q ?", ("A", "B", "C")), NOW)
    multi = await polls.create_poll(SPACE, "general", "console:alice", PollDraft("M ?", ("A", "B", "C", "D"), 2), NOW)
    voters = [f"console:m{i}" for i in range(60)]  # fewer voters than clicks: many click twice in one burst
    refused = 0
    for _wave in range(4):
        clicks = [
            (random.choice((single, multi)), random.choice(voters), random.randrange(5)) for _ in range(200)
        ]  # option 4 never exists, option 3 only on the multi-choice poll: some clicks are refused
        results = await asyncio.gather(
            *(
                polls.apply_vote(SPACE, poll.id, voter, voter[8:], NOW, option_rule(option))
                for poll, voter, option in clicks
            ),
            return_exceptions=True,
        )
        refused += sum(isinstance(result, UserError) for result in results)
        assert not [result for result in results if isinstance(result, Exception) and not isinstance(result, UserError)]
        for poll in (single, multi):
            assert await polls.tally(poll.id) == await recount(polls, poll.id, voters, len(poll.options))
    assert refused > 0 and (await polls.tally(multi.id)).voters > 0
    for poll in (single, multi):  # everyone retracts: back to zero
        for voter in voters:
            for position in await polls.choices(poll.id, voter):
                await polls.apply_vote(SPACE, poll.id, voter, voter[8:], NOW, option_rule(position))
        assert await polls.tally(poll.id) == Tally((0,) * len(poll.options), 0)


async def test_clicks_in_one_burst_see_each_other(polls: PollStore) -> None:
    """One voter's clicks sent together apply in order: vote, move, retract, vote again."""
    poll = await polls.create_poll(SPACE, "general", "console:alice", PollDraft("Q ?", ("A", "B", "C")), NOW)
    results = await asyncio.gather(
        *(polls.apply_vote(SPACE, poll.id, "console:bob", "bob", NOW, option_rule(o)) for o in (0, 1, 1, 2))
    )
    assert [choices for _, choices in results] == [(0,), (1,), (), (2,)]
    assert await polls.tally(poll.id) == Tally((0, 0, 1), 1)


async def test_export_reads_the_tally_and_the_voters_of_one_moment(polls: PollStore) -> None:
    """The export's tally and streamed rows are those of `tally` and `voters`; none for an anonymous poll."""
    draft = PollDraft("Q ?", ("A", "B"))
    poll = await polls.create_poll(SPACE, "general", "console:alice", draft, NOW)
    secret = await polls.create_poll(SPACE, "general", "console:alice", replace(draft, anonymous=True), NOW)
    for i in range(5):
        for target in (poll, secret):
            await polls.apply_vote(SPACE, target.id, f"console:m{i}", f"m{i}", NOW, option_rule(i % 2))
    tally, rows = await polls.export(poll.id, lambda tally, rows: (tally, list(rows)))
    assert tally == await polls.tally(poll.id) == Tally((3, 2), 5)
    assert rows == await polls.voters(poll.id) and len(rows) == 5
    tally, rows = await polls.export(secret.id, lambda tally, rows: (tally, list(rows)))
    assert tally == Tally((3, 2), 5) and rows == []

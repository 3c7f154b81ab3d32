"""The port polls are stored through."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from bot.features.polls.domain import Poll, PollDraft, Tally, VoterRow

VoteRule = Callable[["Poll", tuple[int, ...]], tuple[int, ...]]
T = TypeVar("T")


class PollStore(Protocol):
    """Where polls and votes live."""

    async def create_poll(self, space: str, channel: str, author: str, draft: PollDraft, now: datetime) -> Poll:
        """Store a new poll with the next short reference of its space."""
        ...

    async def get_poll(self, poll_id: int) -> Poll | None:
        """A poll by its global id (callers check its space)."""
        ...

    async def find_poll(self, space: str, ref: int) -> Poll | None:
        """A poll by its short reference in a space."""
        ...

    async def open_polls(self, space: str) -> list[Poll]:
        """The polls of a space that are still open, newest first."""
        ...

    async def apply_vote(
        self, space: str, poll_id: int, voter: str, voter_name: str, now: datetime, rule: VoteRule
    ) -> tuple[Poll, tuple[int, ...]]:
        """Atomically replace a voter's choices by `rule(poll, current)`; return the new ones."""
        ...

    async def choices(self, poll_id: int, voter: str) -> tuple[int, ...]:
        """A voter's current choices on a poll."""
        ...

    async def tally(self, poll_id: int) -> Tally:
        """Counts per option and the number of voters."""
        ...

    async def member_votes(self, space: str, voter: str, limit: int) -> list[tuple[Poll, tuple[int, ...]]]:
        """The polls of a space a member voted on, newest first, with their choices."""
        ...

    async def voters(self, poll_id: int) -> list[VoterRow]:
        """Per voter rows (name, option, time) for exports of non-anonymous polls."""
        ...

    async def export(self, poll_id: int, build: Callable[[Tally, Iterator[VoterRow]], T]) -> T:
        """`build(tally, voter rows)` away from the event loop, over one consistent read; the rows stream.

        The rows are those of `voters` (none for an anonymous poll), read as `build` consumes them.
        """
        ...

    async def close_poll(self, poll_id: int, now: datetime) -> Poll | None:
        """Close an open poll; None when it was already closed."""
        ...

    async def due_polls(self, now: datetime) -> list[Poll]:
        """Open polls whose closing time has come."""
        ...

    async def next_closing_times(self) -> list[datetime]:
        """The closing times of open polls (to schedule wake-ups)."""
        ...

"""Polls: the rules for creating, voting, closing and counting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.exports import COMMA, to_csv, to_csv_file
from bot.core.livecards import LiveCards
from bot.core.metrics import Metrics
from bot.core.model import Member
from bot.core.refs import parse_ref
from bot.core.spaces import SpaceDirectory
from bot.core.text import compare_key, is_blank, visible
from bot.features.polls.store import PollStore

QUESTION_MAX = 300
OPTION_MAX = 75
OPTIONS_MIN = 2
OPTIONS_MAX = 25  # Discord's select limit, and Slack's elements per actions block
Visibility = Literal["live", "closed"]


@dataclass(frozen=True)
class PollDraft:
    """A poll as asked for, already checked against every rule."""

    question: str
    options: tuple[str, ...]
    max_choices: int = 1
    anonymous: bool = False
    results: Visibility = "live"
    closes_at: datetime | None = None


@dataclass(frozen=True)
class Poll:
    """A stored poll."""

    id: int
    space: str
    ref: int
    channel: str
    author: str
    question: str
    options: tuple[str, ...]
    max_choices: int
    anonymous: bool
    results: Visibility
    closes_at: datetime | None
    closed_at: datetime | None
    created_at: datetime

    @property
    def subject(self) -> str:
        """The key its messages are tracked under."""
        return f"poll:{self.id}"

    def is_open(self, now: datetime) -> bool:
        """Whether votes are still taken at `now`."""
        return self.closed_at is None and (self.closes_at is None or now < self.closes_at)

    def closing_moment(self, now: datetime) -> datetime:
        """When a poll closed at `now` actually closed: its deadline if that has already passed."""
        return min(now, self.closes_at) if self.closes_at is not None else now

    def results_visible(self, now: datetime) -> bool:
        """Whether counts may be shown at `now`."""
        return self.results == "live" or not self.is_open(now)


@dataclass(frozen=True)
class Tally:
    """Votes per option and distinct voters."""

    counts: tuple[int, ...]
    voters: int

    def share(self, position: int) -> float:
        """The share of voters who chose an option (0..1)."""
        return self.counts[position] / self.voters if self.voters else 0.0


@dataclass(frozen=True)
class VoterRow:
    """One voter's choice, for exports of non-anonymous polls."""

    name: str
    option: str
    voted_at: datetime


def check_draft(
    question: str,
    options: Sequence[str],
    max_choices: int = 1,
    anonymous: bool = False,
    results: str = "live",
    closes_at: datetime | None = None,
) -> PollDraft:
    """Trim and validate what a member typed; every problem is a UserError naming its field."""
    question = visible(question)
    if is_blank(question):
        raise UserError("poll.question_empty", field="question")
    if len(question) > QUESTION_MAX:
        raise UserError("poll.question_too_long", field="question", max=QUESTION_MAX, length=len(question))
    labels = tuple(visible(option) for option in options if not is_blank(option))
    if len(labels) < OPTIONS_MIN:
        raise UserError("poll.too_few_options", field="options", min=OPTIONS_MIN)
    if len(labels) > OPTIONS_MAX:
        raise UserError("poll.too_many_options", field="options", max=OPTIONS_MAX, count=len(labels))
    seen: set[str] = set()
    for label in labels:
        if len(label) > OPTION_MAX:
            raise UserError("poll.option_too_long", field="options", option=label[:30] + "…", max=OPTION_MAX)
        if compare_key(label) in seen:
            raise UserError("poll.duplicate_option", field="options", option=label)
        seen.add(compare_key(label))
    if not 1 <= max_choices <= len(labels):
        raise UserError("poll.bad_multi", field="multi", max=len(labels))
    if results not in ("live", "closed"):
        raise UserError("poll.bad_results", field="results", value=results)
    return PollDraft(question, labels, max_choices, anonymous, results, closes_at)  # type: ignore[arg-type]


def next_choices(poll: Poll, current: tuple[int, ...], position: int) -> tuple[int, ...]:
    """The voter's choices after clicking `position`: toggle, move (single) or add within the limit (multi)."""
    if not 0 <= position < len(poll.options):
        raise UserError("poll.bad_option")
    if position in current:
        return tuple(choice for choice in current if choice != position)
    if poll.max_choices == 1:
        return (position,)
    if len(current) >= poll.max_choices:
        raise UserError("poll.choice_limit", max=poll.max_choices)
    return tuple(sorted((*current, position)))


class PollService:
    """Everything members and staff do with polls, whatever the platform."""

    def __init__(
        self,
        store: PollStore,
        live: LiveCards,
        clock: Clock,
        spaces: SpaceDirectory,
        wake_at: Callable[[datetime], None] = lambda _moment: None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.live = live
        self.clock = clock
        self.spaces = spaces
        self.wake_at = wake_at  # a poll with a closing time must be closed then
        self.metrics = metrics or Metrics()
        self.closed: list[Callable[[Poll], Awaitable[None]]] = []  # told of every closing (copies elsewhere freeze)

    async def _closed(self, poll: Poll) -> Poll:
        """Tell the observers that a poll just closed."""
        for observer in self.closed:
            await observer(poll)
        return poll

    async def create(self, space: str, channel: str, author: Member, draft: PollDraft) -> Poll:
        """Open a poll, if the author may."""
        if self.spaces(space).poll_creators == "staff" and not author.is_staff:
            raise UserError("poll.create_forbidden")
        if draft.closes_at is not None and draft.closes_at <= self.clock.now():
            raise UserError("poll.closes_in_past", field="closes")
        poll = await self.store.create_poll(space, channel, author.key, draft, self.clock.now())
        if poll.closes_at is not None:
            self.wake_at(poll.closes_at)
        return poll

    async def get(self, space: str, ref: str | int) -> Poll:
        """A poll of this space by its reference, or a clear error."""
        number = parse_ref(ref)
        poll = await self.store.find_poll(space, number)
        if poll is None:
            raise UserError("poll.not_found", ref=number)
        return poll

    async def lookup(self, poll_id: int) -> Poll | None:
        """A poll by its global id, whatever its space (for reports on an event's live thread, never for members)."""
        return await self.store.get_poll(poll_id)

    async def by_id(self, space: str, poll_id: int) -> Poll:
        """A poll named by a button; another space's poll is refused as if it did not exist."""
        poll = await self.store.get_poll(poll_id)
        if poll is None or poll.space != space:
            raise UserError("poll.not_found", ref=poll_id)
        return poll

    async def vote(self, space: str, voter: Member, poll_id: int, position: int) -> tuple[Poll, tuple[int, ...]]:
        """Apply a click on an option; return the voter's choices once committed."""
        now = self.clock.now()

        def rule(poll: Poll, current: tuple[int, ...]) -> tuple[int, ...]:
            if poll.space != space:
                raise UserError("poll.not_found", ref=poll_id)
            if not poll.is_open(now):
                raise UserError("poll.closed", ref=poll.ref)
            return next_choices(poll, current, position)

        poll, choices = await self.store.apply_vote(space, poll_id, voter.key, voter.name, now, rule)
        self.metrics.count("votes", space)
        self.live.touch(poll.subject)
        return poll, choices

    async def close(self, space: str, ref: str | int, by: Member) -> Poll:
        """Close a poll by hand: its creator or staff only."""
        poll = await self.get(space, ref)
        if not (by.is_staff or by.key == poll.author):
            raise UserError("poll.close_forbidden")
        closed = await self.store.close_poll(poll.id, poll.closing_moment(self.clock.now()))
        if closed is None:
            raise UserError("poll.already_closed", ref=poll.ref)
        return await self._closed(closed)

    async def close_due(self, ready: Callable[[str], bool]) -> list[Poll]:
        """Close every poll whose closing time has come, in spaces whose adapter can announce it.

        Votes stop at the closing time anyway; only the closing itself waits, so that the final
        results are never posted while no adapter is there to carry them (catch-up at start).
        """
        now = self.clock.now()
        closed = []
        for poll in [due for due in await self.store.due_polls(now) if ready(due.space)]:
            done = await self.store.close_poll(poll.id, poll.closing_moment(now))
            if done is not None:
                closed.append(await self._closed(done))
        return closed

    async def tally(self, poll: Poll) -> Tally:
        """Current counts of a poll."""
        return await self.store.tally(poll.id)

    async def results(self, space: str, ref: str | int) -> tuple[Poll, Tally]:
        """Counts of a poll, if they may be seen now."""
        poll = await self.get(space, ref)
        if not poll.results_visible(self.clock.now()):
            raise UserError("poll.results_hidden", ref=poll.ref)
        return poll, await self.store.tally(poll.id)

    async def my_choices(self, space: str, ref: str | int, member: Member) -> tuple[Poll, tuple[int, ...]]:
        """A member's current choices on a poll."""
        poll = await self.get(space, ref)
        return poll, await self.store.choices(poll.id, member.key)

    async def open_polls(self, space: str) -> list[Poll]:
        """The open polls of a space."""
        now = self.clock.now()
        return [poll for poll in await self.store.open_polls(space) if poll.is_open(now)]

    async def member_summary(
        self, space: str, member: Member, limit: int = 20
    ) -> tuple[list[Poll], list[tuple[Poll, tuple[int, ...]]]]:
        """A member's own open polls and their latest votes (the App Home, a /poll mine overview)."""
        mine = [poll for poll in await self.open_polls(space) if poll.author == member.key][:limit]
        return mine, await self.store.member_votes(space, member.key, limit)

    async def export_csv(self, space: str, ref: str | int, by: Member | None, sep: str = COMMA) -> tuple[Poll, str]:
        """CSV of a poll: counts per option, then voter rows unless it is anonymous; columns split by `sep`."""
        poll = await self._exportable(space, ref, by)
        return poll, await self.store.export(poll.id, lambda tally, voters: render_csv(poll, tally, voters, sep))

    async def export_file(self, space: str, ref: str | int, by: Member | None, sep: str = COMMA) -> tuple[Poll, bytes]:
        """The UTF-8 file of `export_csv`."""
        poll = await self._exportable(space, ref, by)
        # Built and encoded away from the event loop as the rows stream from disk: a poll of a
        # million voters neither stalls everyone's clicks nor holds every row in memory at once.
        return poll, await self.store.export(
            poll.id, lambda tally, voters: to_csv_file(csv_tables(poll, tally, voters), sep)
        )

    async def _exportable(self, space: str, ref: str | int, by: Member | None) -> Poll:
        """A poll that `by` (None: trusted staff) may export now."""
        poll = await self.get(space, ref)
        if by is not None and not (by.is_staff or by.key == poll.author):
            raise UserError("poll.export_forbidden")
        if not poll.results_visible(self.clock.now()):
            raise UserError("poll.results_hidden", ref=poll.ref)
        return poll


def render_csv(poll: Poll, tally: Tally, voters: Iterable[VoterRow], sep: str = COMMA) -> str:
    """The export format: one table of counts, then one of voters (absent when anonymous or empty)."""
    return to_csv(csv_tables(poll, tally, voters), sep)


def csv_tables(poll: Poll, tally: Tally, voters: Iterable[VoterRow]) -> list[Iterable[list[object]]]:
    """The export's tables: counts per option, then the voters as they stream."""
    counts: list[list[object]] = [["poll", "question", "option", "votes", "percent_of_voters", "voters"]]
    for position, label in enumerate(poll.options):
        percent = round(tally.share(position) * 100, 1)
        counts.append([f"#{poll.ref}", poll.question, label, tally.counts[position], percent, tally.voters])
    return [counts, _voter_table(voters)]


def _voter_table(voters: Iterable[VoterRow]) -> Iterator[list[object]]:
    """The voters' table, header first; nothing at all when there is no voter."""
    for index, row in enumerate(voters):
        if index == 0:
            yield ["voter", "option", "voted_at"]
        yield [row.name, row.option, row.voted_at.isoformat()]

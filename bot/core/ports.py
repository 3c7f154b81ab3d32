"""The ports the core talks through: storage and message delivery."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.model import MessageRef
from bot.ui import Card, Reply

if TYPE_CHECKING:
    from bot.core.events import Antenna, Change, Counts, Event, EventDraft, Session, Signup, SignupRequest
    from bot.core.ideas import Idea, IdeaDraft, StatusChange, Wall
    from bot.core.polls import Poll, PollDraft, Tally, VoterRow
    from bot.core.schedule import FeedbackRow, Planned, Scheduled

VoteRule = Callable[["Poll", tuple[int, ...]], tuple[int, ...]]
LikeRule = Callable[["Idea", "Wall"], None]


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

    async def close_poll(self, poll_id: int, now: datetime) -> Poll | None:
        """Close an open poll; None when it was already closed."""
        ...

    async def due_polls(self, now: datetime) -> list[Poll]:
        """Open polls whose closing time has come."""
        ...

    async def next_closing_times(self) -> list[datetime]:
        """The closing times of open polls (to schedule wake-ups)."""
        ...


class EventStore(Protocol):
    """Where events, antennas, workshops and sign-ups live; every rule on places runs inside one write."""

    async def create_event(
        self, space: str, channel: str, author: str, timezone: str, draft: EventDraft, now: datetime
    ) -> Event:
        """Store a new event with the next short reference of its space."""
        ...

    async def update_event(self, event_id: int, draft: EventDraft, now: datetime) -> Change:
        """Replace an event's details; fill places a larger capacity opened."""
        ...

    async def cancel_event(self, event_id: int, now: datetime) -> Event | None:
        """Mark an event cancelled; None when it already was."""
        ...

    async def get_event(self, event_id: int) -> Event | None:
        """An event by its global id (callers check its space)."""
        ...

    async def find_event(self, space: str, ref: int) -> Event | None:
        """An event by its short reference in a space."""
        ...

    async def upcoming_events(self, space: str, now: datetime) -> list[Event]:
        """Events of a space not yet ended, soonest first."""
        ...

    async def apply_signup(
        self, space: str, event_id: int, member: str, name: str, request: SignupRequest, now: datetime
    ) -> Change:
        """Sign a member up, or change their mode or antenna, atomically against capacity."""
        ...

    async def withdraw(self, space: str, event_id: int, member: str, now: datetime) -> Change:
        """Withdraw a member and move the first waiting members up in the same write."""
        ...

    async def confirm_offer(self, space: str, event_id: int, member: str, now: datetime) -> Change:
        """Turn an offered place into a confirmed one."""
        ...

    async def expire_offers(self, now: datetime) -> list[Change]:
        """Expire offers not confirmed in time, passing each place to the next in line."""
        ...

    async def next_offer_expiries(self) -> list[datetime]:
        """When pending offers expire (to schedule wake-ups)."""
        ...

    async def toggle_session(self, space: str, event_id: int, member: str, number: int, now: datetime) -> Change:
        """Choose a workshop or drop it, atomically against its capacity and the member's other choices."""
        ...

    async def signup(self, event_id: int, member: str) -> Signup | None:
        """A member's sign-up, with waitlist position and workshops."""
        ...

    async def signups(self, event_id: int) -> list[Signup]:
        """Every sign-up of an event in arrival order."""
        ...

    async def member_signups(self, space: str, member: str, now: datetime) -> list[tuple[Event, Signup]]:
        """A member's active sign-ups to events not yet ended."""
        ...

    async def counts(self, event_id: int) -> Counts:
        """Places and waitlists per mode, antenna and workshop."""
        ...

    async def add_antenna(self, space: str, antenna: Antenna, now: datetime) -> Antenna:
        """Store a new antenna of a space."""
        ...

    async def get_antenna(self, antenna_id: int) -> Antenna | None:
        """An antenna by its id (callers check its space)."""
        ...

    async def antennas(self, space: str) -> list[Antenna]:
        """The antennas of a space, by name."""
        ...

    async def add_session(self, event_id: int, space: str, session: Session) -> Session:
        """Store a new workshop with the next number of its event."""
        ...

    async def sessions(self, event_id: int) -> list[Session]:
        """The workshops of an event, by number."""
        ...

    async def record_notice(
        self, event_id: int, space: str, member: str, kind: str, delivered: bool, now: datetime
    ) -> None:
        """Remember a notice sent on the bot's own initiative and whether it arrived."""
class IdeaStore(Protocol):
    """Where idea walls, ideas, likes, status history and held-back drafts live."""

    async def create_wall(
        self, space: str, channel: str, by: str, prompt: str, categories: tuple[str, ...],
        closes_at: datetime | None, now: datetime,
    ) -> Wall:
        """Store a new wall with the next short reference of its space."""
        ...

    async def default_wall(self, space: str, channel: str, now: datetime) -> Wall:
        """The space's default wall (ref 0), created on first use."""
        ...

    async def find_wall(self, space: str, ref: int) -> Wall | None:
        """A wall by its short reference in a space."""
        ...

    async def get_wall(self, wall_id: int) -> Wall | None:
        """A wall by its global id (callers check its space)."""
        ...

    async def walls(self, space: str) -> list[Wall]:
        """Every wall of a space, newest first (the default wall last)."""
        ...

    async def close_wall(self, wall_id: int, now: datetime) -> Wall | None:
        """Close an open wall; None when it was already closed."""
        ...

    async def due_walls(self, now: datetime) -> list[Wall]:
        """Open walls whose closing time has come."""
        ...

    async def next_closing_times(self) -> list[datetime]:
        """The closing times of open walls (to schedule wake-ups)."""
        ...

    async def wall_ideas(self, wall_id: int) -> list[Idea]:
        """Every idea of a wall, whatever its state, oldest first, with like counts."""
        ...

    async def author_ideas(self, space: str, author: str) -> list[Idea]:
        """A member's ideas in a space, newest first."""
        ...

    async def find_idea(self, space: str, ref: int) -> Idea | None:
        """An idea by its short reference in a space."""
        ...

    async def get_idea(self, idea_id: int) -> Idea | None:
        """An idea by its global id (callers check its space)."""
        ...

    async def add_idea(self, draft: IdeaDraft, now: datetime, flood_since: datetime, flood_limit: int) -> Idea:
        """Store an idea unless its author already submitted `flood_limit` since `flood_since` (atomic)."""
        ...

    async def save_draft(self, draft: IdeaDraft, purge_before: datetime, now: datetime) -> int:
        """Hold a submission back; drafts older than `purge_before` are dropped. Returns its id."""
        ...

    async def add_draft(
        self, space: str, author: str, draft_id: int, now: datetime, flood_since: datetime, flood_limit: int
    ) -> Idea:
        """Turn a held-back draft of this author and space into an idea, once."""
        ...

    async def drop_draft(self, space: str, author: str, draft_id: int) -> None:
        """Forget a held-back draft of this author and space."""
        ...

    async def toggle_like(
        self, idea_id: int, member: str, now: datetime, rule: LikeRule, only_add: bool = False
    ) -> tuple[Idea, bool]:
        """Atomically check `rule(idea, wall)` and toggle (or add) a like; the idea and whether it is liked now.

        A like on an idea merged into another goes to that other idea.
        """
        ...

    async def update_idea(
        self, idea_id: int, changes: Mapping[str, Any], now: datetime, change: StatusChange | None = None
    ) -> Idea:
        """Change some columns of an idea (and record a status change); the idea after."""
        ...

    async def merge(self, source_id: int, target_id: int, now: datetime) -> Idea:
        """Move the source's likes to the target (a member who liked both counts once); the target after."""
        ...


class ScheduleStore(Protocol):
    """Where scheduled messages, their deliveries (one row per message and recipient) and follow-up answers live."""

    async def has_plan(self, event_id: int) -> bool:
        """Whether an event's messages were ever planned."""
        ...

    async def plan(self, space: str, event_id: int, author: str, steps: Sequence[Planned], now: datetime) -> list[datetime]:
        """Store an event's planned messages; their due instants."""
        ...

    async def event_offsets(self, event_id: int) -> list[tuple[str, int]]:
        """(kind, offset) of an event's messages still pending and not moved by staff."""
        ...

    async def retime(self, event_id: int, due: Mapping[tuple[str, int], datetime], now: datetime) -> list[datetime]:
        """Move an event's pending messages (not moved by staff) to new instants; the new instants."""
        ...

    async def replace_reminders(
        self, space: str, event_id: int, author: str, steps: Sequence[Planned], now: datetime
    ) -> list[datetime]:
        """Cancel an event's pending reminders and plan these instead; their due instants."""
        ...

    async def cancel_event_messages(self, event_id: int, now: datetime) -> None:
        """Cancel everything an event still had to send."""
        ...

    async def unplanned_events(self, now: datetime) -> list[int]:
        """Events not ended nor cancelled whose messages were never planned."""
        ...

    async def add(
        self, space: str, kind: str, channel: str, author: str, payload: str, due_at: datetime, now: datetime
    ) -> Scheduled:
        """Store a staff message with the next short reference of its space."""
        ...

    async def find(self, space: str, ref: int) -> Scheduled | None:
        """A scheduled message by its short reference in a space."""
        ...

    async def upcoming(self, space: str) -> list[Scheduled]:
        """Messages of a space pending or being sent, soonest first."""
        ...

    async def due(self, now: datetime) -> list[Scheduled]:
        """Messages pending or interrupted whose time has come."""
        ...

    async def next_due_times(self) -> list[datetime]:
        """Due instants of messages still to send."""
        ...

    async def set_status(self, message_id: int, status: str, now: datetime) -> None:
        """Change a message's status."""
        ...

    async def reschedule(self, message_id: int, due_at: datetime, now: datetime) -> Scheduled:
        """Move a pending message; staff moves survive event edits."""
        ...

    async def claimed(self, message_id: int) -> set[str]:
        """Recipients that already have a delivery row for a message, whatever its status."""
        ...

    async def claim(self, message_id: int, space: str, recipient: str, name: str, now: datetime) -> bool:
        """Commit a 'sending' row before sending; False when the recipient already has one."""
        ...

    async def finish(self, message_id: int, recipient: str, status: str, now: datetime) -> None:
        """Mark a claimed delivery 'sent' or 'failed'."""
        ...

    async def mark_unsure(self, now: datetime) -> list[tuple[Scheduled, list[str]]]:
        """Turn rows left 'sending' by a stop into 'unsure'; per message, the names concerned."""
        ...

    async def asked_steps(self, event_id: int, member: str) -> set[str]:
        """The follow-up steps ('day', 'month') that reached a member for an event."""
        ...

    async def asked_count(self, event_id: int) -> int:
        """How many members the day-after follow-up reached."""
        ...

    async def save_feedback(
        self, event_id: int, space: str, member: str, step: str, rating: int | None, text: str | None, now: datetime
    ) -> None:
        """Store a rating or a text (None keeps the stored one)."""
        ...

    async def feedback(self, event_id: int) -> list[FeedbackRow]:
        """Every follow-up answer of an event, with member names."""
        ...


class MessageStore(Protocol):
    """Which platform messages show which subject."""

    async def attach(self, subject: str, ref: MessageRef, now: datetime) -> None:
        """Record that `ref` shows `subject`."""
        ...

    async def refs(self, subject: str) -> list[MessageRef]:
        """Every message showing `subject`."""
        ...


class Delivery(Protocol):
    """Sends what the core decides to send on its own (not as a reply to someone)."""

    async def post(self, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Post a public message in a channel."""
        ...

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Replace the card shown in a message."""
        ...

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Send a private message to a member; False when it could not be delivered."""
        ...


class Outbox(Delivery, Protocol):
    """A Delivery that knows whether an adapter is running for a space's platform."""

    def ready(self, space: str) -> bool:
        """Whether sends to `space` can reach a platform now."""
        ...

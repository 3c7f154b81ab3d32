"""The port scheduled messages and their deliveries are stored through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.features.schedule.domain import EventPlan, FeedbackRow, Planned, Scheduled


class ScheduleStore(Protocol):
    """Where scheduled messages, their deliveries (one row per message and recipient) and follow-up answers live."""

    async def has_plan(self, event_id: int) -> bool:
        """Whether an event's messages were ever planned."""
        ...

    async def plan(
        self, space: str, event_id: int, author: str, steps: Sequence[Planned], now: datetime
    ) -> list[datetime]:
        """Store an event's planned messages; their due instants."""
        ...

    async def plan_many(self, plans: Sequence[EventPlan], now: datetime) -> list[datetime]:
        """Store several events' planned messages in one write, each event's once; their due instants."""
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

    async def complete(self, message_id: int, now: datetime) -> None:
        """Mark a message 'done', telling in that write an event message's author every recipient it failed to reach."""
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

    async def claim_many(
        self, message_id: int, space: str, recipients: Sequence[tuple[str, str]], now: datetime
    ) -> list[str]:
        """Commit 'sending' rows for (recipient, name) pairs in one write; the recipients claimed (not those with a row)."""
        ...

    async def finish(self, message_id: int, recipient: str, status: str, now: datetime) -> None:
        """Mark a claimed delivery 'sent' or 'failed'."""
        ...

    async def finish_many(
        self, message_id: int, outcomes: Mapping[str, str], released: Sequence[str], now: datetime
    ) -> None:
        """In one write: mark claimed deliveries 'sent' or 'failed', and drop the claims of recipients never sent to."""
        ...

    async def mark_unsure(self, now: datetime) -> list[tuple[Scheduled, list[str]]]:
        """Turn rows left 'sending' by a stop into 'unsure', telling each author in that write; per message, the names."""
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

"""The port events and sign-ups are stored through."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.features.events.domain import (
        Antenna,
        Change,
        Counts,
        Event,
        EventDraft,
        Presence,
        Session,
        Signup,
        SignupRequest,
    )


class EventStore(Protocol):
    """Where events, antennas, workshops and sign-ups live.

    Each intent method (sign up, withdraw, confirm, expire, choose a workshop, edit, cancel) loads
    the event's `EventState` inside one write transaction, runs the matching rule of
    `bot.features.events.rules`, writes the difference and queues the decided notices in the outbox
    in that same transaction, and returns them in the `Change`.
    """

    async def create_event(
        self, space: str, channel: str, author: str, timezone: str, draft: EventDraft, now: datetime
    ) -> Event:
        """Store a new event with the next short reference of its space."""
        ...

    async def update_event(self, event_id: int, draft: EventDraft, now: datetime) -> Change:
        """Replace an event's details; fill places a larger capacity opened."""
        ...

    async def cancel_event(self, event_id: int, now: datetime) -> Change:
        """Mark an event cancelled and tell everyone signed up; refused when it already was."""
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

    async def ended_events(self, space: str, now: datetime) -> list[Event]:
        """Events of a space that took place (ended, not cancelled), oldest first."""
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

    async def signup_moves(self, event_id: int) -> dict[tuple[str | None, str], int]:
        """How many sign-ups went from each status to each other (None: new sign-ups); none before they were recorded."""
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

    async def add_session(self, event_id: int, space: str, draft: Session, now: datetime) -> Session:
        """Check a new workshop against its event (`rules.check_workshop`) and store it with the next number."""
        ...


class CheckinStore(Protocol):
    """Where on-site check-ins live: one row per member present at an event."""

    async def check_in(
        self, space: str, event_id: int, member: str, name: str, by: str, now: datetime
    ) -> tuple[datetime, bool]:
        """Record a member present in one write, once: when they were first checked in, and whether it is new."""
        ...

    async def check_out(self, event_id: int, member: str) -> bool:
        """Remove a member's check-in (a staff correction); whether there was one."""
        ...

    async def checkins(self, event_id: int) -> list[Presence]:
        """Everyone checked in on site at an event, in the order they arrived."""
        ...

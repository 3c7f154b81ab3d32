"""The rules on places, pure: an event's sign-ups and workshop choices in, what changes and whom to tell out.

A store loads an `EventState` inside its write transaction (SQLite's single writer, `SELECT … FOR UPDATE`
on PostgreSQL), runs one rule and writes the `Decision`'s difference and notices in that same transaction.
Nothing here does I/O or knows a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bot.core.errors import UserError
from bot.core.notices import Notice
from bot.core.text import is_blank, visible
from bot.features.events.domain import (
    HOLDING,
    MODES,
    TITLE_MAX,
    Event,
    EventDraft,
    Mode,
    Session,
    SignupRequest,
    Standing,
    Status,
    kind,
)

ChoiceStatus = Literal["confirmed", "waitlisted"]


@dataclass(frozen=True)
class Entry(Standing):
    """One member's row in an event's sign-up list, as the rules see it."""

    member: str
    name: str  # display name, for the notices about them
    mode: Mode
    status: Status
    seq: int  # arrival order within the event: waitlists are served by it
    signed_up_at: datetime
    status_at: datetime
    antenna_id: int | None = None
    answer: str = ""
    offer_expires_at: datetime | None = None


@dataclass(frozen=True)
class Choice:
    """A member's choice of a workshop: a place in it, or a rank on its waitlist by `seq`."""

    session_id: int
    member: str
    status: ChoiceStatus
    seq: int
    chosen_at: datetime


@dataclass(frozen=True)
class Move:
    """One change of a member's status: `before` is None for a new sign-up; `mode` is the one held after."""

    member: str
    mode: Mode
    before: Status | None
    after: Status


@dataclass(frozen=True)
class EventState:
    """The aggregate every rule on places works on: an event, its sign-ups, workshops and choices."""

    event: Event
    entries: tuple[Entry, ...] = ()
    sessions: tuple[Session, ...] = ()
    choices: tuple[Choice, ...] = ()

    def entry(self, member: str) -> Entry | None:
        """A member's sign-up, if any."""
        return next((entry for entry in self.entries if entry.member == member), None)

    def taken(self, mode: Mode, besides: str = "") -> int:
        """Places held in a mode, not counting `besides`."""
        return sum(1 for e in self.entries if e.mode == mode and e.holds_place and e.member != besides)

    def waiting(self, mode: Mode) -> list[Entry]:
        """A mode's waitlist, first in line first."""
        return sorted((e for e in self.entries if e.mode == mode and e.status == "waitlisted"), key=lambda e: e.seq)

    def position(self, member: str) -> int | None:
        """A waiting member's rank on their mode's waitlist (1 is next)."""
        entry = self.entry(member)
        if entry is None or entry.status != "waitlisted":
            return None
        return [e.member for e in self.waiting(entry.mode)].index(member) + 1

    def next_seq(self) -> int:
        """The arrival number the next sign-up (or change of mode) gets."""
        return max((entry.seq for entry in self.entries), default=0) + 1

    def session(self, number: int) -> Session:
        """A workshop by its number in the event."""
        found = next((session for session in self.sessions if session.number == number), None)
        if found is None:
            raise UserError("event.session_not_found", number=number)
        return found

    def choice(self, session_id: int, member: str) -> Choice | None:
        """A member's choice of one workshop, if any."""
        return next((c for c in self.choices if c.session_id == session_id and c.member == member), None)

    def choices_of(self, member: str) -> list[Choice]:
        """Every workshop a member chose."""
        return [choice for choice in self.choices if choice.member == member]

    def session_taken(self, session_id: int) -> int:
        """Places held in a workshop."""
        return sum(1 for c in self.choices if c.session_id == session_id and c.status == "confirmed")

    def with_entry(self, entry: Entry) -> EventState:
        """The state with a member's sign-up added or replaced."""
        others = tuple(e for e in self.entries if e.member != entry.member)
        return replace(self, entries=(*others, entry))

    def with_choice(self, choice: Choice) -> EventState:
        """The state with a workshop choice added or replaced."""
        return replace(self, choices=(*self._other_choices(choice.session_id, choice.member), choice))

    def without_choice(self, session_id: int, member: str) -> EventState:
        """The state with a workshop choice removed."""
        return replace(self, choices=self._other_choices(session_id, member))

    def _other_choices(self, session_id: int, member: str) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if (c.session_id, c.member) != (session_id, member))


@dataclass(frozen=True)
class Decision:
    """What one rule decided: the aggregate before and after, whom to tell, and a workshop click's result."""

    before: EventState
    after: EventState
    notices: tuple[Notice, ...] = ()
    session: Session | None = None
    session_status: ChoiceStatus | None = None  # None when the workshop was dropped

    @property
    def event_changed(self) -> bool:
        """Whether the event's own row changed (details or cancellation)."""
        return self.after.event != self.before.event

    @property
    def entries_changed(self) -> tuple[Entry, ...]:
        """Sign-ups to insert or update, in arrival order."""
        before = set(self.before.entries)
        return tuple(sorted((e for e in self.after.entries if e not in before), key=lambda e: e.seq))

    @property
    def moves(self) -> tuple[Move, ...]:
        """Status changes between before and after, new sign-ups included, in arrival order."""
        was = {entry.member: entry.status for entry in self.before.entries}
        return tuple(
            Move(e.member, e.mode, was.get(e.member), e.status)
            for e in self.entries_changed
            if was.get(e.member) != e.status
        )

    @property
    def choices_set(self) -> tuple[Choice, ...]:
        """Workshop choices to insert or update."""
        before = set(self.before.choices)
        return tuple(choice for choice in self.after.choices if choice not in before)

    @property
    def choices_removed(self) -> tuple[Choice, ...]:
        """Workshop choices to delete."""
        kept = {(c.session_id, c.member) for c in self.after.choices}
        return tuple(c for c in self.before.choices if (c.session_id, c.member) not in kept)


Told = tuple[EventState, tuple[Notice, ...]]  # a step's new state and whom it tells
NO_NOTICES: tuple[Notice, ...] = ()


def iso(moment: datetime) -> str:
    """An instant as notices carry it: UTC ISO-8601 text."""
    return moment.astimezone(UTC).isoformat()


def notice(event: Event, entry: Entry, what: str, **extra: Any) -> Notice:
    """A private notice about `event` for the member of `entry`, with what a view needs to render it alone."""
    params = {"event_id": event.id, "ref": event.ref, "title": event.title, "timezone": event.timezone, "author": event.author,
              "starts_at": iso(event.starts_at), "mode": entry.mode, "name": entry.name, **extra}  # fmt: skip
    return Notice(event.space, entry.member, kind(what), params)


def promoted_status(event: Event, now: datetime) -> tuple[Status, datetime | None]:
    """What a member moved up from a waitlist gets: a place, or an offer to confirm in time."""
    if event.confirm_hours is None:
        return "confirmed", None
    return "offered", min(now + timedelta(hours=event.confirm_hours), event.starts_at)


def decide_signup(
    event: Event, current: Entry | None, mode: Mode, antenna_id: int | None, taken: int, now: datetime
) -> Status:
    """The status a sign-up in `mode` gets; `taken` counts places held in that mode by others."""
    event.check_open(now)
    if not event.offers(mode):
        raise UserError("event.mode_not_offered", ref=event.ref, mode=mode)
    if antenna_id is not None and mode != "remote":
        raise UserError("event.antenna_remote_only")
    if current is not None and current.active and current.mode == mode:
        return current.status  # same mode again: only the antenna or answer may change
    capacity = event.capacity(mode)
    free = capacity is None or taken < capacity
    if current is not None and current.holds_place and not free:
        raise UserError("event.mode_full_keep_place", ref=event.ref, mode=mode)
    return "confirmed" if free else "waitlisted"


def decide_session(entry: Entry | None, session: Session, mine: Iterable[Session], taken: int) -> ChoiceStatus:
    """Whether a member gets a workshop place or waits; refuses overlaps and non-attendees."""
    if entry is None or not entry.holds_place:
        raise UserError("event.session_needs_place")
    for other in mine:
        if other.id != session.id and other.overlaps(session):
            raise UserError("event.session_overlap", title=session.title, other=other.title)
    return "confirmed" if session.capacity is None or taken < session.capacity else "waitlisted"


def fill(state: EventState, mode: Mode, now: datetime) -> Told:
    """Move waiting members up, in arrival order, while the mode has free places."""
    capacity = state.event.capacity(mode)
    notices: list[Notice] = []
    for waiting in state.waiting(mode):
        if capacity is not None and state.taken(mode) >= capacity:
            break
        status, expires = promoted_status(state.event, now)
        state = state.with_entry(replace(waiting, status=status, status_at=now, offer_expires_at=expires))
        if expires is None:
            notices.append(notice(state.event, waiting, "promoted", link=_link_for(state.event, waiting)))
        else:
            notices.append(notice(state.event, waiting, "offered", expires_at=iso(expires)))
    return state, tuple(notices)


def _link_for(event: Event, entry: Entry) -> str:
    """The online link, for a remote attendee only."""
    return event.online_link if entry.mode == "remote" else ""


def fill_session(state: EventState, session: Session) -> Told:
    """Move members waiting for a workshop up, in arrival order, while it has room."""
    waiting = sorted((c for c in state.choices if c.session_id == session.id and c.status == "waitlisted"),
                     key=lambda c: c.seq)  # fmt: skip
    notices: list[Notice] = []
    for choice in waiting:
        if session.capacity is not None and state.session_taken(session.id) >= session.capacity:
            break
        state = state.with_choice(replace(choice, status="confirmed"))
        entry = state.entry(choice.member)
        if entry is not None:
            notices.append(notice(state.event, entry, "session", session=session.title))
    return state, tuple(notices)


def drop_sessions(state: EventState, member: str) -> Told:
    """Give up a member's workshops (they no longer hold a place) and fill the places they held."""
    notices: tuple[Notice, ...] = ()
    for choice in state.choices_of(member):
        state = state.without_choice(choice.session_id, member)
        if choice.status == "confirmed":
            session = next(s for s in state.sessions if s.id == choice.session_id)
            state, told = fill_session(state, session)
            notices += told
    return state, notices


def release(state: EventState, entry: Entry, status: Status, now: datetime, keep_sessions: bool = False) -> Told:
    """Set a member's new status as they leave a place or a queue, and fill what they left."""
    state = state.with_entry(replace(entry, status=status, status_at=now, offer_expires_at=None))
    notices: tuple[Notice, ...] = ()
    if not keep_sessions:
        state, notices = drop_sessions(state, entry.member)
    if entry.holds_place:
        state, told = fill(state, entry.mode, now)
        notices += told
    return state, notices


def apply_signup(state: EventState, member: str, name: str, request: SignupRequest, now: datetime) -> Decision:
    """Sign a member up, or change their mode, antenna or answer; a change of mode frees what they held."""
    current = state.entry(member)
    if request.mode is None:  # an answer alone: the member keeps how (and where from) they attend
        if current is None or not current.active:
            raise UserError("event.mode_needed", field="mode")
        antenna = current.antenna_id if request.antenna_id is None else request.antenna_id
        request = replace(request, mode=current.mode, antenna_id=antenna)
    mode = request.mode
    assert mode is not None
    status = decide_signup(state.event, current, mode, request.antenna_id, state.taken(mode, besides=member), now)
    answer = request.answer if request.answer is not None else (current.answer if current else "")
    if current is not None and current.active and current.mode == mode:
        after = state.with_entry(replace(current, name=name, antenna_id=request.antenna_id, answer=answer))
        return Decision(state, after)
    after, notices = state, NO_NOTICES
    if current is not None and current.active:  # a change of mode: what they leave goes to the next in line
        after, notices = release(state, current, "withdrawn", now, keep_sessions=status in HOLDING)
    signed_up_at = current.signed_up_at if current is not None and current.active else now
    entry = Entry(member, name, mode, status, after.next_seq(), signed_up_at, now, request.antenna_id, answer)
    return Decision(state, after.with_entry(entry), notices)


def withdraw(state: EventState, member: str, now: datetime) -> Decision:
    """Withdraw a member; the first waiting members move up."""
    event = state.event
    if event.cancelled_at is not None:
        raise UserError("event.cancelled", ref=event.ref)
    if now >= event.starts_at:  # those who came (or were expected) keep getting the follow-ups
        raise UserError("event.started", ref=event.ref)
    current = state.entry(member)
    if current is None or not current.active:
        raise UserError("event.not_signed_up", ref=event.ref)
    after, notices = release(state, current, "withdrawn", now)
    return Decision(state, after, notices)


def confirm_offer(state: EventState, member: str, now: datetime) -> Decision:
    """Turn an offered place into a confirmed one, if the offer still runs."""
    current = state.entry(member)
    expires = current.offer_expires_at if current is not None else None
    if current is None or current.status != "offered" or expires is None or expires <= now:
        raise UserError("event.no_offer", ref=state.event.ref)
    return Decision(state, state.with_entry(replace(current, status="confirmed", status_at=now, offer_expires_at=None)))


def expire_offers(state: EventState, now: datetime) -> Decision:
    """Expire the offers due at `now`, soonest first; each place passes to the next in line."""
    due = sorted(
        (
            e
            for e in state.entries
            if e.status == "offered" and e.offer_expires_at is not None and e.offer_expires_at <= now
        ),
        key=lambda e: (e.offer_expires_at, e.seq),
    )
    after, notices = state, NO_NOTICES
    for offered in due:  # offers made on the way are not due yet: the next wake-up looks at them
        current = after.entry(offered.member)
        assert current is not None
        after, told = release(after, current, "expired", now)
        notices += (notice(state.event, offered, "expired"), *told)
    return Decision(state, after, notices)


def toggle_session(state: EventState, member: str, number: int, now: datetime) -> Decision:
    """Choose a workshop, or drop it when already chosen (its place then goes to the next in line)."""
    state.event.check_open(now)
    session = state.session(number)
    existing = state.choice(session.id, member)
    if existing is not None:
        after, notices = state.without_choice(session.id, member), NO_NOTICES
        if existing.status == "confirmed":
            after, notices = fill_session(after, session)
        return Decision(state, after, notices, session, None)
    mine = [s for s in state.sessions if any(c.session_id == s.id for c in state.choices_of(member))]
    status = decide_session(state.entry(member), session, mine, state.session_taken(session.id))
    seq = max((c.seq for c in state.choices if c.session_id == session.id), default=0) + 1
    after = state.with_choice(Choice(session.id, member, status, seq, now))
    return Decision(state, after, (), session, status)


def update_event(state: EventState, draft: EventDraft, now: datetime) -> Decision:
    """Replace an event's details; a larger capacity fills from the waitlist, one below the places held is refused."""
    details = {name: getattr(draft, name) for name in EventDraft.__dataclass_fields__}
    after = replace(state, event=replace(state.event, **details))
    for mode in MODES:  # nobody loses a place behind their back: staff see how many hold one and decide whom to ask
        capacity, held = after.event.capacity(mode), state.taken(mode)
        if capacity is not None and capacity < held and capacity != state.event.capacity(mode):
            raise UserError(f"event.{mode}_below_held", field=mode, ref=state.event.ref, count=held, capacity=capacity)
    notices: tuple[Notice, ...] = ()
    for mode in MODES:
        after, told = fill(after, mode, now)
        notices += told
    return Decision(state, after, notices)


def cancel_event(state: EventState, now: datetime) -> Decision:
    """Cancel an event and tell everyone signed up (that it stops, once started); refused if already cancelled or ended."""
    event = state.event
    if event.cancelled_at is not None:
        raise UserError("event.cancelled", ref=event.ref)
    if now >= event.ends_at:
        raise UserError("event.ended", ref=event.ref)
    cancelled = replace(event, cancelled_at=now)
    what = "cancelled_started" if now >= event.starts_at else "cancelled"
    told = tuple(notice(cancelled, entry, what) for entry in sorted(state.entries, key=lambda e: e.seq)
                 if entry.active)  # fmt: skip
    return Decision(state, replace(state, event=cancelled), told)


def check_workshop(event: Event, session: Session, now: datetime) -> Session:
    """A new workshop as it may be added: titled, inside its event, which is neither cancelled nor ended."""
    if event.cancelled_at is not None:
        raise UserError("event.cancelled", ref=event.ref)
    if now >= event.ends_at:
        raise UserError("event.ended", ref=event.ref)
    title = visible(session.title)
    if is_blank(title) or len(title) > TITLE_MAX:
        raise UserError("event.title_empty", field="title")
    if session.ends_at <= session.starts_at:
        raise UserError("event.end_before_start", field="end")
    if session.starts_at < event.starts_at or session.ends_at > event.ends_at:
        raise UserError("event.session_outside", field="start", ref=event.ref)
    return replace(session, title=title)

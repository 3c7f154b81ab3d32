"""Events and sign-up: places per attendance mode, waitlists, antennas, workshops, calendar files."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.exports import COMMA, to_csv
from bot.core.livecards import LiveCards
from bot.core.metrics import Metrics
from bot.core.model import Member
from bot.core.notices import Notice
from bot.core.refs import parse_ref
from bot.core.spaces import SpaceDirectory
from bot.core.text import is_blank, visible, web_url
from bot.features.events.store import CheckinStore, EventStore

log = logging.getLogger(__name__)

Mode = Literal["onsite", "remote"]
Status = Literal["confirmed", "offered", "waitlisted", "withdrawn", "expired"]
MODES: tuple[Mode, ...] = ("onsite", "remote")
HOLDING: tuple[Status, ...] = ("confirmed", "offered")
TITLE_MAX = 150
TEXT_MAX = 1000
NAME_MAX = 60
CHECKIN_OPENS = timedelta(hours=1)  # on-site check-in opens this long before the start and closes at the end
PRESENT_SHOWN = 25  # members offered in the attendee list's "mark present" menu (Discord allows 25 options)


@dataclass(frozen=True)
class EventDraft:
    """An event as staff asked for it, already checked."""

    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    venue: str = ""
    online_link: str = ""
    deadline: datetime | None = None
    onsite_capacity: int = 0
    remote_capacity: int | None = None  # None: unlimited
    price: str = ""
    question: str = ""
    confirm_hours: int | None = None


@dataclass(frozen=True)
class Event:
    """A stored event."""

    id: int
    space: str
    ref: int
    channel: str
    author: str
    timezone: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    online_link: str
    deadline: datetime | None
    onsite_capacity: int
    remote_capacity: int | None
    price: str
    question: str
    confirm_hours: int | None
    cancelled_at: datetime | None
    created_at: datetime

    @property
    def subject(self) -> str:
        """The key its cards are tracked under."""
        return f"event:{self.id}"

    @property
    def tz(self) -> ZoneInfo:
        """The zone its times are shown in."""
        return ZoneInfo(self.timezone)

    @property
    def closes_at(self) -> datetime:
        """When sign-ups close: the deadline, else the start."""
        return self.deadline or self.starts_at

    def capacity(self, mode: Mode) -> int | None:
        """Places in a mode; None is unlimited, 0 means the mode is not offered."""
        return self.onsite_capacity if mode == "onsite" else self.remote_capacity

    def offers(self, mode: Mode) -> bool:
        """Whether members may attend this way at all."""
        return self.capacity(mode) != 0

    def signups_open(self, now: datetime) -> bool:
        """Whether sign-ups and changes are still taken at `now`."""
        return self.cancelled_at is None and now < self.closes_at

    def check_open(self, now: datetime) -> None:
        """Refuse changes to a cancelled event or after its deadline."""
        if self.cancelled_at is not None:
            raise UserError("event.cancelled", ref=self.ref)
        if now >= self.closes_at:
            raise UserError("event.signups_closed", ref=self.ref)


@dataclass(frozen=True)
class Antenna:
    """A regional group following events together."""

    id: int
    space: str
    name: str
    region: str = ""
    host: str = ""
    channel: str = ""


@dataclass(frozen=True)
class Session:
    """A workshop (atelier) of an event."""

    id: int
    event_id: int
    number: int
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str = ""
    capacity: int | None = None

    def overlaps(self, other: Session) -> bool:
        """Whether the two time slots share any instant."""
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


class Standing:
    """What a sign-up's status means, for every shape of sign-up (the stored one, the rules' entry)."""

    status: Status

    @property
    def holds_place(self) -> bool:
        """Whether the member has a place (confirmed, or offered and not yet confirmed)."""
        return self.status in HOLDING

    @property
    def active(self) -> bool:
        """Whether the member is still signed up (holding a place or waiting)."""
        return self.status in (*HOLDING, "waitlisted")


@dataclass(frozen=True)
class Signup(Standing):
    """One member's sign-up to an event, as it stands."""

    event_id: int
    member: str
    name: str
    mode: Mode
    status: Status
    seq: int
    signed_up_at: datetime
    antenna: str | None = None
    position: int | None = None  # rank on the mode's waitlist
    offer_expires_at: datetime | None = None
    answer: str = ""
    sessions: tuple[str, ...] = ()  # workshops with a place, by number
    sessions_waiting: tuple[str, ...] = ()  # workshops waited for, by number


@dataclass(frozen=True)
class Change:
    """The outcome of a write: the event, the actor's sign-up and whom to tell."""

    event: Event
    signup: Signup | None
    notices: tuple[Notice, ...] = ()  # written to the outbox in the same transaction as the change
    session: Session | None = None
    session_status: str | None = None  # "confirmed", "waitlisted", or None when dropped


@dataclass(frozen=True)
class ModeCount:
    """Places held and members waiting in one mode or session."""

    held: int = 0
    waiting: int = 0


@dataclass(frozen=True)
class Counts:
    """Everything counted for an event."""

    modes: Mapping[str, ModeCount]
    antennas: tuple[tuple[Antenna, int], ...] = ()
    sessions: tuple[tuple[Session, ModeCount], ...] = ()


@dataclass(frozen=True)
class Presence:
    """One member present at an event: how, how we know, and since when."""

    member: str
    name: str
    how: Mode  # "onsite": checked in; "remote": took part in the event's live thread
    source: str  # onsite: "self" or "staff"; remote: "poll", "question", "upvote" or "message"
    at: datetime


@dataclass(frozen=True)
class Attendance:
    """Who was present at an event (one entry per member, on site first), and who did not come."""

    checkin_used: bool  # anyone checked in on site: follow-ups then go to those present only
    present: tuple[Presence, ...]
    no_shows: tuple[Signup, ...] = ()  # confirmed on site, not checked in, once the event has ended

    @property
    def members(self) -> frozenset[str]:
        """The keys of everyone present, on site or remotely."""
        return frozenset(p.member for p in self.present)

    def count(self, how: Mode) -> int:
        """How many were present this way."""
        return sum(1 for p in self.present if p.how == how)


PresenceSource = Callable[[Event], Awaitable[Sequence[Presence]]]


@dataclass(frozen=True)
class SignupRequest:
    """What a member asked for; no mode: keep the current one (an answer alone)."""

    mode: Mode | None
    antenna_id: int | None = None
    answer: str | None = None


def check_draft(draft: EventDraft, now: datetime | None) -> EventDraft:
    """Trim and validate an event; `now` None skips the future-start check (an edit keeping its start)."""
    title = visible(draft.title)
    if is_blank(title):
        raise UserError("event.title_empty", field="title")
    if len(title) > TITLE_MAX:
        raise UserError("event.title_too_long", field="title", max=TITLE_MAX)
    for name in ("description", "venue", "online_link", "price", "question"):
        if len(getattr(draft, name)) > TEXT_MAX:
            raise UserError("event.text_too_long", field=name, max=TEXT_MAX)
    link = web_url(draft.online_link) if draft.online_link.strip() else ""
    if link is None:
        raise UserError("event.bad_link", field="link", link=draft.online_link.strip()[:80])
    if now is not None and draft.starts_at <= now:
        raise UserError("event.start_past", field="start")
    if draft.ends_at <= draft.starts_at:
        raise UserError("event.end_before_start", field="end")
    if draft.deadline is not None and draft.deadline > draft.starts_at:
        raise UserError("event.deadline_after_start", field="deadline")
    if draft.onsite_capacity == 0 and draft.remote_capacity == 0:
        raise UserError("event.no_places", field="onsite")
    return replace(draft, title=title, online_link=link)


def checkin_window(event: Event) -> tuple[datetime, datetime]:
    """When members may check in on site: from `CHECKIN_OPENS` before the start to the end."""
    return event.starts_at - CHECKIN_OPENS, event.ends_at


def check_self_checkin(event: Event, signup: Signup | None, now: datetime) -> None:
    """Refuse a member's own check-in outside the window or without a confirmed place on site."""
    if event.cancelled_at is not None:
        raise UserError("event.cancelled", ref=event.ref)
    opens, closes = checkin_window(event)
    if now < opens:
        raise UserError("event.checkin.too_early", ref=event.ref)
    if now > closes:
        raise UserError("event.checkin.closed", ref=event.ref)
    if signup is None or not signup.active:
        raise UserError("event.checkin.not_signed_up", ref=event.ref)
    if signup.mode != "onsite":
        raise UserError("event.checkin.remote", ref=event.ref)
    if signup.status != "confirmed":
        raise UserError("event.checkin.not_confirmed", ref=event.ref)


def merge_presence(onsite: Sequence[Presence], remote: Sequence[Presence]) -> tuple[Presence, ...]:
    """One entry per member: a check-in on site wins, else their earliest sign of remote presence."""
    found = {p.member: p for p in onsite}
    for p in sorted(remote, key=lambda p: p.at):
        found.setdefault(p.member, p)
    return tuple(sorted(found.values(), key=lambda p: (p.how != "onsite", p.at, p.name.casefold())))


def no_shows(event: Event, signups: Sequence[Signup], present: frozenset[str], now: datetime) -> tuple[Signup, ...]:
    """Confirmed on-site members who never checked in, once the event has ended (none before)."""
    if now < event.ends_at or event.cancelled_at is not None:
        return ()
    return tuple(s for s in signups if s.mode == "onsite" and s.status == "confirmed" and s.member not in present)


def kind(what: str) -> str:
    """A notice kind of this feature: "event.<what>", rendered by `views.render_notice`."""
    return f"event.{what}"


def missed(undelivered: Sequence[Notice]) -> list[Notice]:
    """For each event, one notice telling its author whom its private notices could not reach."""
    by_event: dict[int, list[Notice]] = {}
    for notice in undelivered:
        if "author" in notice.params:
            by_event.setdefault(notice.params["event_id"], []).append(notice)
    return [
        Notice(group[0].space, group[0].params["author"], kind("missed"),
               {"ref": group[0].params["ref"], "title": group[0].params["title"],
                "names": [notice.params["name"] for notice in group]})
        for group in by_event.values()
    ]  # fmt: skip


def find_signup(signups: Sequence[Signup], who: str | int) -> Signup:
    """An active sign-up named by its number (a menu), member key, "@mention" or display name (unambiguous)."""
    active = [s for s in signups if s.active]
    if isinstance(who, int):
        for signup in active:
            if signup.seq == who:
                return signup
        raise UserError("event.present.unknown", field="member", name=str(who))
    # Mentions arrive as "<@U123>" (Discord, Slack) or "<@U123|name>" (Slack's escaped slash commands).
    wanted = who.strip().removeprefix("<@").removesuffix(">").split("|", 1)[0].removeprefix("@").casefold()
    for signup in active:
        if signup.member.casefold() == wanted or signup.member.split(":", 1)[1].casefold() == wanted:
            return signup
    named = [s for s in active if s.name.casefold() == wanted]
    if len(named) > 1:
        raise UserError("event.present.ambiguous", field="member", name=who.strip())
    if not named:
        raise UserError("event.present.unknown", field="member", name=who.strip()[:80])
    return named[0]


def attendees_csv(event: Event, signups: Sequence[Signup], sep: str = COMMA) -> str:
    """The attendee export: one row per member signed up (withdrawn ones included, marked)."""
    header = ("name", "member", "mode", "antenna", "sessions", "signed_up_at", "status", "waitlist_position", "answer")
    rows = [
        (s.name, s.member, s.mode, s.antenna or "", "; ".join((*s.sessions, *(f"{t} (waitlist)" for t in s.sessions_waiting))),
         s.signed_up_at.astimezone(event.tz).isoformat(timespec="minutes"), s.status, s.position or "", s.answer)
        for s in signups
    ]  # fmt: skip
    return to_csv([[header, *rows]], sep)


def ics_bytes(event: Event, now: datetime, with_link: bool = False) -> bytes:
    """The event as an iCalendar file, times in UTC; the online link only for remote attendees."""
    import icalendar  # only /event ics needs it: imported when used, not at every start

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Phosphore//events//FR")
    calendar.add("version", "2.0")
    item = icalendar.Event()
    item.add("uid", f"event-{event.ref}-{event.id}@{event.space.replace(':', '-')}.phosphore")
    item.add("dtstamp", now)
    item.add("dtstart", event.starts_at)
    item.add("dtend", event.ends_at)
    item.add("summary", event.title)
    description = event.description
    if with_link and event.online_link:
        description = f"{description}\n\n{event.online_link}".strip()
        item.add("url", event.online_link)
    if description:
        item.add("description", description)
    if event.venue:
        item.add("location", event.venue)
    item.add("status", "CANCELLED" if event.cancelled_at else "CONFIRMED")
    calendar.add_component(item)
    return calendar.to_ical()


class EventService:
    """Everything members and staff do with events, whatever the platform."""

    def __init__(
        self,
        store: EventStore,
        live: LiveCards,
        clock: Clock,
        spaces: SpaceDirectory,
        wake_at: Callable[[datetime], None],
        checkins: CheckinStore,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.checkins = checkins
        self.live = live
        self.clock = clock
        self.spaces = spaces
        self.wake_at = wake_at  # offers expire: due work must run then
        self.metrics = metrics or Metrics()
        self.observers: list[Callable[[Event], Awaitable[None]]] = []  # told of every create, edit and cancel
        # Features that know of remote presence (the live thread) add a source; events cannot import them.
        self.presence_sources: list[PresenceSource] = []

    async def _observe(self, event: Event) -> Event:
        """Tell the observers (the scheduler's planning) that an event was created, changed or cancelled."""
        for observer in self.observers:
            await observer(event)
        return event

    @staticmethod
    def require_staff(by: Member | None) -> None:
        """Refuse members who are not staff (None is the trusted command line)."""
        if by is not None and not by.is_staff:
            raise UserError("event.staff_only")

    async def create(self, space: str, channel: str, by: Member, draft: EventDraft) -> Event:
        """Create an event (staff)."""
        self.require_staff(by)
        draft = check_draft(draft, self.clock.now())
        timezone = self.spaces(space).timezone
        return await self._observe(
            await self.store.create_event(space, channel, by.key, timezone, draft, self.clock.now())
        )

    async def edit(self, space: str, ref: str | int, by: Member, changes: Mapping[str, Any]) -> Event:
        """Change an event's details (staff); more places move waiting members up."""
        self.require_staff(by)
        event = await self.get(space, ref)
        if event.cancelled_at is not None:
            raise UserError("event.cancelled", ref=event.ref)
        fields = {f: getattr(event, f) for f in EventDraft.__dataclass_fields__}
        draft = replace(EventDraft(**fields), **changes)
        checked = check_draft(draft, self.clock.now() if "starts_at" in changes else None)
        change = await self.store.update_event(event.id, checked, self.clock.now())
        await self._after(change)
        return await self._observe(change.event)

    async def cancel(self, space: str, ref: str | int, by: Member | None) -> tuple[Event, int]:
        """Cancel an event (staff): it refuses sign-ups from now on and everyone signed up is told."""
        self.require_staff(by)
        event = await self.get(space, ref)
        change = await self.store.cancel_event(event.id, self.clock.now())
        await self._after(change)
        return await self._observe(change.event), len(change.notices)

    async def get(self, space: str, ref: str | int) -> Event:
        """An event of this space by its short reference."""
        number = parse_ref(ref, "event.bad_ref")
        event = await self.store.find_event(space, number)
        if event is None:
            raise UserError("event.not_found", ref=number)
        return event

    async def by_id(self, space: str, event_id: int) -> Event:
        """An event named by a button; another space's event is refused as if it did not exist."""
        event = await self.store.get_event(event_id)
        if event is None or event.space != space:
            raise UserError("event.not_found", ref=event_id)
        return event

    async def lookup(self, event_id: int) -> Event | None:
        """An event by its global id, whatever its space (for the bot's own scheduled work, never for members)."""
        return await self.store.get_event(event_id)

    async def signups(self, event: Event) -> list[Signup]:
        """Every sign-up of an event in arrival order."""
        return await self.store.signups(event.id)

    async def join(self, space: str, member: Member, event_id: int, request: SignupRequest) -> Change:
        """Sign up, change mode or antenna; capacity is checked inside the write."""
        if request.antenna_id is not None:
            antenna = await self.store.get_antenna(request.antenna_id)
            if antenna is None or antenna.space != space:
                raise UserError("event.antenna_not_found", name=request.antenna_id)
        change = await self.store.apply_signup(space, event_id, member.key, member.name, request, self.clock.now())
        if change.signup is not None:
            self.metrics.count("signups", space, change.signup.status)
        await self._after(change)
        return change

    async def withdraw(self, space: str, member: Member, event_id: int) -> Change:
        """Give up a place or leave a waitlist; the first waiting member moves up."""
        change = await self.store.withdraw(space, event_id, member.key, self.clock.now())
        await self._after(change)
        return change

    async def confirm(self, space: str, member: Member, event_id: int) -> Change:
        """Accept a place offered after a withdrawal."""
        change = await self.store.confirm_offer(space, event_id, member.key, self.clock.now())
        await self._after(change)
        return change

    async def choose_session(self, space: str, member: Member, event_id: int, number: int) -> Change:
        """Choose a workshop, or drop it when already chosen."""
        change = await self.store.toggle_session(space, event_id, member.key, number, self.clock.now())
        await self._after(change)
        return change

    async def expire_offers(self) -> None:
        """Pass on every offered place whose confirmation time has run out."""
        for change in await self.store.expire_offers(self.clock.now()):
            await self._after(change)

    async def upcoming(self, space: str) -> list[Event]:
        """Events of a space that have not ended, soonest first (cancelled ones included)."""
        return await self.store.upcoming_events(space, self.clock.now())

    async def ended(self, space: str) -> list[Event]:
        """Events of a space that took place (ended, not cancelled), oldest first."""
        return await self.store.ended_events(space, self.clock.now())

    async def mine(self, space: str, member: Member) -> list[tuple[Event, Signup]]:
        """A member's active sign-ups to events that have not ended."""
        return await self.store.member_signups(space, member.key, self.clock.now())

    async def signup_of(self, event: Event, member: Member) -> Signup | None:
        """A member's sign-up to an event, if any."""
        return await self.store.signup(event.id, member.key)

    async def counts(self, event: Event) -> Counts:
        """Places and waitlists of an event."""
        return await self.store.counts(event.id)

    async def signup_moves(self, event: Event) -> dict[tuple[str | None, str], int]:
        """How many sign-ups went from each status to each other (None: new sign-ups), as recorded."""
        return await self.store.signup_moves(event.id)

    async def attendees(self, space: str, ref: str | int, by: Member | None) -> tuple[Event, Counts, list[Signup]]:
        """Counts and every sign-up, in arrival order (staff)."""
        self.require_staff(by)
        event = await self.get(space, ref)
        return event, await self.store.counts(event.id), await self.store.signups(event.id)

    async def export_csv(self, space: str, ref: str | int, by: Member | None, sep: str = COMMA) -> tuple[Event, str]:
        """The attendee list as CSV (staff); columns split by `sep`."""
        event, _counts, signups = await self.attendees(space, ref, by)
        return event, attendees_csv(event, signups, sep)

    async def ics(self, event: Event, member: Member | None) -> bytes:
        """The calendar file; the online link is in it only for a remote attendee holding a place."""
        signup = None if member is None else await self.store.signup(event.id, member.key)
        with_link = signup is not None and signup.holds_place and signup.mode == "remote"
        return ics_bytes(event, self.clock.now(), with_link)

    async def add_antenna(self, space: str, by: Member, antenna: Antenna) -> Antenna:
        """Define a regional antenna (staff)."""
        self.require_staff(by)
        name = antenna.name.strip()
        if not name or len(name) > NAME_MAX:
            raise UserError("event.antenna_bad_name", field="name", max=NAME_MAX)
        return await self.store.add_antenna(space, replace(antenna, name=name), self.clock.now())

    async def find_antenna(self, space: str, name: str) -> Antenna:
        """An antenna of this space by name (case-insensitive)."""
        wanted = name.strip().casefold()
        for antenna in await self.store.antennas(space):
            if antenna.name.casefold() == wanted:
                return antenna
        raise UserError("event.antenna_not_found", field="antenna", name=name)

    async def add_session(self, space: str, ref: str | int, by: Member, session: Session) -> tuple[Event, Session]:
        """Add a workshop to an event (staff); it must fit inside the event, not yet ended nor cancelled."""
        self.require_staff(by)
        event = await self.get(space, ref)
        return event, await self.store.add_session(event.id, space, session, self.clock.now())

    async def check_in(self, space: str, ref: str | int, member: Member) -> tuple[Event, datetime, bool]:
        """A member's own on-site check-in during the event: when they checked in, and whether it is new."""
        event = await self.get(space, ref)
        check_self_checkin(event, await self.store.signup(event.id, member.key), self.clock.now())
        at, fresh = await self.checkins.check_in(event.space, event.id, member.key, member.name, member.key,
                                                 self.clock.now())  # fmt: skip
        return event, at, fresh

    async def mark_present(
        self, space: str, event_id: int, by: Member | None, who: str | int, present: bool = True
    ) -> tuple[Event, Signup, bool]:
        """Staff mark a member signed up as present on site (or not, `present` False); whether anything changed."""
        self.require_staff(by)
        event = await self.by_id(space, event_id)
        if event.cancelled_at is not None:
            raise UserError("event.cancelled", ref=event.ref)
        if self.clock.now() < checkin_window(event)[0]:
            raise UserError("event.checkin.too_early", ref=event.ref)
        signup = find_signup(await self.store.signups(event.id), who)
        if not present:
            return event, signup, await self.checkins.check_out(event.id, signup.member)
        marker = by.key if by is not None else "cli"
        _at, fresh = await self.checkins.check_in(event.space, event.id, signup.member, signup.name, marker,
                                                  self.clock.now())  # fmt: skip
        return event, signup, fresh

    async def attendance(self, event: Event) -> Attendance:
        """Who was present (checked in on site, or taking part in the live thread) and the no-shows."""
        onsite = await self.checkins.checkins(event.id)
        remote = [p for source in self.presence_sources for p in await source(event)]
        present = merge_presence(onsite, remote)
        members = frozenset(p.member for p in present)
        missing = no_shows(event, await self.store.signups(event.id), members, self.clock.now())
        return Attendance(bool(onsite), present, missing)

    async def _after(self, change: Change) -> None:
        """Refresh the live card and wake up when new offers expire (the change's notices are in the outbox)."""
        self.live.touch(change.event.subject)
        for notice in change.notices:
            if "expires_at" in notice.params:
                self.wake_at(datetime.fromisoformat(notice.params["expires_at"]))

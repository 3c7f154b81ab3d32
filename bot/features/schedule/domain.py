"""Scheduled messages: what they are, when an event's fall due, and how they are presented (a port).

The database is the truth: `scheduled_messages` says what must be sent and when, `deliveries`
what was sent to whom. A delivery row is claimed ('sending') in a committed write before the
platform is called, then marked 'sent' or 'failed'. A row found 'sending' at start was cut off
mid-call: it becomes 'unsure' and is never sent again (at most once), and staff are told.
What authors are told goes through the outbox, queued in the write that finds it out, so it waits
for the platform's adapter (at start none is registered yet).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.errors import UserError
from bot.core.notices import Notice
from bot.core.when import parse_duration
from bot.features.events.domain import Attendance, Event, Signup
from bot.features.schedule.payload import payload_draft

Kind = Literal["reminder", "followup_day", "followup_month", "post", "poll"]
Step = Literal["day", "month"]
Report = Literal["missed", "unsure"]  # what an author is told of a message's recipients
Audience = Literal["present", "confirmed"]  # follow-ups: to those present when check-in was used, or every attendee
AUDIENCES: tuple[Audience, ...] = ("present", "confirmed")
STEPS: tuple[Step, ...] = ("day", "month")
RATINGS = (1, 2, 3, 4, 5)
EVENT_KINDS: tuple[Kind, ...] = ("reminder", "followup_day", "followup_month")
STEP_OF: Mapping[str, Step] = {"followup_day": "day", "followup_month": "month"}
FOLLOWUP_TIME = time(10, 0)  # follow-ups arrive at 10:00 in the event's zone
NO_OFFSETS = {"none", "aucun", "aucune", "0", "-"}
CHANNEL = "channel:"  # the recipient of a post or a poll is its channel
TEXT_MAX = 1000
FOLLOWUP_MAX = 500  # a follow-up question staff write: read in a private message, above its buttons


@dataclass(frozen=True)
class Scheduled:
    """One stored scheduled message."""

    id: int
    space: str
    ref: int
    kind: Kind
    event_id: int | None
    offset_seconds: int
    channel: str
    author: str
    payload: str
    due_at: datetime
    status: str
    manual: bool = False

    @property
    def offset(self) -> timedelta:
        """How long before the event's start a reminder is sent."""
        return timedelta(seconds=self.offset_seconds)


@dataclass(frozen=True)
class Planned:
    """A message an event plans: its kind, offset and due instant."""

    kind: Kind
    offset_seconds: int
    due_at: datetime


@dataclass(frozen=True)
class EventPlan:
    """An event's messages to plan: its space, id and author, and the steps."""

    space: str
    event_id: int
    author: str
    steps: Sequence[Planned]


@dataclass(frozen=True)
class Target:
    """One recipient of a fan-out and how to reach them."""

    key: str
    name: str
    send: Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class FeedbackRow:
    """One member's answer to one follow-up step."""

    member: str
    name: str
    step: Step
    rating: int | None
    text: str
    answered_at: datetime


@dataclass(frozen=True)
class FeedbackSummary:
    """What staff see of an event's follow-ups."""

    asked: int
    answered: int
    ratings: tuple[int, ...]
    texts: tuple[tuple[Step, str, str], ...]  # (step, name, text)

    @property
    def mean(self) -> float | None:
        """The mean rating, or None without ratings."""
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    def distribution(self) -> tuple[int, ...]:
        """How many gave 1, 2, 3, 4 and 5."""
        return tuple(self.ratings.count(value) for value in RATINGS)


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """Reminder offsets such as "7d,1d,1h" (or "none"), longest first, without duplicates."""
    cleaned = text.strip().casefold()
    if cleaned in NO_OFFSETS:
        return ()
    offsets = {parse_duration(part) for part in cleaned.replace(";", ",").split(",") if part.strip()}
    if not offsets:
        raise UserError("when.bad_duration", text=text)
    return tuple(sorted(offsets, reverse=True))


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall-clock time in `tz` back to a UTC instant (a time DST skips moves forward)."""
    return moment.replace(tzinfo=tz).astimezone(UTC)


def before(start: datetime, tz: ZoneInfo, offset: timedelta) -> datetime:
    """`offset` before `start`: whole days are calendar days in `tz` (same wall time), the rest is exact."""
    days, rest = divmod(offset, timedelta(days=1))
    if rest:
        return start - offset
    return local(start.astimezone(tz).replace(tzinfo=None) - timedelta(days=days), tz)


def add_month(day: date) -> date:
    """The same day next month, or the month's last day when it has no such day."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))


def followup_due(event: Event, step: Step) -> datetime:
    """The day after the event at 10:00 in its zone, or a month after that."""
    day = event.ends_at.astimezone(event.tz).date() + timedelta(days=1)
    if step == "month":
        day = add_month(day)
    return local(datetime.combine(day, FOLLOWUP_TIME), event.tz)


def event_steps(event: Event, offsets: Sequence[timedelta], now: datetime) -> list[Planned]:
    """What an event plans: a reminder per offset still ahead, and both follow-ups."""
    steps = [Planned("reminder", int(o.total_seconds()), before(event.starts_at, event.tz, o)) for o in offsets]
    steps = [step for step in steps if step.due_at > now]
    steps += [Planned(kind, 0, followup_due(event, STEP_OF[kind])) for kind in ("followup_day", "followup_month")]
    return steps


def receives(kind: Kind, signup: Signup) -> bool:
    """Whether a sign-up gets an event message: reminders reach everyone signed up (waitlist too), follow-ups attendees."""
    return signup.active if kind == "reminder" else signup.status == "confirmed"


def subject_of(message: Scheduled) -> str:
    """A staff message as its author recognises it: a post's first line or a poll's question, cut short."""
    text = payload_draft(message.payload).question if message.kind == "poll" else message.payload.partition("\n")[0]
    return text[:60]


def report(message: Scheduled, what: Report, names: Sequence[str], event: tuple[int, str, str] | None) -> Notice:
    """The notice telling a message's author whom it missed or may have missed; `event` is its (ref, title, author)."""
    ref, title, author = event if event is not None else (message.ref, subject_of(message), message.author)
    return Notice(message.space, author, f"schedule.{what}", {"ref": ref, "title": title, "names": sorted(names)})


@dataclass(frozen=True)
class FollowupSetup:
    """An event's follow-up questions (None: the default one) and whom they reach."""

    day: str | None = None
    month: str | None = None
    audience: Audience = "present"

    def text(self, step: Step) -> str | None:
        """Staff's question for a step, or None for the default."""
        return self.day if step == "day" else self.month

    def with_text(self, step: Step, text: str | None) -> FollowupSetup:
        """The same setup with a step's question replaced (None: back to the default)."""
        return replace(self, day=text) if step == "day" else replace(self, month=text)


def check_question(text: str, step: Step) -> str:
    """A follow-up question staff typed, trimmed: neither empty nor longer than `FOLLOWUP_MAX`."""
    cleaned = text.strip()
    if not cleaned:
        raise UserError("schedule.followups.empty", field=step)
    if len(cleaned) > FOLLOWUP_MAX:
        raise UserError("schedule.followups.too_long", field=step, max=FOLLOWUP_MAX, length=len(cleaned))
    return cleaned


def followup_recipients(signups: Sequence[Signup], setup: FollowupSetup, attendance: Attendance) -> list[Signup]:
    """Attendees who get a follow-up: only those present once anyone checked in on site, unless staff said everyone."""
    attendees = [s for s in signups if receives("followup_day", s)]
    if setup.audience == "confirmed" or not attendance.checkin_used:
        return attendees
    return [s for s in attendees if s.member in attendance.members]

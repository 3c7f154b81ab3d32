"""Scheduled messages: event reminders, follow-up questions, staff posts and polls opened later.

The database is the truth: `scheduled_messages` says what must be sent and when, `deliveries`
what was sent to whom. A delivery row is claimed ('sending') in a committed write before the
platform is called, then marked 'sent' or 'failed'. A row found 'sending' at start was cut off
mid-call: it becomes 'unsure' and is never sent again (at most once), and staff are told.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time as monotonic_time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.exports import to_csv
from bot.core.livecards import LiveCards
from bot.core.model import Member, platform_of
from bot.core.ports import Outbox
from bot.core.refs import parse_ref
from bot.core.spaces import SpaceDirectory
from bot.core.when import parse_duration
from bot.features.events.domain import Event, EventService, Signup
from bot.features.events.views import when
from bot.features.polls.domain import PollDraft, PollService, Tally
from bot.features.polls.views import poll_card
from bot.features.schedule.store import ScheduleStore
from bot.features.schedule.views import RATINGS, Step, followup_reply, reminder_reply
from bot.i18n import Translator
from bot.ui import Reply

log = logging.getLogger(__name__)

Kind = Literal["reminder", "followup_day", "followup_month", "post", "poll"]
EVENT_KINDS: tuple[Kind, ...] = ("reminder", "followup_day", "followup_month")
STEP_OF: Mapping[str, Step] = {"followup_day": "day", "followup_month": "month"}
FOLLOWUP_TIME = time(10, 0)  # follow-ups arrive at 10:00 in the event's zone
NO_OFFSETS = {"none", "aucun", "aucune", "0", "-"}
CHANNEL = "channel:"  # the recipient of a post or a poll is its channel
WORKERS = 8  # sends in flight per fan-out; the pacer sets the rate
TEXT_MAX = 1000
LIST_MAX = 25
DEFAULT_RATES: Mapping[str, float] = {"slack": 10.0, "discord": 20.0}
EPSILON = 1e-9


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


def parse_rates(text: str) -> dict[str, float]:
    """Per-platform sends per second: "slack=10,discord=20"; 0 means unpaced."""
    rates = dict(DEFAULT_RATES)
    for part in filter(None, (item.strip() for item in text.split(","))):
        platform, _, value = part.partition("=")
        number = float(value)
        if not platform.strip() or number < 0:
            raise ValueError(f"{part!r} is not platform=sends_per_second")
        rates[platform.strip()] = number
    return rates


class TokenBucket:
    """`rate` sends per second with bursts up to `burst`; time and sleep are injectable for tests."""

    def __init__(
        self, rate: float, burst: int, monotonic: Callable[[], float] = monotonic_time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._last = monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one send is allowed, then take it."""
        async with self._lock:
            while True:
                now = self._monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1 - EPSILON:  # float refills can stop a hair short of a whole token
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                await self._sleep((1 - self._tokens) / self.rate)


class Pacer:
    """One token bucket per platform, so a fan-out never outruns the platform's rate limits."""

    def __init__(
        self, rates: Mapping[str, float], monotonic: Callable[[], float] = monotonic_time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.buckets = {
            platform: TokenBucket(rate, int(rate), monotonic, sleep) for platform, rate in rates.items() if rate > 0
        }

    async def acquire(self, space: str) -> None:
        """Wait for the right to send one message in `space` (platforms without a rate are unpaced)."""
        bucket = self.buckets.get(platform_of(space))
        if bucket is not None:
            await bucket.acquire()


def draft_payload(draft: PollDraft) -> str:
    """A poll draft as stored JSON."""
    return json.dumps({"question": draft.question, "options": list(draft.options), "max_choices": draft.max_choices,
                       "anonymous": draft.anonymous, "results": draft.results,
                       "closes_at": draft.closes_at.isoformat() if draft.closes_at else None})  # fmt: skip


def payload_draft(payload: str) -> PollDraft:
    """A poll draft back from its stored JSON."""
    data = json.loads(payload)
    closes = datetime.fromisoformat(data["closes_at"]) if data["closes_at"] else None
    return PollDraft(data["question"], tuple(data["options"]), data["max_choices"], data["anonymous"],
                     data["results"], closes)  # fmt: skip


class ScheduleService:
    """Plans, sends and lets staff steer everything the bot sends on its own."""

    def __init__(
        self, store: ScheduleStore, events: EventService, polls: PollService, live: LiveCards, delivery: Outbox,
        clock: Clock, spaces: SpaceDirectory, wake_at: Callable[[datetime], None], pacer: Pacer,
    ) -> None:
        self.store = store
        self.events = events
        self.polls = polls
        self.live = live
        self.delivery = delivery
        self.clock = clock
        self.spaces = spaces
        self.wake_at = wake_at
        self.pacer = pacer
        self._active: dict[int, asyncio.Future[None]] = {}
        self._stopping = False

    # ------------------------------------------------------------------ planning

    def offsets(self, space: str) -> tuple[timedelta, ...]:
        """The space's default reminder offsets."""
        return parse_offsets(self.spaces(space).reminder_offsets)

    async def sync_event(self, event: Event) -> None:
        """Keep an event's plan in step: plan it once, re-time it after an edit, cancel it with the event."""
        now = self.clock.now()
        if event.cancelled_at is not None:
            await self.store.cancel_event_messages(event.id, now)
            return
        steps = event_steps(event, self.offsets(event.space), now)
        if not await self.store.has_plan(event.id):
            created = await self.store.plan(event.space, event.id, event.author, steps, now)
        else:
            retimed = {(kind, offset): before(event.starts_at, event.tz, timedelta(seconds=offset))
                       for kind, offset in await self.store.event_offsets(event.id) if kind == "reminder"}  # fmt: skip
            retimed |= {(s.kind, 0): s.due_at for s in steps if s.kind != "reminder"}
            created = await self.store.retime(event.id, retimed, now)
        for moment in created:
            self.wake_at(moment)

    async def set_offsets(self, space: str, ref: str | int, by: Member, text: str) -> tuple[Event, tuple[timedelta, ...]]:
        """Choose an event's own reminder offsets (staff): reminders not yet sent are replaced."""
        EventService.require_staff(by)
        event = await self.events.get(space, ref)
        if event.cancelled_at is not None:
            raise UserError("event.cancelled", ref=event.ref)
        try:
            offsets = parse_offsets(text)
        except UserError as error:
            raise UserError(error.key, field="offsets", **error.params) from None
        now = self.clock.now()
        if not await self.store.has_plan(event.id):
            await self.sync_event(event)
        steps = [s for s in event_steps(event, offsets, now) if s.kind == "reminder"]
        for moment in await self.store.replace_reminders(event.space, event.id, event.author, steps, now):
            self.wake_at(moment)
        return event, offsets

    async def recover(self) -> None:
        """At start: plan events that have no plan yet, and report deliveries cut off by a stop."""
        now = self.clock.now()
        for event_id in await self.store.unplanned_events(now):
            event = await self.events.store.get_event(event_id)
            if event is not None:
                await self.sync_event(event)
        for message, names in await self.store.mark_unsure(now):
            log.warning("unsure deliveries message=%s count=%d (never re-sent)", message.id, len(names))
            await self._tell_author(message, "schedule.unsure", names)

    async def pending_times(self) -> list[datetime]:
        """Instants at which scheduled messages fall due (to schedule wake-ups)."""
        return await self.store.next_due_times()

    # ------------------------------------------------------------------ running

    async def run_due(self) -> None:
        """Send every message whose time has come (each once; one fan-out per message at a time)."""
        if self._stopping:
            return
        runs = []
        for message in await self.store.due(self.clock.now()):
            if message.id not in self._active:  # a run already under way is awaited, not started twice
                self._active[message.id] = asyncio.ensure_future(self._process(message))
            runs.append(self._active[message.id])
        await asyncio.gather(*runs)

    async def stop(self) -> None:
        """Take no new recipients, and wait for the sends in flight."""
        self._stopping = True
        while self._active:
            await asyncio.gather(*list(self._active.values()), return_exceptions=True)

    async def _process(self, message: Scheduled) -> None:
        """Check a due message is still meaningful, then send it to each recipient once."""
        try:
            verdict = await self._verdict(message)
            if verdict is not None:
                log.info("scheduled message %s %s kind=%s", message.id, verdict, message.kind)
                await self.store.set_status(message.id, verdict, self.clock.now())
                return
            if not self.delivery.ready(message.space):
                return  # no adapter yet (catching up at start): sent once it registers
            await self.store.set_status(message.id, "running", self.clock.now())
            targets = await self._targets(message)
            failed = await self._fan_out(message, targets)
            if failed and message.kind in EVENT_KINDS:
                await self._tell_author(message, "event.notice.missed", [t.name for t in failed])
            if not self._stopping:
                await self.store.set_status(message.id, "done", self.clock.now())
        finally:
            self._active.pop(message.id, None)

    async def _verdict(self, message: Scheduled) -> str | None:
        """'dropped' or 'cancelled' when the message no longer makes sense; None to send it."""
        now = self.clock.now()
        if message.event_id is not None:
            event = await self.events.store.get_event(message.event_id)
            if event is None or event.cancelled_at is not None:
                return "cancelled"
            if message.kind == "reminder" and now >= event.starts_at:
                log.warning("dropped a reminder for event=%s that started while it waited", event.id)
                return "dropped"
        if message.kind == "poll":
            closes = payload_draft(message.payload).closes_at
            if closes is not None and closes <= now:
                return "dropped"
        return None

    async def _targets(self, message: Scheduled) -> list[Target]:
        """Who receives a message now, and how."""
        if message.kind == "post":
            reply = Reply(text=message.payload, public=True)
            return [Target(CHANNEL + message.channel, message.channel, lambda: self._post(message, reply))]
        if message.kind == "poll":
            return [Target(CHANNEL + message.channel, message.channel, lambda: self._open_poll(message))]
        assert message.event_id is not None
        event = await self.events.by_id(message.space, message.event_id)
        _ = Translator(self.spaces(event.space).locale)
        signups = await self.events.store.signups(event.id)
        if message.kind == "reminder":
            return [self._private(event, s, reminder_reply(event, s, _)) for s in signups if s.active]
        reply = followup_reply(event, STEP_OF[message.kind], _)
        return [self._private(event, s, reply) for s in signups if s.status == "confirmed"]

    def _private(self, event: Event, signup: Signup, reply: Reply) -> Target:
        """A target reached by a private message."""
        return Target(signup.member, signup.name, lambda: self.delivery.send_private(event.space, signup.member, reply))

    async def _post(self, message: Scheduled, reply: Reply) -> bool:
        """Post in the message's channel."""
        return await self.delivery.post(message.space, message.channel, reply) is not None

    async def _open_poll(self, message: Scheduled) -> bool:
        """Open a scheduled poll in its channel, its card tracked live."""
        author = Member(message.author, message.author, is_staff=True)
        poll = await self.polls.create(message.space, message.channel, author, payload_draft(message.payload))
        _ = Translator(self.spaces(message.space).locale)
        card = poll_card(poll, Tally((0,) * len(poll.options), 0), _, self.spaces(message.space).tz, self.clock.now())
        ref = await self.delivery.post(message.space, message.channel, Reply(card=card, public=True, subject=poll.subject))
        if ref is not None:
            await self.live.attach(poll.subject, ref)
        if poll.closes_at is not None:
            self.wake_at(poll.closes_at)
        return ref is not None

    async def _fan_out(self, message: Scheduled, targets: Sequence[Target]) -> list[Target]:
        """Send to each target not yet claimed, paced, claim committed before each send; the failed ones."""
        claimed = await self.store.claimed(message.id)
        queue = iter([t for t in targets if t.key not in claimed])
        failed: list[Target] = []

        async def worker() -> None:
            for target in queue:
                if self._stopping:
                    return
                await self.pacer.acquire(message.space)
                if not await self.store.claim(message.id, message.space, target.key, target.name, self.clock.now()):
                    continue
                try:
                    sent = await target.send()
                except Exception:
                    log.exception("scheduled send failed message=%s", message.id)
                    sent = False
                await self.store.finish(message.id, target.key, "sent" if sent else "failed", self.clock.now())
                if not sent:
                    failed.append(target)

        await asyncio.gather(*(worker() for _ in range(min(WORKERS, len(targets)) or 1)))
        return failed

    async def _tell_author(self, message: Scheduled, key: str, names: Sequence[str]) -> None:
        """Tell the event's author (or the message's) privately about recipients missed or unsure."""
        _ = Translator(self.spaces(message.space).locale)
        event = await self.events.store.get_event(message.event_id) if message.event_id else None
        ref, title = (event.ref, event.title) if event else (message.ref, message.payload[:60])
        author = event.author if event else message.author
        text = _(key, ref=ref, title=title, names=", ".join(names))
        if not await self.delivery.send_private(message.space, author, Reply(text=text)):
            log.warning("could not tell the author of message=%s about %d recipients", message.id, len(names))

    # ------------------------------------------------------------------ staff control

    async def get(self, space: str, ref: str | int) -> Scheduled:
        """A scheduled message of this space by its short reference."""
        number = parse_ref(ref, "schedule.bad_ref")
        message = await self.store.find(space, number)
        if message is None:
            raise UserError("schedule.not_found", ref=number)
        return message

    async def upcoming(self, space: str) -> list[Scheduled]:
        """Messages of a space still to send, soonest first."""
        return await self.store.upcoming(space)

    async def reschedule(self, space: str, ref: str | int, by: Member, due_at: datetime) -> Scheduled:
        """Move a message not yet sent to another instant (staff)."""
        EventService.require_staff(by)
        message = await self._pending(space, ref)
        if due_at <= self.clock.now():
            raise UserError("schedule.past", field="when")
        moved = await self.store.reschedule(message.id, due_at, self.clock.now())
        self.wake_at(due_at)
        return moved

    async def cancel(self, space: str, ref: str | int, by: Member) -> Scheduled:
        """Cancel a message not yet sent (staff)."""
        EventService.require_staff(by)
        message = await self._pending(space, ref)
        await self.store.set_status(message.id, "cancelled", self.clock.now())
        return message

    async def _pending(self, space: str, ref: str | int) -> Scheduled:
        """A message of this space still waiting to be sent."""
        message = await self.get(space, ref)
        if message.status != "pending":
            raise UserError("schedule.not_pending", ref=message.ref)
        return message

    async def post_later(self, space: str, channel: str, by: Member, due_at: datetime, text: str) -> Scheduled:
        """Schedule a message posted in this channel (staff)."""
        EventService.require_staff(by)
        text = text.strip()
        if not text:
            raise UserError("schedule.text_empty", field="text")
        if len(text) > TEXT_MAX * 3:
            raise UserError("args.too_long", field="text", option="text", max=TEXT_MAX * 3, length=len(text))
        return await self._add(space, channel, by, "post", due_at, text)

    async def poll_later(self, space: str, channel: str, by: Member, due_at: datetime, draft: PollDraft) -> Scheduled:
        """Schedule a poll opened in this channel (staff); it must close after it opens."""
        EventService.require_staff(by)
        if draft.closes_at is not None and draft.closes_at <= due_at:
            raise UserError("schedule.poll_closes_first", field="closes")
        return await self._add(space, channel, by, "poll", due_at, draft_payload(draft))

    async def _add(self, space: str, channel: str, by: Member, kind: Kind, due_at: datetime, payload: str) -> Scheduled:
        """Store a channel message and wake up for it."""
        if due_at <= self.clock.now():
            raise UserError("schedule.past", field="at")
        message = await self.store.add(space, kind, channel, by.key, payload, due_at, self.clock.now())
        self.wake_at(due_at)
        return message

    async def recipients(self, message: Scheduled) -> int:
        """How many would receive it if it were sent now."""
        return len(await self._targets(message))

    async def sample(self, message: Scheduled, _: Translator) -> Reply:
        """What one recipient would receive (the first of them for event messages)."""
        if message.kind == "post":
            return Reply(text=message.payload)
        if message.kind == "poll":
            draft = payload_draft(message.payload)
            return Reply(text=f"{draft.question}\n" + "\n".join(f"• {option}" for option in draft.options))
        event = await self.events.by_id(message.space, message.event_id or 0)
        if message.kind != "reminder":
            return followup_reply(event, STEP_OF[message.kind], _)
        signups = [s for s in await self.events.store.signups(event.id) if s.active]
        if not signups:
            return Reply(text=_("schedule.reminder.head", ref=event.ref, title=event.title,
                                start=when(event.starts_at, event, _)))  # fmt: skip
        return reminder_reply(event, signups[0], _)

    # ------------------------------------------------------------------ follow-up answers

    async def rate(self, space: str, member: Member, event_id: int, rating: int) -> Event:
        """Store a rating from the day-after follow-up; only members who were asked may answer."""
        event = await self.events.by_id(space, event_id)
        if rating not in RATINGS:
            raise UserError("action.malformed")
        if "day" not in await self.store.asked_steps(event.id, member.key):
            raise UserError("schedule.followup.not_asked", ref=event.ref)
        await self.store.save_feedback(event.id, space, member.key, "day", rating, None, self.clock.now())
        return event

    async def answer(self, space: str, member: Member, ref: str | int, text: str) -> tuple[Event, Step]:
        """Store a written answer to the latest follow-up this member received for the event."""
        event = await self.events.get(space, ref)
        asked = await self.store.asked_steps(event.id, member.key)
        if not asked:
            raise UserError("schedule.followup.not_asked", ref=event.ref)
        step: Step = "month" if "month" in asked else "day"
        text = text.strip()
        if not text:
            raise UserError("schedule.text_empty", field="text")
        await self.store.save_feedback(event.id, space, member.key, step, None, text[:TEXT_MAX], self.clock.now())
        return event, step

    async def answer_step(self, space: str, member: Member, event_id: int) -> tuple[Event, Step]:
        """The event and the follow-up step a member's written answer would go to."""
        event = await self.events.by_id(space, event_id)
        asked = await self.store.asked_steps(event.id, member.key)
        if not asked:
            raise UserError("schedule.followup.not_asked", ref=event.ref)
        return event, "month" if "month" in asked else "day"

    async def feedback(self, space: str, ref: str | int, by: Member | None) -> tuple[Event, FeedbackSummary, list[FeedbackRow]]:
        """Aggregates and rows of an event's follow-up answers (staff)."""
        EventService.require_staff(by)
        event = await self.events.get(space, ref)
        rows = await self.store.feedback(event.id)
        summary = FeedbackSummary(
            asked=await self.store.asked_count(event.id),
            answered=len({row.member for row in rows}),
            ratings=tuple(row.rating for row in rows if row.rating is not None),
            texts=tuple((row.step, row.name, row.text) for row in rows if row.text),
        )
        return event, summary, rows

    async def feedback_csv(self, space: str, ref: str | int, by: Member | None) -> tuple[Event, str]:
        """The follow-up answers as CSV (staff)."""
        event, _summary, rows = await self.feedback(space, ref, by)
        header = ("name", "member", "step", "rating", "text", "answered_at")
        lines = [(r.name, r.member, r.step, r.rating or "", r.text,
                  r.answered_at.astimezone(event.tz).isoformat(timespec="minutes")) for r in rows]  # fmt: skip
        return event, to_csv([[header, *lines]])

"""The schedule's services: planning an event's messages and letting staff steer them (`ScheduleService`),
sending what falls due (`Sender`), and follow-up answers (`Followups`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.exports import COMMA, to_csv
from bot.core.livecards import LiveCards
from bot.core.metrics import Metrics
from bot.core.model import Member, platform_of
from bot.core.pacing import Pacer
from bot.core.ports import ReadyDelivery
from bot.core.refs import parse_ref
from bot.core.spaces import SpaceDirectory
from bot.features.events.domain import Event, EventService, Signup
from bot.features.polls.domain import Poll, PollDraft, PollService, Tally
from bot.features.schedule.domain import (
    CHANNEL,
    RATINGS,
    STEP_OF,
    TEXT_MAX,
    EventPlan,
    FeedbackRow,
    FeedbackSummary,
    Kind,
    Scheduled,
    Step,
    Target,
    before,
    event_steps,
    parse_offsets,
    receives,
)
from bot.features.schedule.followup_setup import FollowupSetups
from bot.features.schedule.payload import draft_payload, payload_draft
from bot.features.schedule.store import ScheduleStore
from bot.ui import Card, Reply

log = logging.getLogger(__name__)

WORKERS = 8  # sends in flight per fan-out; the pacer sets the rate
CHUNK_SECONDS = 2.0  # a claim covers about this long of a platform's sends
CHUNK_MAX = 100  # recipients claimed per write at most
PLAN_CHUNK = 200  # events planned per write at start

# How many may receive a message, and the target at a position (None: that one does not receive it).
Recipients = tuple[int, Callable[[int], Target | None]]


class Presenter(Protocol):
    """How scheduled messages read, in a language: the views implement it, the service only decides."""

    def reminder(self, event: Event, signup: Signup, locale: str) -> Reply:
        """A reminder for one member."""
        ...

    def reminder_head(self, event: Event, locale: str) -> Reply:
        """A reminder's first line alone (a preview when nobody is signed up yet)."""
        ...

    def followup(self, event: Event, step: Step, locale: str, question: str | None = None) -> Reply:
        """A follow-up question: staff's own `question`, or the default one."""
        ...

    def poll(self, poll: Poll, tally: Tally, locale: str, tz: ZoneInfo, now: datetime) -> Card:
        """A scheduled poll's card, as it opens."""
        ...


class ScheduleService:
    """Plans an event's messages and lets staff steer everything the bot sends on its own."""

    def __init__(
        self,
        store: ScheduleStore,
        events: EventService,
        clock: Clock,
        spaces: SpaceDirectory,
        wake_at: Callable[[datetime], None],
        presenter: Presenter,
        setups: FollowupSetups,
    ) -> None:
        self.store = store
        self.events = events
        self.clock = clock
        self.spaces = spaces
        self.wake_at = wake_at
        self.presenter = presenter
        self.setups = setups

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

    async def set_offsets(
        self, space: str, ref: str | int, by: Member, text: str
    ) -> tuple[Event, tuple[timedelta, ...]]:
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

    async def plan_missing(self) -> None:
        """At start: plan the events that have no plan yet (created while the schedule did not exist).

        PLAN_CHUNK events per write: thousands of them (a first start on an old database) are
        planned in a few dozen transactions rather than one each.
        """
        missing = await self.store.unplanned_events(self.clock.now())
        for start in range(0, len(missing), PLAN_CHUNK):
            now = self.clock.now()
            found = [await self.events.lookup(event_id) for event_id in missing[start : start + PLAN_CHUNK]]
            events = [event for event in found if event is not None and event.cancelled_at is None]
            offsets = {space: self.offsets(space) for space in {event.space for event in events}}
            plans = [EventPlan(event.space, event.id, event.author, event_steps(event, offsets[event.space], now))
                     for event in events]  # fmt: skip
            for moment in await self.store.plan_many(plans, now):
                self.wake_at(moment)

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

    async def sample(self, message: Scheduled, locale: str) -> tuple[Reply, int]:
        """What one recipient would receive (the first of them for event messages), and how many would."""
        if message.kind == "post":
            return Reply(text=message.payload), 1
        if message.kind == "poll":
            draft = payload_draft(message.payload)
            return Reply(text=f"{draft.question}\n" + "\n".join(f"• {option}" for option in draft.options)), 1
        event = await self.events.by_id(message.space, message.event_id or 0)
        if message.kind != "reminder":
            setup = await self.setups.of(event)
            step = STEP_OF[message.kind]
            return self.presenter.followup(event, step, locale, setup.text(step)), len(
                await self.setups.recipients(event, setup))  # fmt: skip
        recipients = [s for s in await self.events.signups(event) if receives(message.kind, s)]
        if not recipients:
            return self.presenter.reminder_head(event, locale), 0
        return self.presenter.reminder(event, recipients[0], locale), len(recipients)


class Sender:
    """Sends what falls due, each message to each recipient at most once, paced per platform."""

    def __init__(
        self,
        store: ScheduleStore,
        events: EventService,
        polls: PollService,
        cards: LiveCards,
        delivery: ReadyDelivery,
        clock: Clock,
        spaces: SpaceDirectory,
        pacer: Pacer,
        presenter: Presenter,
        setups: FollowupSetups,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.events = events
        self.setups = setups
        self.polls = polls
        self.metrics = metrics or Metrics()
        self.cards = cards
        self.delivery = delivery
        self.clock = clock
        self.spaces = spaces
        self.pacer = pacer
        self.presenter = presenter
        self._active: dict[int, asyncio.Future[None]] = {}
        self._stopping = False
        self._pacing: set[asyncio.Task[object]] = set()  # send workers waiting for the pacer: a stop cuts that short

    async def recover(self) -> None:
        """At start: deliveries a stop cut off become 'unsure' (never re-sent); their authors' notices are queued."""
        for message, names in await self.store.mark_unsure(self.clock.now()):
            self.metrics.count("scheduled_sends", message.space, message.kind, "unsure", amount=len(names))
            log.warning("unsure deliveries message=%s count=%d (never re-sent)", message.id, len(names))

    async def pending_times(self) -> list[datetime]:
        """Instants at which scheduled messages fall due (to schedule wake-ups)."""
        return await self.store.next_due_times()

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
        """Take no new recipients, stop waiting for the pacer, and wait for the sends in flight."""
        self._stopping = True
        for waiting in self._pacing:
            waiting.cancel()
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
            await self._fan_out(message, await self._recipients(message))
            if not self._stopping:  # cut off, it stays 'running': the next start finishes it, then reports
                await self.store.complete(message.id, self.clock.now())
        finally:
            self._active.pop(message.id, None)

    async def _verdict(self, message: Scheduled) -> str | None:
        """'dropped' or 'cancelled' when the message no longer makes sense; None to send it."""
        now = self.clock.now()
        if message.event_id is not None:
            event = await self.events.lookup(message.event_id)
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

    async def _recipients(self, message: Scheduled) -> Recipients:
        """Who may receive a message now: their number, and each one's target, built as the fan-out reaches them."""
        if message.kind == "post":
            reply = Reply(text=message.payload, public=True)
            return 1, lambda _: Target(CHANNEL + message.channel, message.channel, lambda: self._post(message, reply))
        if message.kind == "poll":
            return 1, lambda _: Target(CHANNEL + message.channel, message.channel, lambda: self._open_poll(message))
        assert message.event_id is not None
        event = await self.events.by_id(message.space, message.event_id)
        locale = self.spaces(event.space).locale
        if message.kind == "reminder":
            signups = await self.events.signups(event)

            def reminder(position: int) -> Target | None:
                """The member signed up at `position`, unless reminders do not reach them."""
                signup = signups[position]
                if not receives("reminder", signup):
                    return None
                # Rendered as it is sent (about 0.2 ms a member): rendering a crowd's reminders at once
                # would hold the loop for as long as the audience is large.
                render = partial(self.presenter.reminder, event, signup, locale)
                return self._private(event, signup.member, signup.name, render)

            return len(signups), reminder
        setup, step = await self.setups.of(event), STEP_OF[message.kind]
        reply = self.presenter.followup(event, step, locale, setup.text(step))
        recipients = await self.setups.recipients(event, setup)

        def followup(position: int) -> Target:
            """The follow-up's recipient at `position`."""
            return self._private(event, recipients[position].member, recipients[position].name, lambda: reply)

        return len(recipients), followup

    def _private(self, event: Event, member: str, name: str, render: Callable[[], Reply]) -> Target:
        """A target reached by a private message, rendered when it is sent."""
        return Target(member, name, lambda: self.delivery.send_private(event.space, member, render()))

    async def _post(self, message: Scheduled, reply: Reply) -> bool:
        """Post in the message's channel."""
        return await self.delivery.post(message.space, message.channel, reply) is not None

    async def _open_poll(self, message: Scheduled) -> bool:
        """Open a scheduled poll in its channel, its card tracked live."""
        author = Member(message.author, message.author, is_staff=True)
        poll = await self.polls.create(message.space, message.channel, author, payload_draft(message.payload))
        space = self.spaces(message.space)
        card = self.presenter.poll(poll, Tally((0,) * len(poll.options), 0), space.locale, space.tz, self.clock.now())
        ref = await self.delivery.post(
            message.space, message.channel, Reply(card=card, public=True, subject=poll.subject)
        )
        if ref is not None:
            await self.cards.attach(poll.subject, ref)
        return ref is not None

    def chunk_size(self, space: str) -> int:
        """Recipients claimed per write: about two seconds of the platform's rate, never fewer than are sent at once.

        A process killed mid-chunk leaves that many deliveries unsure; an unpaced platform (the
        console) claims only as many as are in flight.
        """
        rate = self.pacer.per_second(platform_of(space))
        return WORKERS if rate is None else max(WORKERS, min(CHUNK_MAX, int(rate * CHUNK_SECONDS)))

    async def _fan_out(self, message: Scheduled, recipients: Recipients) -> None:
        """Send to each target not yet claimed, chunk by chunk: claims committed before the sends, outcomes after.

        Targets are built a chunk at a time, so no turn of the loop does work that grows with the audience.
        """
        count, target = recipients
        claimed = await self.store.claimed(message.id)
        size = self.chunk_size(message.space)
        for start in range(0, count, size):
            if self._stopping:
                return
            found = (target(position) for position in range(start, min(count, start + size)))
            chunk = [t for t in found if t is not None and t.key not in claimed]
            if not chunk:
                await asyncio.sleep(0)  # after a restart, the chunks already sent are passed over a turn at a time
                continue
            won = set(await self.store.claim_many(
                message.id, message.space, [(t.key, t.name) for t in chunk], self.clock.now()))  # fmt: skip
            await self._send_chunk(message, [t for t in chunk if t.key in won])

    async def _paced(self, space: str) -> None:
        """Wait for the pacer's leave to send; a stop ends the wait at once (the caller then sends nothing).

        Workers queue on the platform's pacer one after another: at a slow rate, waiting for each to get
        its turn before stopping would take seconds.
        """
        task = asyncio.current_task()
        assert task is not None
        self._pacing.add(task)
        try:
            await self.pacer.acquire(space)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
        finally:
            self._pacing.discard(task)

    async def _send_chunk(self, message: Scheduled, chunk: Sequence[Target]) -> None:
        """Send to claimed targets, paced; record every outcome in one write, releasing the claims never sent."""
        outcomes: dict[str, str] = {}
        queue = iter(chunk)

        async def worker() -> None:
            for target in queue:
                if not self._stopping:
                    await self._paced(message.space)
                if self._stopping:
                    return  # claimed but never sent: released below, sent after the restart
                try:
                    sent = await target.send()
                except Exception:
                    log.exception("scheduled send failed message=%s", message.id)
                    sent = False
                outcomes[target.key] = "sent" if sent else "failed"
                self.metrics.count("scheduled_sends", message.space, message.kind, outcomes[target.key])

        await asyncio.gather(*(worker() for _ in range(min(WORKERS, len(chunk)))))
        released = [target.key for target in chunk if target.key not in outcomes]
        await self.store.finish_many(message.id, outcomes, released, self.clock.now())


class Followups:
    """Answers to the follow-up questions, and what staff see of them."""

    def __init__(self, store: ScheduleStore, events: EventService, clock: Clock) -> None:
        self.store = store
        self.events = events
        self.clock = clock

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

    async def feedback(
        self, space: str, ref: str | int, by: Member | None
    ) -> tuple[Event, FeedbackSummary, list[FeedbackRow]]:
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

    async def feedback_csv(self, space: str, ref: str | int, by: Member | None, sep: str = COMMA) -> tuple[Event, str]:
        """The follow-up answers as CSV (staff); columns split by `sep`."""
        event, _summary, rows = await self.feedback(space, ref, by)
        header = ("name", "member", "step", "rating", "text", "answered_at")
        lines = [(r.name, r.member, r.step, r.rating or "", r.text,
                  r.answered_at.astimezone(event.tz).isoformat(timespec="minutes")) for r in rows]  # fmt: skip
        return event, to_csv([[header, *lines]], sep)


@dataclass(frozen=True)
class Schedule:
    """The schedule feature's public face: planning and staff control, sending, follow-up answers."""

    plans: ScheduleService
    sender: Sender
    followups: Followups

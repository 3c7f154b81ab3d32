"""The /event commands and the sign-up clicks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from bot.commands.context import Context
from bot.commands.exports import SEP, csv_reply, export_separator
from bot.commands.registry import Kind, Option, action, command, references
from bot.core.errors import UserError
from bot.core.livecards import LiveCards
from bot.core.text import ascii_number
from bot.core.when import format_when, is_time_only, parse_when
from bot.features.events.domain import (
    TEXT_MAX,
    TITLE_MAX,
    Antenna,
    Change,
    Event,
    EventDraft,
    EventService,
    Mode,
    Session,
    Signup,
    SignupRequest,
)
from bot.features.events.views import (
    ANTENNA,
    CONFIRM,
    ICS,
    JOIN,
    LEAVE,
    PRESENT,
    SESSION,
    attendees_card,
    event_card,
    list_card,
    status_text,
    when,
)
from bot.ui import Attachment, Card, Reply

EVENT = Option("event", Kind.REF, required=True, positional=True, refers="event")


@dataclass(frozen=True)
class EventDeps:
    """What the event handlers use."""

    events: EventService
    cards: LiveCards


UNLIMITED = {"unlimited", "illimité", "illimite", "∞", "none", "aucune"}
CAPACITY_MAX = 100_000
DEADLINE_TIME = time(23, 59)
DETAILS = (
    Option("description", Kind.PARAGRAPH, max_length=TEXT_MAX, in_form=False),
    Option("venue", Kind.TEXT, max_length=TEXT_MAX, in_form=False),
    Option("link", Kind.TEXT, max_length=TEXT_MAX, in_form=False),
    Option("deadline", Kind.TEXT, in_form=False),  # a day alone means its end: parsed with DEADLINE_TIME
    Option("price", Kind.TEXT, max_length=TEXT_MAX, in_form=False),
    Option("question", Kind.TEXT, max_length=TEXT_MAX, in_form=False),
    Option("confirm_hours", Kind.INT, min_value=1, max_value=24 * 14, in_form=False),
)
DRAFT_NAMES = {"description": "description", "venue": "venue", "link": "online_link", "deadline": "deadline",
               "price": "price", "question": "question", "confirm_hours": "confirm_hours"}  # fmt: skip


def after(
    ctx: Context[EventDeps], text: str, anchor: datetime, field: str, default_time: time | None = None
) -> datetime:
    """A date that must come after `anchor`; only a bare time ("17h") may mean the first one after it."""
    tz, locale = ctx.settings.tz, ctx.locale
    try:
        moment = parse_when(text, now=ctx.now(), tz=tz, locale=locale, default_time=default_time)
        if moment > anchor:
            return moment
        if not is_time_only(text):  # "demain 9h" before a start "demain 10h" is a mistake, not the day after
            raise UserError("event.end_before_start", field=field)
        return parse_when(text, now=anchor, tz=tz, locale=locale, default_time=default_time)
    except UserError as error:
        raise UserError(error.key, field=field, **error.params) from None


def rolled_over(ctx: Context, text: str | None, start: datetime, end: datetime) -> str:
    """A note when a bare end time fell on a later day than the start, so a misread end is seen at once."""
    tz = ctx.settings.tz
    if text is None or not is_time_only(text) or end.astimezone(tz).date() <= start.astimezone(tz).date():
        return ""
    return "\n" + ctx._("when.next_day", time=text.strip(), when=format_when(end, tz=tz, locale=ctx.locale))


def capacity(text: str | None, field: str) -> int | None:
    """A number of places, or None for "unlimited"."""
    raw = (text or "").strip().casefold()
    if raw in UNLIMITED:
        return None
    number = ascii_number(raw, maximum=CAPACITY_MAX)
    if number is None:
        raise UserError("event.bad_capacity", field=field, value=text, max=CAPACITY_MAX)
    return number


def details(ctx: Context[EventDeps], values: dict[str, Any]) -> dict[str, Any]:
    """The draft fields named by the optional detail options that were given."""
    found = {DRAFT_NAMES[name]: value for name, value in values.items() if name in DRAFT_NAMES}
    if "deadline" in found:
        found["deadline"] = after(ctx, found["deadline"], ctx.now(), "deadline", DEADLINE_TIME)
    return found


async def card_for(ctx: Context[EventDeps], event: Event) -> Card:
    """The event's card in the reader's language."""
    return event_card(event, await ctx.deps.events.counts(event), ctx._, ctx.now())


def echo(ctx: Context[EventDeps], event: Event) -> str:
    """The parsed dates said back, with their zone, so a misread date is seen at once."""
    return ctx._("event.created", ref=event.ref, start=when(event.starts_at, event, ctx._),
                 end=when(event.ends_at, event, ctx._))  # fmt: skip


@command(
    "event",
    "create",
    Option("title", Kind.TEXT, required=True, positional=True, max_length=TITLE_MAX),
    Option("start", Kind.WHEN, required=True),
    Option("end", Kind.TEXT, required=True),
    Option("onsite", Kind.INT, min_value=0, max_value=CAPACITY_MAX),
    Option("remote", Kind.TEXT),
    *DETAILS,
    permission="staff",
    form=True,
)
async def create(
    ctx: Context[EventDeps],
    title: str,
    start: datetime,
    end: str,
    onsite: int = 0,
    remote: str | None = None,
    **more: Any,
) -> Reply:
    """Create an event and post its sign-up card here."""
    draft = EventDraft(title=title, starts_at=start, ends_at=after(ctx, end, start, "end"), onsite_capacity=onsite,
                       remote_capacity=capacity(remote, "remote") if remote else None, **details(ctx, more))  # fmt: skip
    event = await ctx.deps.events.create(ctx.space, ctx.channel, ctx.member, draft)
    everyone = ctx.for_everyone()
    text = echo(everyone, event) + rolled_over(everyone, end, event.starts_at, event.ends_at)
    return Reply(text=text, card=await card_for(everyone, event), public=True, subject=event.subject)


@command(
    "event",
    "edit",
    EVENT,
    Option("title", Kind.TEXT, max_length=TITLE_MAX),
    Option("start", Kind.WHEN),
    Option("end", Kind.TEXT),
    Option("onsite", Kind.INT, min_value=0, max_value=CAPACITY_MAX),
    Option("remote", Kind.TEXT),
    *DETAILS,
    permission="staff",
)
async def edit(ctx: Context[EventDeps], event: str, **values: Any) -> Reply:
    """Change an event's details; its cards follow."""
    current = await ctx.deps.events.get(ctx.space, event)
    changes = details(ctx, values)
    if "title" in values:
        changes["title"] = values["title"]
    if "start" in values:
        changes["starts_at"] = values["start"]
    if "end" in values:
        changes["ends_at"] = after(ctx, values["end"], changes.get("starts_at", current.starts_at), "end")
    if "onsite" in values:
        changes["onsite_capacity"] = values["onsite"]
    if "remote" in values:
        changes["remote_capacity"] = capacity(values["remote"], "remote")
    if not changes:
        raise UserError("event.nothing_to_edit")
    updated = await ctx.deps.events.edit(ctx.space, current.ref, ctx.member, changes)
    text = echo(ctx, updated) + rolled_over(ctx, values.get("end"), updated.starts_at, updated.ends_at)
    return Reply(text=text, card=await card_for(ctx, updated))


@command("event", "cancel", EVENT, permission="staff")
async def cancel(ctx: Context[EventDeps], event: str) -> Reply:
    """Cancel an event: sign-ups stop and everyone signed up is told."""
    cancelled, told = await ctx.deps.events.cancel(ctx.space, event, ctx.member)
    await ctx.deps.cards.flush_now(cancelled.subject)
    return Reply(
        text=ctx.for_everyone()._("event.cancel.done", ref=cancelled.ref, title=cancelled.title, count=told),
        public=True,
    )


@command(
    "event",
    "signup",
    EVENT,
    Option("mode", Kind.CHOICE, choices=("onsite", "remote")),
    Option("antenna", Kind.TEXT),
    Option("answer", Kind.TEXT, max_length=TEXT_MAX),
)
async def signup(
    ctx: Context[EventDeps], event: str, mode: str | None = None, antenna: str | None = None, answer: str | None = None
) -> Reply:
    """Sign up on site or remotely (from an antenna), change how you attend, or answer the organisers' question."""
    found = await ctx.deps.events.get(ctx.space, event)
    antenna_id = (await ctx.deps.events.find_antenna(ctx.space, antenna)).id if antenna else None
    if mode is None and antenna_id is None and answer is None:
        raise UserError("event.mode_needed", field="mode")
    if mode is None and antenna_id is not None:
        mode = "remote"  # an antenna is followed from afar
    request = SignupRequest(mode, antenna_id, answer)  # type: ignore[arg-type]  # a CHOICE option: one of MODES
    return await _joined(ctx, await ctx.deps.events.join(ctx.space, ctx.member, found.id, request))


async def _joined(ctx: Context[EventDeps], change: Change) -> Reply:
    """Where the member stands after signing up, and the organisers' question if unanswered."""
    text = status_text(change.event, change.signup, ctx._)
    if change.event.question and change.signup is not None and not change.signup.answer:
        text += "\n" + ctx._("event.question", question=change.event.question, ref=change.event.ref)
    return Reply(text=text)


@command("event", "withdraw", EVENT)
async def withdraw(ctx: Context[EventDeps], event: str) -> Reply:
    """Give up your place or leave the waitlist."""
    found = await ctx.deps.events.get(ctx.space, event)
    change = await ctx.deps.events.withdraw(ctx.space, ctx.member, found.id)
    return Reply(text=ctx._("event.withdrawn", ref=change.event.ref, title=change.event.title))


@command("event", "confirm", EVENT)
async def confirm(ctx: Context[EventDeps], event: str) -> Reply:
    """Accept a place offered to you after someone withdrew."""
    found = await ctx.deps.events.get(ctx.space, event)
    change = await ctx.deps.events.confirm(ctx.space, ctx.member, found.id)
    return Reply(text=status_text(change.event, change.signup, ctx._))


@command("event", "choose", EVENT, Option("session", Kind.INT, required=True, positional=True, min_value=1))
async def choose(ctx: Context[EventDeps], event: str, session: int) -> Reply:
    """Choose a workshop, or drop it if already chosen."""
    found = await ctx.deps.events.get(ctx.space, event)
    return _chosen(ctx, await ctx.deps.events.choose_session(ctx.space, ctx.member, found.id, session))


def _chosen(ctx: Context[EventDeps], change: Change) -> Reply:
    """What became of a workshop choice."""
    assert change.session is not None
    key = {"confirmed": "event.session.confirmed", "waitlisted": "event.session.waitlisted"}.get(
        change.session_status or "", "event.session.dropped"
    )
    return Reply(text=ctx._(key, title=change.session.title))


@command("event", "info", EVENT)
async def info(ctx: Context[EventDeps], event: str) -> Reply:
    """An event's card and where you stand."""
    found = await ctx.deps.events.get(ctx.space, event)
    mine = await ctx.deps.events.signup_of(found, ctx.member)
    return Reply(text=status_text(found, mine, ctx._), card=await card_for(ctx, found))


@command("event", "list")
async def list_upcoming(ctx: Context[EventDeps]) -> Reply:
    """Upcoming events of this space."""
    events = await ctx.deps.events.upcoming(ctx.space)
    if not events:
        return Reply(text=ctx._("event.list.empty"))
    return Reply(card=list_card(events, ctx._))


@command("event", "mine")
async def mine(ctx: Context[EventDeps]) -> Reply:
    """The events you are signed up for."""
    found = await ctx.deps.events.mine(ctx.space, ctx.member)
    if not found:
        return Reply(text=ctx._("event.mine.empty"))
    return Reply(text="\n\n".join(status_text(event, signup, ctx._) for event, signup in found))


@command("event", "attendees", EVENT, permission="staff")
async def attendees(ctx: Context[EventDeps], event: str) -> Reply:
    """Counts by mode, antenna and workshop, and the waitlists (staff)."""
    found, counts, signups = await ctx.deps.events.attendees(ctx.space, event, ctx.member)
    attendance = await ctx.deps.events.attendance(found)
    return Reply(card=attendees_card(found, counts, signups, ctx._, attendance, ctx.now()))


@command("event", "checkin", EVENT)
async def checkin(ctx: Context[EventDeps], event: str) -> Reply:
    """Say you are here, on site, from an hour before the start to the end (a second time changes nothing)."""
    found, at, fresh = await ctx.deps.events.check_in(ctx.space, event, ctx.member)
    key = "event.checkin.done" if fresh else "event.checkin.already"
    return Reply(text=ctx._(key, ref=found.ref, title=found.title, at=when(at, found, ctx._)))


@command(
    "event",
    "present",
    EVENT,
    Option("member", Kind.TEXT, required=True, positional=True, max_length=200),
    Option("undo", Kind.FLAG),
    permission="staff",
)
async def present(ctx: Context[EventDeps], event: str, member: str, undo: bool = False) -> Reply:
    """Mark a member signed up as present on site, or --undo a mistake (staff)."""
    found = await ctx.deps.events.get(ctx.space, event)
    marked = await ctx.deps.events.mark_present(ctx.space, found.id, ctx.member, member, present=not undo)
    return _marked(ctx, *marked, undo=undo)


MARKED = {(False, True): "event.present.done", (False, False): "event.present.already",
          (True, True): "event.present.undone", (True, False): "event.present.not_marked"}  # fmt: skip


def _marked(ctx: Context[EventDeps], found: Event, signup: Signup, changed: bool, undo: bool = False) -> Reply:
    """What staff marking someone present (or taking it back) did."""
    return Reply(text=ctx._(MARKED[undo, changed], ref=found.ref, name=signup.name))


@command("event", "export", EVENT, SEP, permission="staff")
async def export(ctx: Context[EventDeps], event: str, sep: str | None = None) -> Reply:
    """The attendee list as a CSV file (staff)."""
    chosen = export_separator(ctx, sep)
    found, content = await ctx.deps.events.export_csv(ctx.space, event, ctx.member, chosen)
    done = ctx._("event.export.done", ref=found.ref)
    return csv_reply(ctx, done, f"event-{found.ref}-attendees.csv", content, chosen)


@command("event", "ics", EVENT)
async def ics(ctx: Context[EventDeps], event: str) -> Reply:
    """The event as a calendar file."""
    return await _ics_reply(ctx, await ctx.deps.events.get(ctx.space, event))


async def _ics_reply(ctx: Context[EventDeps], event: Event) -> Reply:
    """A calendar file reply for `event`."""
    content = await ctx.deps.events.ics(event, ctx.member)
    attachment = Attachment(f"event-{event.ref}.ics", content, "text/calendar")
    return Reply(text=ctx._("event.ics.done", ref=event.ref, title=event.title), files=(attachment,))


@command(
    "event",
    "antenna",
    Option("name", Kind.TEXT, required=True, positional=True),
    Option("region", Kind.TEXT, max_length=TEXT_MAX),
    Option("host", Kind.TEXT, max_length=TEXT_MAX),
    Option("channel", Kind.TEXT, max_length=TEXT_MAX),
    permission="staff",
)
async def antenna(ctx: Context[EventDeps], name: str, region: str = "", host: str = "", channel: str = "") -> Reply:
    """Define a regional antenna that remote members may follow events from (staff)."""
    added = await ctx.deps.events.add_antenna(ctx.space, ctx.member, Antenna(0, ctx.space, name, region, host, channel))
    return Reply(text=ctx._("event.antenna.added", name=added.name))


@command(
    "event",
    "workshop",
    EVENT,
    Option("title", Kind.TEXT, required=True, positional=True, max_length=TITLE_MAX),
    Option("start", Kind.TEXT, required=True),
    Option("end", Kind.TEXT, required=True),
    Option("room", Kind.TEXT, max_length=TEXT_MAX),
    Option("capacity", Kind.INT, min_value=1, max_value=CAPACITY_MAX),
    permission="staff",
)
async def workshop(
    ctx: Context[EventDeps], event: str, title: str, start: str, end: str, room: str = "", capacity: int | None = None
) -> Reply:
    """Add a workshop (atelier) to an event (staff); "10h" means 10:00 on the event's day."""
    found = await ctx.deps.events.get(ctx.space, event)
    # Anchored a second before the start, so a workshop may begin exactly when the event does.
    begins = after(ctx, start, found.starts_at - timedelta(seconds=1), "start")
    draft = Session(0, found.id, 0, title, begins, after(ctx, end, begins, "end"), room, capacity)
    found, added = await ctx.deps.events.add_session(ctx.space, found.ref, ctx.member, draft)
    return Reply(text=ctx._("event.session.added", ref=found.ref, number=added.number, title=added.title,
                            start=when(added.starts_at, found, ctx._), end=when(added.ends_at, found, ctx._)))  # fmt: skip


@action(JOIN)
async def join_click(ctx: Context[EventDeps], event_id: int, mode: Mode, antenna_id: int | None) -> Reply:
    """A click on "Sur place", "À distance" or an antenna."""
    request = SignupRequest(mode, antenna_id)
    return await _joined(ctx, await ctx.deps.events.join(ctx.space, ctx.member, event_id, request))


@action(ANTENNA)
async def antenna_pick(ctx: Context[EventDeps], event_id: int, antenna_id: int) -> Reply:
    """An antenna chosen from the menu: remote attendance from there."""
    request = SignupRequest("remote", antenna_id)
    return await _joined(ctx, await ctx.deps.events.join(ctx.space, ctx.member, event_id, request))


@action(LEAVE)
async def leave_click(ctx: Context[EventDeps], event_id: int) -> Reply:
    """A click on withdraw (or on declining an offered place)."""
    change = await ctx.deps.events.withdraw(ctx.space, ctx.member, event_id)
    return Reply(text=ctx._("event.withdrawn", ref=change.event.ref, title=change.event.title))


@action(CONFIRM)
async def confirm_click(ctx: Context[EventDeps], event_id: int) -> Reply:
    """A click on "confirm my place" in the offer message."""
    change = await ctx.deps.events.confirm(ctx.space, ctx.member, event_id)
    return Reply(text=status_text(change.event, change.signup, ctx._))


@action(SESSION)
async def session_pick(ctx: Context[EventDeps], event_id: int, number: int) -> Reply:
    """A workshop chosen from the menu (chosen again: dropped)."""
    change = await ctx.deps.events.choose_session(ctx.space, ctx.member, event_id, number)
    return _chosen(ctx, change)


@action(PRESENT)
async def present_pick(ctx: Context[EventDeps], event_id: int, seq: int) -> Reply:
    """A member chosen in the attendee list's menu: present on site (staff only, checked by the service)."""
    return _marked(ctx, *await ctx.deps.events.mark_present(ctx.space, event_id, ctx.member, seq))


@action(ICS)
async def ics_click(ctx: Context[EventDeps], event_id: int) -> Reply:
    """A click on "add to my calendar"."""
    return await _ics_reply(ctx, await ctx.deps.events.by_id(ctx.space, event_id))


@references("event")
async def upcoming_event_refs(ctx: Context[EventDeps]) -> list[tuple[int, str]]:
    """The upcoming events of this space, for autocomplete."""
    return [(event.ref, f"#{event.ref} {event.title}") for event in await ctx.deps.events.upcoming(ctx.space)]

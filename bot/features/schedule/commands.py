"""The /schedule commands, per-event reminders, follow-up answers and the feedback staff see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.commands.context import Context
from bot.commands.exports import SEP, csv_reply, export_separator
from bot.commands.registry import Kind, Option, action, command, references
from bot.features.events.domain import TEXT_MAX, EventService
from bot.features.polls.domain import OPTIONS_MAX, QUESTION_MAX, check_draft
from bot.features.schedule.domain import (
    AUDIENCES,
    FOLLOWUP_MAX,
    RATINGS,
    Audience,
    FeedbackSummary,
    Scheduled,
    Step,
)
from bot.features.schedule.followup_setup import RESETS, FollowupSetups
from bot.features.schedule.payload import payload_draft
from bot.features.schedule.service import Followups, ScheduleService
from bot.features.schedule.views import ANSWER, RATE, followups_card
from bot.i18n import Translator
from bot.ui import Card, Field, Modal, Reply, ResultBar, TextInput, moment

REF = Option("ref", Kind.REF, required=True, positional=True, refers="scheduled")
EVENT = Option("event", Kind.REF, required=True, positional=True, refers="event")
POST_MAX = 3000


@dataclass(frozen=True)
class ScheduleDeps:
    """What the schedule handlers use: planning and staff control, follow-up answers, and events."""

    schedule: ScheduleService
    followups: Followups
    events: EventService
    setups: FollowupSetups


def offset_text(offset: timedelta, _: Translator) -> str:
    """ "7 j", "1 h", "1 j 2 h 30 min": an offset in the reader's language."""
    days, rest = divmod(offset, timedelta(days=1))
    hours, rest = divmod(rest, timedelta(hours=1))
    minutes = rest // timedelta(minutes=1)
    parts = [
        _(f"schedule.unit.{unit}", count=value) for unit, value in (("d", days), ("h", hours), ("m", minutes)) if value
    ]
    return " ".join(parts) or _("schedule.unit.m", count=0)


async def describe(ctx: Context[ScheduleDeps], message: Scheduled) -> str:
    """One line of /schedule list: reference, what, when, about what."""
    what = _reminder_label(ctx, message) if message.kind == "reminder" else ctx._(f"schedule.kind.{message.kind}")
    if message.event_id is not None:
        event = await ctx.deps.events.by_id(ctx.space, message.event_id)
        about = f"#{event.ref} {event.title}"
    else:
        about = message.payload.splitlines()[0] if message.kind == "post" else payload_draft(message.payload).question
        about = about[:60]
    due = moment(message.due_at, ctx.settings.tz, ctx.locale)
    key = "schedule.list.item_running" if message.status == "running" else "schedule.list.item"
    return ctx._(key, ref=message.ref, what=what, when=due, about=about)


def _reminder_label(ctx: Context[ScheduleDeps], message: Scheduled) -> str:
    """ "Rappel (7 j avant)"."""
    return ctx._("schedule.kind.reminder", offset=offset_text(message.offset, ctx._))


@command("schedule", "list", permission="staff")
async def list_pending(ctx: Context[ScheduleDeps]) -> Reply:
    """What the bot will send on its own, soonest first (staff)."""
    messages = await ctx.deps.schedule.upcoming(ctx.space)
    if not messages:
        return Reply(text=ctx._("schedule.list.empty"))
    lines = [await describe(ctx, message) for message in messages[:25]]
    more = len(messages) - len(lines)
    if more > 0:
        lines.append(ctx._("schedule.list.more", count=more))
    return Reply(card=Card(title=ctx._("schedule.list.title", count=len(messages)), text=("\n".join(lines),)))


@command("schedule", "preview", REF, permission="staff")
async def preview(ctx: Context[ScheduleDeps], ref: str) -> Reply:
    """Exactly what one recipient would get, and how many would get it (staff)."""
    message = await ctx.deps.schedule.get(ctx.space, ref)
    sample, count = await ctx.deps.schedule.sample(message, ctx.locale)
    head = ctx._("schedule.preview.head", line=await describe(ctx, message), count=count)
    return Reply(text="\n".join(filter(None, (head, sample.text))), card=sample.card)


@command("schedule", "reschedule", REF, Option("when", Kind.WHEN, required=True, positional=True), permission="staff")
async def reschedule(ctx: Context[ScheduleDeps], ref: str, when: datetime) -> Reply:
    """Move a message not yet sent (staff)."""
    moved = await ctx.deps.schedule.reschedule(ctx.space, ref, ctx.member, when)
    return Reply(text=ctx._("schedule.rescheduled", line=await describe(ctx, moved)))


@command("schedule", "cancel", REF, permission="staff")
async def cancel(ctx: Context[ScheduleDeps], ref: str) -> Reply:
    """Cancel a message not yet sent (staff)."""
    message = await ctx.deps.schedule.cancel(ctx.space, ref, ctx.member)
    return Reply(text=ctx._("schedule.cancelled", line=await describe(ctx, message)))


@command(
    "schedule",
    "post",
    Option("text", Kind.PARAGRAPH, required=True, positional=True, max_length=POST_MAX),
    Option("at", Kind.WHEN, required=True),
    permission="staff",
    form=True,
)
async def post(ctx: Context[ScheduleDeps], text: str, at: datetime) -> Reply:
    """Post a message in this channel later (staff)."""
    message = await ctx.deps.schedule.post_later(ctx.space, ctx.channel, ctx.member, at, text)
    return Reply(text=ctx._("schedule.added", line=await describe(ctx, message)))


@command(
    "schedule",
    "poll",
    Option("question", Kind.TEXT, required=True, positional=True, max_length=QUESTION_MAX),
    Option("options", Kind.LIST, required=True, positional=True),
    Option("at", Kind.WHEN, required=True),
    Option("closes", Kind.WHEN),
    Option("multi", Kind.INT, min_value=1, max_value=OPTIONS_MAX),
    Option("anonymous", Kind.FLAG),
    permission="staff",
)
async def poll(
    ctx: Context[ScheduleDeps],
    question: str,
    options: list[str],
    at: datetime,
    closes: datetime | None = None,
    multi: int = 1,
    anonymous: bool = False,
) -> Reply:
    """Open a poll in this channel later (staff); it is checked now."""
    draft = check_draft(question, options, multi, anonymous, "live", closes)
    message = await ctx.deps.schedule.poll_later(ctx.space, ctx.channel, ctx.member, at, draft)
    return Reply(text=ctx._("schedule.added", line=await describe(ctx, message)))


@command("event", "reminders", EVENT, Option("offsets", Kind.TEXT, required=True, positional=True), permission="staff")
async def reminders(ctx: Context[ScheduleDeps], event: str, offsets: str) -> Reply:
    """Choose when this event's reminders go out, e.g. "3d,2h" or "none" (staff)."""
    found, chosen = await ctx.deps.schedule.set_offsets(ctx.space, event, ctx.member, offsets)
    if not chosen:
        return Reply(text=ctx._("schedule.reminders.none", ref=found.ref, title=found.title))
    text = ", ".join(offset_text(offset, ctx._) for offset in chosen)
    return Reply(text=ctx._("schedule.reminders.set", ref=found.ref, title=found.title, offsets=text))


@command(
    "event",
    "answer",
    EVENT,
    Option("text", Kind.PARAGRAPH, required=True, positional=True, max_length=TEXT_MAX),
    form=True,
)
async def answer(ctx: Context[ScheduleDeps], event: str, text: str) -> Reply:
    """Answer the follow-up question you received after an event."""
    found, _step = await ctx.deps.followups.answer(ctx.space, ctx.member, event, text)
    return Reply(text=ctx._("schedule.followup.thanks", title=found.title))


@command("event", "feedback", EVENT, Option("csv", Kind.FLAG), SEP, permission="staff")
async def feedback(ctx: Context[ScheduleDeps], event: str, csv: bool = False, sep: str | None = None) -> Reply:
    """Follow-up answers: count, mean rating, distribution and texts; --csv for the file (staff)."""
    if csv or sep is not None:
        chosen = export_separator(ctx, sep)
        found, content = await ctx.deps.followups.feedback_csv(ctx.space, event, ctx.member, chosen)
        done = ctx._("schedule.feedback.export", ref=found.ref)
        return csv_reply(ctx, done, f"event-{found.ref}-feedback.csv", content, chosen)
    found, summary, _rows = await ctx.deps.followups.feedback(ctx.space, event, ctx.member)
    return Reply(card=feedback_card(ctx, f"#{found.ref} · {found.title}", summary))


@command(
    "event",
    "followups",
    EVENT,
    Option("day", Kind.PARAGRAPH, max_length=FOLLOWUP_MAX),
    Option("month", Kind.PARAGRAPH, max_length=FOLLOWUP_MAX),
    Option("reset", Kind.CHOICE, choices=RESETS),
    Option("audience", Kind.CHOICE, choices=AUDIENCES),
    permission="staff",
)
async def followups(
    ctx: Context[ScheduleDeps],
    event: str,
    day: str | None = None,
    month: str | None = None,
    reset: str | None = None,
    audience: str | None = None,
) -> Reply:
    """Show, write or reset this event's follow-up questions and choose who gets them (staff)."""
    given: tuple[tuple[Step, str | None], ...] = (("day", day), ("month", month))
    texts = {step: text for step, text in given if text is not None}
    if texts or reset or audience:
        chosen: Audience | None = "confirmed" if audience == "confirmed" else "present" if audience else None
        await ctx.deps.setups.change(ctx.space, event, ctx.member, texts, reset, chosen)
    found, setup, attendance = await ctx.deps.setups.show(ctx.space, event, ctx.member)
    reached = len(await ctx.deps.setups.recipients(found, setup))
    saved = bool(texts or reset or audience)
    return Reply(card=followups_card(found, setup, attendance.checkin_used, reached, ctx._, saved))


def feedback_card(ctx: Context[ScheduleDeps], title: str, summary: FeedbackSummary) -> Card:
    """Aggregates of the follow-up answers."""
    _ = ctx._
    mean = f"{summary.mean:.1f}".replace(".", "," if ctx.locale == "fr" else ".") if summary.mean is not None else "—"
    fields = (Field(_("schedule.feedback.answered"), f"{summary.answered} / {summary.asked}"),
              Field(_("schedule.feedback.mean"), f"{mean} ({len(summary.ratings)})"))  # fmt: skip
    total = len(summary.ratings)
    bars = tuple(ResultBar(str(value), count, count / total if total else 0.0)
                 for value, count in zip(RATINGS, summary.distribution(), strict=True))  # fmt: skip
    texts = tuple(_(f"schedule.feedback.text_{step}", name=name, text=text) for step, name, text in summary.texts)
    return Card(title=_("schedule.feedback.title", title=title), text=texts or (_("schedule.feedback.no_text"),),
                fields=fields, bars=bars)  # fmt: skip


def answer_form(ctx: Context[ScheduleDeps], event_ref: int, step: str) -> Modal:
    """The form for the written answer, the event already filled in."""
    return Modal(
        title=ctx._("cmd.event.answer.title"),
        action_id="cmd:event.answer",
        inputs=(TextInput("event", ctx._("cmd.event.answer.event.label"), value=f"#{event_ref}"),
                TextInput("text", ctx._(f"schedule.followup.{step}.question"), "paragraph", max_length=TEXT_MAX)),
        submit_label=ctx._("form.submit"),
        usage=ctx._("schedule.followup.usage", ref=event_ref),
    )  # fmt: skip


@action(RATE)
async def rate(ctx: Context[ScheduleDeps], event_id: int, rating: int) -> Reply:
    """A rating clicked in the day-after follow-up; the form for the one thing to put into practice opens."""
    event = await ctx.deps.followups.rate(ctx.space, ctx.member, event_id, rating)
    thanks = ctx._("schedule.followup.rated", rating=rating, title=event.title)
    return Reply(text=thanks, modal=answer_form(ctx, event.ref, "day"))


@action(ANSWER)
async def open_answer(ctx: Context[ScheduleDeps], event_id: int) -> Reply:
    """The "answer" button: the form for the written answer."""
    event, step = await ctx.deps.followups.answer_step(ctx.space, ctx.member, event_id)
    return Reply(modal=answer_form(ctx, event.ref, step))


@references("scheduled")
async def scheduled_refs(ctx: Context[ScheduleDeps]) -> list[tuple[int, str]]:
    """The messages of this space still to send, for autocomplete."""
    return [(message.ref, await describe(ctx, message)) for message in await ctx.deps.schedule.upcoming(ctx.space)]

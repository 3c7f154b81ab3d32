"""The /survey commands and the answer clicks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.commands.context import Context
from bot.commands.exports import SEP, csv_reply, export_separator
from bot.commands.registry import Kind, Option, action, command, references
from bot.core.delivery import DeliveryHub
from bot.core.errors import UserError
from bot.core.model import Member
from bot.features.events.domain import MODES, EventService, Signup
from bot.features.ideas.domain import IdeaService
from bot.features.surveys.domain import ANSWER_MAX, KINDS, QUESTION_MAX, TITLE_MAX, Audience, SurveyService
from bot.features.surveys.views import PICK, WRITE, answer_text, results_card, staff_card
from bot.ui import Modal, Reply, TextInput

SURVEY = Option("survey", Kind.REF, required=True, positional=True, refers="survey")
NUMBER = Option("question", Kind.INT, required=True, positional=True, min_value=1, max_value=99)
YES_NO = ("yes", "no")


@dataclass(frozen=True)
class SurveyDeps:
    """What the survey handlers use: surveys, and the events and ideas they reach."""

    surveys: SurveyService
    events: EventService | None
    ideas: IdeaService | None
    delivery: DeliveryHub  # lists the members of a channel or a group, on platforms that can


@command(
    "survey",
    "create",
    Option("title", Kind.TEXT, required=True, positional=True, max_length=TITLE_MAX),
    Option("anonymous", Kind.FLAG),
    permission="staff",
    form=True,
)
async def create(ctx: Context[SurveyDeps], title: str, anonymous: bool = False) -> Reply:
    """Start a survey; add its questions, then send it privately."""
    survey = await ctx.deps.surveys.create(ctx.space, ctx.channel, ctx.member, title, anonymous)
    return Reply(text=ctx._("survey.created", ref=survey.ref, title=survey.title))


@command(
    "survey",
    "question",
    SURVEY,
    Option("kind", Kind.CHOICE, required=True, positional=True, choices=KINDS),
    Option("text", Kind.TEXT, required=True, positional=True, max_length=QUESTION_MAX),
    Option("options", Kind.LIST, positional=True),
    permission="staff",
    form=True,
)
async def question(
    ctx: Context[SurveyDeps], survey: str, kind: str, text: str, options: list[str] | None = None
) -> Reply:
    """Add a question: choice, multi, rating (1–5), nps (0–10), text, or dates (days written YYYY-MM-DD)."""
    added = await ctx.deps.surveys.add_question(ctx.space, survey, ctx.member, kind, text, options or [])
    return Reply(text=ctx._("survey.question_added", number=added.number, text=added.text))


async def audience_members(ctx: Context[SurveyDeps], audience: Audience) -> list[Member]:
    """The confirmed attendees of an event, narrowed to a mode, an antenna, a workshop, or whether they came."""
    events = ctx.deps.events
    if events is None:
        raise UserError("survey.no_events")
    event = await events.get(ctx.space, audience.event)
    present: frozenset[str] = frozenset()
    if audience.present is not None:
        attendance = await events.attendance(event)
        # Without on-site check-in nobody is known absent, and nobody at all may be known present.
        if not attendance.checkin_used and (not audience.present or not attendance.present):
            raise UserError("survey.no_checkin", ref=event.ref)
        present = attendance.members

    def wanted(signup: Signup) -> bool:
        return (
            signup.status == "confirmed"
            and (audience.mode is None or signup.mode == audience.mode)
            and (audience.antenna is None or (signup.antenna or "").casefold() == audience.antenna.casefold())
            and (audience.workshop is None or str(audience.workshop) in signup.sessions)
            and (audience.present is None or (signup.member in present) == audience.present)
        )

    return [Member(s.member, s.name) for s in await events.signups(event) if wanted(s)]


@command(
    "survey",
    "send",
    SURVEY,
    Option("event", Kind.REF, required=True, positional=True, refers="event"),
    Option("mode", Kind.CHOICE, choices=MODES),
    Option("antenna", Kind.TEXT, max_length=60),
    Option("workshop", Kind.INT, min_value=1, max_value=999),
    Option("present", Kind.CHOICE, choices=YES_NO),
    permission="staff",
)
async def send(
    ctx: Context[SurveyDeps],
    survey: str,
    event: str,
    mode: str | None = None,
    antenna: str | None = None,
    workshop: int | None = None,
    present: str | None = None,
) -> Reply:
    """Send the survey privately to an event's confirmed attendees (all, or one mode, antenna, workshop, present or not)."""
    ctx.deps.surveys.require_staff(ctx.member)
    came = None if present is None else present == "yes"
    recipients = await audience_members(ctx, Audience(event, mode, antenna, workshop, came))
    return await send_to(ctx, survey, recipients)


@command(
    "survey",
    "channel",
    SURVEY,
    Option("channel", Kind.TEXT, required=True, positional=True, max_length=120),
    permission="staff",
)
async def send_channel(ctx: Context[SurveyDeps], survey: str, channel: str) -> Reply:
    """Send the survey privately to the members of a channel (bots left out)."""
    ctx.deps.surveys.require_staff(ctx.member)
    members = await ctx.deps.delivery.channel_members(ctx.space, channel.strip())
    if members is None:
        raise UserError("survey.no_such_channel", field="channel", channel=channel.strip()[:40])
    return await send_to(ctx, survey, members)


@command(
    "survey",
    "group",
    SURVEY,
    Option("group", Kind.TEXT, required=True, positional=True, max_length=120),
    permission="staff",
)
async def send_group(ctx: Context[SurveyDeps], survey: str, group: str) -> Reply:
    """Send the survey privately to the members of a group: a Slack user group, a Discord role (bots left out)."""
    ctx.deps.surveys.require_staff(ctx.member)
    members = await ctx.deps.delivery.group_members(ctx.space, group.strip())
    if members is None:
        raise UserError("survey.no_such_group", field="group", group=group.strip()[:40])
    return await send_to(ctx, survey, members)


async def send_to(ctx: Context[SurveyDeps], survey: str, recipients: list[Member]) -> Reply:
    """Send the survey to `recipients` (through the outbox) and show its staff card."""
    found, reached = await ctx.deps.surveys.send(ctx.space, survey, ctx.member, recipients)
    progress = await ctx.deps.surveys.progress(found)
    reader = ctx.for_everyone()
    card = staff_card(found, progress, reader._, ctx.settings.tz)
    return Reply(text=ctx._("survey.sent", ref=found.ref, count=reached), card=card, public=True, subject=found.subject)


@command("survey", "nudge", SURVEY, Option("at", Kind.WHEN, required=True, positional=True), permission="staff")
async def nudge(ctx: Context[SurveyDeps], survey: str, at: datetime) -> Reply:
    """Remind, at a time you choose, those who have not answered yet (3 nudges at most)."""
    found = await ctx.deps.surveys.plan_nudge(ctx.space, survey, ctx.member, at)
    return Reply(text=ctx._("survey.nudge_planned", ref=found.ref))


@command(
    "survey",
    "answer",
    SURVEY,
    NUMBER,
    Option("text", Kind.PARAGRAPH, required=True, positional=True, max_length=ANSWER_MAX),
    form=True,
)
async def answer(ctx: Context[SurveyDeps], survey: str, question: int, text: str) -> Reply:
    """Answer a question of a survey you received, in words (or a rating, option numbers, days)."""
    found, asked, value = await ctx.deps.surveys.answer_text(ctx.space, ctx.member, survey, question, text)
    return Reply(text=answer_text(found, asked, value, ctx._))


@action(PICK)
async def pick(ctx: Context[SurveyDeps], survey_id: int, question: int, value: int) -> Reply:
    """A click on a choice, a rating or a day in the private message."""
    found, asked, stored = await ctx.deps.surveys.answer_pick(ctx.space, ctx.member, survey_id, question, value)
    return Reply(text=answer_text(found, asked, stored, ctx._))


@action(WRITE)
async def write(ctx: Context[SurveyDeps], survey_id: int, question: int) -> Reply:
    """The "answer in words" button: the form, survey and question filled in."""
    found = await ctx.deps.surveys.by_id(ctx.space, survey_id)
    asked = found.question(question)
    return Reply(
        modal=Modal(
            title=ctx._("cmd.survey.answer.title"),
            action_id="cmd:survey.answer",
            inputs=(TextInput("survey", ctx._("cmd.survey.answer.survey.label"), value=f"#{found.ref}"),
                    TextInput("question", ctx._("cmd.survey.answer.question.label"), value=str(asked.number)),
                    TextInput("text", asked.text[:45], "paragraph", max_length=ANSWER_MAX)),
            submit_label=ctx._("form.submit"),
            usage=ctx._("survey.answer.usage", ref=found.ref, number=asked.number),
        )
    )  # fmt: skip


@command("survey", "status", SURVEY, permission="staff")
async def status(ctx: Context[SurveyDeps], survey: str) -> Reply:
    """Post the survey's card, its response rate kept live."""
    ctx.deps.surveys.require_staff(ctx.member)
    found = await ctx.deps.surveys.get(ctx.space, survey)
    progress = await ctx.deps.surveys.progress(found)
    card = staff_card(found, progress, ctx.for_everyone()._, ctx.settings.tz)
    return Reply(card=card, public=True, subject=found.subject)


@command("survey", "results", SURVEY, permission="staff")
async def results(ctx: Context[SurveyDeps], survey: str) -> Reply:
    """Each question's results, shown to me: counts, mean, NPS, best days, texts."""
    found, progress, each = await ctx.deps.surveys.results(ctx.space, survey, ctx.member)
    return Reply(card=results_card(found, progress, each, ctx._, ctx.settings.tz))


@command("survey", "close", SURVEY, permission="staff")
async def close(ctx: Context[SurveyDeps], survey: str) -> Reply:
    """Close the survey: no answer is taken any more."""
    found = await ctx.deps.surveys.close(ctx.space, survey, ctx.member)
    return Reply(text=ctx._("survey.closed_now", ref=found.ref))


@command("survey", "export", SURVEY, SEP, permission="staff")
async def export(ctx: Context[SurveyDeps], survey: str, sep: str | None = None) -> Reply:
    """The answers as a CSV file (no names for an anonymous survey)."""
    chosen = export_separator(ctx, sep)
    header = [ctx._(f"survey.export.{column}") for column in ("member", "number", "question", "kind", "answer")]
    found, content = await ctx.deps.surveys.export(ctx.space, survey, ctx.member, header, chosen)
    return csv_reply(ctx, ctx._("survey.export.done", ref=found.ref), f"survey-{found.ref}.csv", content, chosen)


@command("survey", "ideas", SURVEY, NUMBER, Option("wall", Kind.TEXT, refers="wall"), permission="staff")
async def to_ideas(ctx: Context[SurveyDeps], survey: str, question: int, wall: str | None = None) -> Reply:
    """Put the open answers of a question on an idea wall, anonymously, in one step."""
    ideas = ctx.deps.ideas
    if ideas is None:
        raise UserError("survey.no_ideas")
    found, texts = await ctx.deps.surveys.texts(ctx.space, survey, ctx.member, question)
    posted = similar = 0
    for text in texts:
        try:
            submitted = await ideas.submit(ctx.space, ctx.channel, ctx.member, text, wall, anonymous=True)
        except UserError as refused:
            if posted or similar:  # a limit reached midway (flood): say how far it went
                return Reply(text=ctx._("survey.ideas.stopped", posted=posted, similar=similar, total=len(texts)))
            raise refused
        posted += submitted.idea is not None
        similar += submitted.idea is None
    return Reply(text=ctx._("survey.ideas.done", ref=found.ref, posted=posted, similar=similar))


@references("survey")
async def survey_refs(ctx: Context[SurveyDeps]) -> list[tuple[int, str]]:
    """The open surveys of this space, for autocomplete."""
    return [(ref, f"#{ref} {title}") for ref, title in await ctx.deps.surveys.store.open_surveys(ctx.space)]

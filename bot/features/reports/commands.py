"""The /report commands: an event's indicators as charts with their numbers, posted as files."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from bot.commands.context import Context
from bot.commands.exports import SEP, export_separator
from bot.commands.registry import Kind, Option, command
from bot.features.reports.charts import FORMATS, Format, files, format_of
from bot.features.reports.domain import CommunityReport, EventReport, ReportService, Table
from bot.features.reports.views import community_summary, figure, summary
from bot.i18n import Translator
from bot.ui import Attachment, Reply

# matplotlib's object API is not promised thread-safe: one report is drawn at a time.
_drawing = threading.Lock()
# Discord takes at most 10 files in a message; past that the figures left go in one page.
CHAT_FILES_MAX = 10


@dataclass(frozen=True)
class ReportDeps:
    """What the report handlers use."""

    reports: ReportService


@dataclass(frozen=True)
class Rendered:
    """A report as read: its message (headline numbers, then each chart's alt text) and its files."""

    text: str
    files: tuple[Attachment, ...]


def render_event(report: EventReport, _: Translator, sep: str, fmt: Format, most: int | None = None) -> Rendered:
    """Translate and draw an event's report, at most `most` files (CPU work: call it in a worker thread)."""
    return render(f"event-{report.event.ref}", summary(report, _), report.tables, _, sep, fmt, most)


def render_community(
    report: CommunityReport, _: Translator, sep: str, fmt: Format, most: int | None = None
) -> Rendered:
    """Translate and draw the report across events, at most `most` files (CPU work: call it in a worker thread)."""
    return render("community", community_summary(report, _), report.tables, _, sep, fmt, most)


def render(
    stem: str, text: str, tables: Sequence[Table], _: Translator, sep: str, fmt: Format, most: int | None
) -> Rendered:
    """Translate and draw a report's tables: its message (summary, then each chart's alt text) and its files."""
    figures = [figure(table, _) for table in tables]
    title = text.splitlines()[0]
    with _drawing:
        attached = files(stem, title, text, figures, _, sep, fmt)
        if most is not None and len(attached) > most:  # the first files, then everything in one page
            page = files(stem, title, text, figures, _, sep, "html")
            attached = [*attached[: most - 1], *page]
            text += "\n" + _("report.more_in_page", file=page[0].filename)
    alts = "\n".join(f"• {f.alt}" for f in figures)
    return Rendered(f"{text}\n\n{alts}", tuple(attached))


@command(
    "report",
    "event",
    Option("event", Kind.REF, required=True, positional=True, refers="event"),
    Option("format", Kind.CHOICE, choices=FORMATS),
    SEP,
    permission="staff",
)
async def event(ctx: Context[ReportDeps], event: str, format: str | None = None, sep: str | None = None) -> Reply:
    """An event's indicators: sign-ups against presence, no-shows, waitlists, surveys, ideas (PNG + CSV, or HTML)."""
    report = await ctx.deps.reports.event(ctx.space, event, ctx.member)
    rendered = await asyncio.to_thread(
        render_event, report, ctx._, export_separator(ctx, sep), format_of(format), CHAT_FILES_MAX
    )
    return Reply(text=rendered.text, files=rendered.files)


@command("report", "community", Option("format", Kind.CHOICE, choices=FORMATS), SEP, permission="staff")
async def community(ctx: Context[ReportDeps], format: str | None = None, sep: str | None = None) -> Reply:
    """The indicators across every event that took place: trends, members who came back, newcomers, surveys, ideas."""
    report = await ctx.deps.reports.community(ctx.space, ctx.member)
    rendered = await asyncio.to_thread(
        render_community, report, ctx._, export_separator(ctx, sep), format_of(format), CHAT_FILES_MAX
    )
    return Reply(text=rendered.text, files=rendered.files)

"""The /report commands: an event's indicators as charts with their numbers, posted as files."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from bot.commands.context import Context
from bot.commands.exports import SEP, export_separator
from bot.commands.registry import Kind, Option, command
from bot.features.reports.charts import FORMATS, Format, files, format_of
from bot.features.reports.domain import EventReport, ReportService
from bot.features.reports.views import figure, summary
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
    figures = [figure(table, _) for table in report.tables]
    text = summary(report, _)
    stem, title = f"event-{report.event.ref}", text.splitlines()[0]
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

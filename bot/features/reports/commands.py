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


@dataclass(frozen=True)
class ReportDeps:
    """What the report handlers use."""

    reports: ReportService


@dataclass(frozen=True)
class Rendered:
    """A report as read: its message (headline numbers, then each chart's alt text) and its files."""

    text: str
    files: tuple[Attachment, ...]


def render_event(report: EventReport, _: Translator, sep: str, fmt: Format) -> Rendered:
    """Translate and draw an event's report (CPU work: call it in a worker thread)."""
    figures = [figure(table, _) for table in report.tables]
    text = summary(report, _)
    stem = f"event-{report.event.ref}"
    with _drawing:
        attached = files(stem, text.splitlines()[0], text, figures, _, sep, fmt)
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
    rendered = await asyncio.to_thread(render_event, report, ctx._, export_separator(ctx, sep), format_of(format))
    return Reply(text=rendered.text, files=rendered.files)

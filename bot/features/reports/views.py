"""How a report reads: each table translated into a figure with its title, columns, cells and alt text."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal

from bot.features.reports.domain import NO_ANTENNA, CommunityReport, EventReport, Number, Table
from bot.features.surveys.domain import SMALL_GROUP
from bot.i18n import Translator

PLOTTED_NOT = ("rate", "share")  # a percentage beside counts would squash the bars: it stays in the table


def number(value: int | float, _: Translator) -> str:
    """A count or a percentage written the reader's way (12,5 in French)."""
    return format_decimal(value, locale=_.locale)


def day(moment: date, _: Translator) -> str:
    """A day written in full the reader's way."""
    return format_date(moment, format="long", locale=_.locale)


@dataclass(frozen=True)
class Figure:
    """One figure as shown: its words in the reader's language and its numbers."""

    name: str
    title: str
    label_header: str
    labels: tuple[str, ...]
    series: tuple[str, ...]  # translated series names, in the table's order
    values: tuple[tuple[Number, ...], ...]
    plotted: tuple[int, ...]  # positions of the series drawn on the chart
    alt: str
    chart: bool

    def cell(self, value: Number, _: Translator) -> str:
        """A value as text: the number, or why there is none."""
        if value is None:
            return _("report.too_few", count=SMALL_GROUP) if not self.chart else "—"
        return number(value, _)

    def rows(self, _: Translator) -> list[list[str]]:
        """The table with its header row, every cell as text."""
        header = [self.label_header, *self.series]
        return [
            header,
            *([label, *(self.cell(v, _) for v in row)] for label, row in zip(self.labels, self.values, strict=True)),
        ]


def label_of(table: Table, label: str, _: Translator) -> str:
    """A row label in words: modes and the missing antenna are translated, names and scores kept."""
    if table.name in ("presence_mode", "waitlist"):
        return _(f"report.mode.{label}")
    if table.name == "presence_antenna" and label == NO_ANTENNA:
        return _("report.no_antenna")
    if table.name == "waitlist_moves":
        return _(f"report.move.{label}")
    if table.name == "ideas":
        return _("report.label.ideas")
    return label


def kind_of(table: Table) -> str:
    """The catalog stem of a table: rating and NPS tables share one per kind."""
    return table.name.split("_", 1)[0] if table.name.startswith(("rating_", "nps_")) else table.name


def figure(table: Table, _: Translator) -> Figure:
    """Translate one table; its alt text says every number the chart shows."""
    kind = kind_of(table)
    title = _(f"report.title.{kind}", **dict(table.params))
    labels = tuple(label_of(table, label, _) for label in table.labels)
    series = tuple(_(f"report.series.{name}") for name in table.series)
    plotted = tuple(i for i, name in enumerate(table.series) if name not in PLOTTED_NOT)
    shown = Figure(table.name, title, _(f"report.header.{kind}"), labels, series, table.values, plotted, "",
                   table.chart)  # fmt: skip
    if not table.chart:
        alt = _("report.alt_too_few", title=title, count=SMALL_GROUP)
    elif not labels:
        alt = _("report.alt_empty", title=title)
    else:
        parts = (
            f"{label}: " + ", ".join(f"{name} {shown.cell(value, _)}" for name, value in zip(series, row, strict=True))
            for label, row in zip(labels, table.values, strict=True)
        )
        alt = f"{title}. " + "; ".join(parts) + "."
    return replace(shown, alt=alt)


def summary(report: EventReport, _: Translator) -> str:
    """The headline numbers of an event's report, with the period surveys and ideas were taken from."""
    event = report.event
    since, until = (day(moment.astimezone(event.tz), _) for moment in (report.since, report.until))
    lines = [
        _("report.event.title", ref=event.ref, title=event.title),
        _("report.event.presence", confirmed=report.confirmed, present=report.present),
        _("report.event.no_shows", count=report.no_shows, rate=number(report.no_show_rate, _))
        if report.no_shows is not None and report.no_show_rate is not None
        else _("report.event.no_shows_unmeasured"),
        _("report.event.waitlisted", count=report.waitlisted),
        _("report.event.surveys", count=len(report.surveys)),
        _("report.event.ideas", submitted=report.ideas_submitted, retained=report.ideas_retained),
        _("report.event.period", since=since, until=until),
        _("report.event.waitlist_moves"),
    ]
    return "\n".join(lines)


def community_summary(report: CommunityReport, _: Translator) -> str:
    """The headline numbers across events: how many took place, members, who came back, surveys and ideas."""
    rate = report.response_rate
    return "\n".join(
        [
            _("report.community.title"),
            _("report.community.events", count=report.events),
            _("report.community.members", count=report.members, came_back=report.came_back),
            _("report.community.surveys", count=report.surveys, rate=number(rate, _) if rate is not None else "—"),
            _("report.event.ideas", submitted=report.ideas_submitted, retained=report.ideas_retained),
        ]
    )

"""A report's files: one PNG chart per figure with its numbers in a CSV beside it, or one self-contained HTML page.

matplotlib is imported only here and only when a chart is drawn: the bot starts without it.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import Literal

from bot.core.exports import to_csv_file
from bot.features.reports.views import Figure
from bot.i18n import Translator
from bot.ui import Attachment

Format = Literal["png", "csv", "html"]
FORMATS: tuple[Format, ...] = ("png", "csv", "html")
COLOURS = ("#3b6fb6", "#e8a33d", "#5aa469", "#c8553d")  # distinct for the common kinds of colour blindness


def format_of(value: str | None) -> Format:
    """A format asked for by name; charts when none or unknown."""
    return next((known for known in FORMATS if known == value), "png")


def png(figure: Figure) -> bytes:
    """A bar chart of the figure's plotted series (grouped bars when several), as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # headless: no display, no pyplot state
    from matplotlib.figure import Figure as Canvas
    from matplotlib.ticker import MaxNLocator

    canvas = Canvas(figsize=(7, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(canvas)
    axes = canvas.add_subplot()
    width = 0.8 / max(len(figure.plotted), 1)
    for slot, at in enumerate(figure.plotted):
        heights = [row[at] or 0 for row in figure.values]
        xs = [i + (slot - (len(figure.plotted) - 1) / 2) * width for i in range(len(figure.labels))]
        bars = axes.bar(xs, heights, width, label=figure.series[at], color=COLOURS[slot % len(COLOURS)])
        axes.bar_label(bars, fmt="%g", fontsize=8)
    axes.set_xticks(range(len(figure.labels)), [shorten(label) for label in figure.labels])
    axes.set_title(shorten(figure.title, 80), fontsize=11)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no half members
    axes.spines[["top", "right"]].set_visible(False)
    if len(figure.plotted) > 1:
        axes.legend(frameon=False, fontsize=8)
    out = io.BytesIO()
    canvas.savefig(out, format="png", metadata={"Title": figure.title, "Description": figure.alt})
    return out.getvalue()


def shorten(text: str, most: int = 24) -> str:
    """A label short enough for an axis."""
    return text if len(text) <= most else text[: most - 1] + "…"


def csv_bytes(figure: Figure, _: Translator, sep: str) -> bytes:
    """The figure's numbers as a CSV file: the same numbers as its chart."""
    return to_csv_file([figure.rows(_)], sep)


def page(title: str, summary: str, figures: Sequence[Figure], _: Translator) -> str:
    """One HTML page holding everything: the summary, each chart inline with its alt text, and its table."""
    parts = [
        f'<!doctype html>\n<html lang="{_.locale}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>',
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #bbb;padding:.2em .6em;text-align:right}th:first-child,td:first-child"
        "{text-align:left}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "".join(f"<p>{html.escape(line)}</p>" for line in summary.splitlines()[1:]),
    ]
    for figure in figures:
        parts.append(f"<h2>{html.escape(figure.title)}</h2>")
        if figure.chart and figure.labels:
            data = base64.b64encode(png(figure)).decode("ascii")
            parts.append(f'<img src="data:image/png;base64,{data}" alt="{html.escape(figure.alt)}">')
        rows = figure.rows(_)
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows[1:])
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def files(
    stem: str, title: str, summary: str, figures: Sequence[Figure], _: Translator, sep: str, fmt: Format
) -> list[Attachment]:
    """The report's files in one format: PNG charts each with its CSV, the CSVs alone, or the HTML page."""
    if fmt == "html":
        return [Attachment(f"{stem}.html", page(title, summary, figures, _).encode("utf-8"), "text/html")]
    found = []
    for figure in figures:
        if fmt == "png" and figure.chart and figure.labels:
            found.append(Attachment(f"{stem}-{figure.name}.png", png(figure), "image/png", figure.alt))
        found.append(Attachment(f"{stem}-{figure.name}.csv", csv_bytes(figure, _, sep), "text/csv"))
    return found

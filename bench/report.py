"""Time and peak memory to build the event and community reports over 50 events, 20,000 sign-ups, 100,000 answers.

The database is filled once with bulk inserts on the app's current schema: 50 events that took place,
a week apart, each with 400 confirmed sign-ups drawn from 5,000 members (so many come back) and 300
checked in on site; after each event a survey of five questions (rating, NPS, a choice, rating, NPS) sent
to its 400 sign-ups and answered by all: 50 × 400 × 5 = 100,000 answers. Then, for `--rounds` rounds,
alternating which goes first, it times reading the figures (SQL and aggregation) and drawing them (PNG
charts with their CSV, and the HTML page); then, in one more traced run of each, the peak of Python
allocations (tracemalloc, apart since tracing slows Python down), and at the end the process's peak resident size.

Run: .venv/bin/python bench/report.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)
from _common import median

from bot.app import App
from bot.features.reports.commands import render_community, render_event
from bot.features.reports.domain import ReportService
from bot.i18n import Translator
from bot.store.sqlite.rows import to_iso
from tests.helpers import SPACE, START, make_settings, running_app

EVENTS, PER_EVENT, POOL, CHECKED_IN = 50, 400, 5_000, 300
QUESTIONS = (("rating", ""), ("nps", ""), ("choice", "Oui\nNon\nPeut-être"), ("rating", ""), ("nps", ""))
FIRST = START - timedelta(days=7 * EVENTS + 7)  # the last event ends a week before the clock's now


def fill(path: Path) -> None:
    """The events, sign-ups, check-ins, surveys and answers, inserted in one transaction."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO events (id, space, ref, channel, author, timezone, title, starts_at, ends_at,"
            " onsite_capacity, created_at, updated_at) VALUES (?, ?, ?, 'general', 'console:alice', 'Europe/Paris',"
            " ?, ?, ?, ?, ?, ?)",
            ((n, SPACE, n, f"Journée {n}", to_iso(starts(n)), to_iso(starts(n) + timedelta(hours=6)), PER_EVENT,
              to_iso(FIRST), to_iso(FIRST)) for n in range(1, EVENTS + 1)),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO event_signups (event_id, space, member, mode, status, seq, signed_up_at, status_at)"
            " VALUES (?, ?, ?, 'onsite', 'confirmed', ?, ?, ?)",
            ((n, SPACE, who, seq, to_iso(FIRST), to_iso(FIRST)) for n, seq, who in attendees()),
        )
        conn.executemany(
            "INSERT INTO event_checkins (event_id, space, member, name, marked_by, checked_at) VALUES (?, ?, ?, ?, ?, ?)",
            ((n, SPACE, who, who, who, to_iso(starts(n))) for n, seq, who in attendees() if seq < CHECKED_IN),
        )
        conn.executemany(
            "INSERT INTO surveys (id, space, ref, channel, author, title, anonymous, created_at, sent_at, closed_at)"
            " VALUES (?, ?, ?, 'general', 'console:alice', ?, 1, ?, ?, NULL)",
            ((n, SPACE, n, f"Bilan {n}", to_iso(sent(n)), to_iso(sent(n))) for n in range(1, EVENTS + 1)),
        )
        conn.executemany(
            "INSERT INTO survey_questions (survey_id, number, kind, text, options) VALUES (?, ?, ?, ?, ?)",
            ((n, q, kind, f"Question {q}", options) for n in range(1, EVENTS + 1)
             for q, (kind, options) in enumerate(QUESTIONS, 1)),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO survey_recipients (survey_id, member, name, sent_at, answered_at) VALUES (?, ?, ?, ?, ?)",
            ((n, who, who, to_iso(sent(n)), to_iso(sent(n))) for n, _seq, who in attendees()),
        )
        conn.executemany(
            "INSERT INTO survey_answers (survey_id, member, number, value, answered_at) VALUES (?, ?, ?, ?, ?)",
            ((n, who, q, value(q, seq), to_iso(sent(n))) for n, seq, who in attendees() for q in range(1, 6)),
        )
        for kind in ("event", "survey"):
            conn.execute("INSERT INTO counters (space, kind, value) VALUES (?, ?, ?)", (SPACE, kind, EVENTS))
        conn.execute("COMMIT")
    finally:
        conn.close()


def starts(n: int) -> object:
    """When event n starts."""
    return FIRST + timedelta(days=7 * (n - 1))


def sent(n: int) -> object:
    """When event n's survey was sent: the day after."""
    return FIRST + timedelta(days=7 * (n - 1) + 1)


def attendees() -> Iterator[tuple[int, int, str]]:
    """(event, arrival rank, member) of every sign-up: a sliding window over the pool, so members come back."""
    for n in range(1, EVENTS + 1):
        for seq in range(PER_EVENT):
            yield n, seq, f"console:p{(n * 97 + seq * 13) % POOL}"


def value(question: int, seq: int) -> str:
    """An answer: ratings 1–5, NPS 0–10, a choice 0–2."""
    kind = QUESTIONS[question - 1][0]
    return str(seq % 5 + 1 if kind == "rating" else seq % 11 if kind == "nps" else seq % 3)


async def timed(work: Callable[[], Awaitable[object]]) -> float:
    """Seconds `work` takes."""
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def peak_of(work: Callable[[], Awaitable[object]]) -> float:
    """The peak of Python allocations (MiB) while `work` runs (traced apart: tracing slows Python down)."""
    tracemalloc.start()
    await work()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


async def run(rounds: int) -> None:
    """Fill once, then time each report's reading and drawing, alternating the order."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.db"
        settings = make_settings(path)
        async with running_app(settings):  # migrate to the current schema
            pass
        started = time.perf_counter()
        fill(path)
        print(f"filled {EVENTS} events, {EVENTS * PER_EVENT} sign-ups, {EVENTS * PER_EVENT * 5} answers"
              f" in {time.perf_counter() - started:.1f} s")  # fmt: skip
        async with running_app(settings) as app:
            await timings(app, rounds)
    print(f"process peak resident size: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


async def timings(app: App, rounds: int) -> None:
    """Each measure `rounds` times, alternating the order; medians and ranges."""
    service = app.units["reports"].service
    assert isinstance(service, ReportService)
    _ = Translator("fr")
    results: dict[str, list[float]] = {}

    async def community_figures() -> object:
        return await service.community(SPACE, None)

    async def event_figures() -> object:
        return await service.event(SPACE, EVENTS, None)

    async def community_png() -> object:
        return render_community(await service.community(SPACE, None), _, ";", "png")

    async def community_html() -> object:
        return render_community(await service.community(SPACE, None), _, ";", "html")

    async def event_png() -> object:
        return render_event(await service.event(SPACE, EVENTS, None), _, ";", "png")

    work = {"community: figures": community_figures, "community: figures + PNG/CSV": community_png,
            "community: figures + HTML": community_html, "event: figures": event_figures,
            "event: figures + PNG/CSV": event_png}  # fmt: skip
    await event_png()  # warm-up: matplotlib's import and font cache are a one-time cost, reported apart
    for round_ in range(rounds):
        order = list(work) if round_ % 2 == 0 else list(reversed(work))
        for name in order:
            results.setdefault(name, []).append(await timed(work[name]))
    for name in work:
        seconds = results[name]
        print(f"{name:32} median {median(seconds):6.2f} s (range {min(seconds):.2f}–{max(seconds):.2f}),"
              f" peak Python allocations {await peak_of(work[name]):6.1f} MiB")  # fmt: skip


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(run(parser.parse_args().rounds))


if __name__ == "__main__":
    main()

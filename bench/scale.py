"""How each request's cost grows with the data: time and the event loop's longest stall at 10×, 100×, 1,000×.

Each size gets its own database, built with bulk inserts of base rows (bench/scale_data.py) and migrated
by the app itself; requests then go through the whole bot as members send them (tests/helpers.py Session).
While a request runs, a task ticking every millisecond records the widest gap between two ticks: how long
every other member's click would have waited. Another reads `SELECT 1` every 5 ms: a query queued on
the one reader connection delays every other read even while the loop stays free. CPU is the whole
process's CPU time (every thread) during the request: on a shared machine it moves less than elapsed time.
Exports also show their peak Python memory (tracemalloc, in a separate untimed run: tracing is slow).

Starting with 10,000 events can be the slowest part: `--reps 1` keeps it short.
Run: .venv/bin/python bench/scale.py [--quick] [--only polls,ideas,events,fanout] [--reps 5] [--million]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import string
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from zoneinfo import ZoneInfo

import _common  # noqa: F401  (puts the project on sys.path)
import scale_data
from _common import median

from bot.app import App
from bot.core.clock import ManualClock
from bot.features.ideas.domain import PAGE_SIZE
from bot.features.schedule.domain import before
from bot.store.sqlite.database import Database
from bot.ui import Reply
from tests.helpers import SPACE, START, Session, make_settings, running_app

TICK = 0.001  # seconds between two ticks of a Watch
READ_PAUSE = 0.005  # seconds between two of its reads: each costs CPU, and a queue worth noticing lasts longer
STOP_FAN_OUT = 20.0  # seconds a paced fan-out would last, in the stop measurement
REMINDER_OFFSETS = (timedelta(days=7), timedelta(days=1), timedelta(hours=1))  # the default schedule.reminder_offsets

Request = Callable[[int], Awaitable[object]]  # one repetition, numbered (each may act as a new member)
Results = dict[str, "Figures"]  # request -> its figures at one size


@dataclass
class Figures:
    """One request at one size: seconds and longest stall per repetition, peak memory, counted things."""

    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the whole process's CPU seconds, all threads
    stalls: list[float] = field(default_factory=list)
    read_waits: list[float] = field(default_factory=list)
    peak: int | None = None  # bytes
    counts: dict[str, list[int]] = field(default_factory=dict)

    def watched(self, watch: Watch) -> None:
        """Keep what `watch` saw during one repetition."""
        self.stalls.append(watch.stall)
        if watch.read_wait:
            self.read_waits.append(watch.read_wait)


class Watch:
    """What other members feel while a request runs: the loop's longest stall and a concurrent read's longest wait.

    A task ticking every millisecond on the loop records the widest gap between two ticks; another, given the
    app's database, reads `SELECT 1` every 5 ms: work queued on the single reader connection delays it.
    """

    def __init__(self, db: Database | None = None) -> None:
        self.stall = 0.0
        self.read_wait = 0.0
        self._db = db
        self._last = 0.0
        self._reading_since: float | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Watch:
        self._last = time.perf_counter()
        self._tasks = [asyncio.create_task(self._tick())]
        if self._db is not None:
            self._tasks.append(asyncio.create_task(self._read(self._db)))
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        now = time.perf_counter()  # a stall or a wait still open at the end counts too
        self.stall = max(self.stall, now - self._last)
        if self._reading_since is not None:
            self.read_wait = max(self.read_wait, now - self._reading_since)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            self.stall = max(self.stall, now - self._last)
            self._last = now

    async def _read(self, db: Database) -> None:
        while True:
            self._reading_since = time.perf_counter()
            await db.fetch_one("SELECT 1")
            self.read_wait = max(self.read_wait, time.perf_counter() - self._reading_since)
            self._reading_since = None
            await asyncio.sleep(READ_PAUSE)


class Stopwatch:
    """Adds the elapsed time and the process's CPU time of its block to `figures`."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures
        self._started = self._cpu = 0.0

    def __enter__(self) -> None:
        self._started, self._cpu = time.perf_counter(), time.process_time()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.figures.times.append(time.perf_counter() - self._started)
        self.figures.cpu.append(time.process_time() - self._cpu)


async def measure(
    app: App,
    request: Request,
    reps: int,
    between: Callable[[], Awaitable[None]] | None = None,
    memory: bool = False,
) -> Figures:
    """Time `request` `reps` times, watched; `between` runs untimed after each; then its peak memory."""
    figures = Figures()
    for rep in range(reps):
        async with Watch(app.services.db) as watch:
            with Stopwatch(figures):
                await request(rep)
        figures.watched(watch)
        if between is not None:
            await between()
    if memory:
        tracemalloc.start()
        try:
            await request(reps)
            figures.peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return figures


async def track(session: Session, reply: Reply, subject: str) -> None:
    """Post a card in the channel and keep it live as `subject`, as an adapter does with a public card."""
    ref = await session.sent.post(session.space, session.channel, reply)
    assert ref is not None
    await session.app.services.cards.attach(subject, ref)


# ---------------------------------------------------------------- what is measured


async def polls(path: Path, votes: int, reps: int) -> Results:
    """Poll #1 holding `votes` votes: results, a vote, the live card's re-render, the export."""
    async with running_app(make_settings(path)) as app:
        alice = Session(app)
        _poll, tally = await app.services.polls.results(SPACE, 1)
        assert tally.voters == votes, f"the tally shows {tally.voters} voters of {votes}"
        await track(alice, await alice.say("/poll results 1"), "poll:1")  # its vote buttons are what `click` presses

        async def vote(rep: int) -> None:
            reply = await alice.as_(f"newcomer{rep}").click(rep % len(scale_data.OPTIONS) + 1)
            assert reply.text, "a vote is confirmed"

        async def export(_rep: int) -> None:
            reply = await alice.say("/poll export 1")
            assert reply.files, reply.text

        return {
            "/poll results 1": await measure(app, lambda _: alice.say("/poll results 1"), reps),
            "vote (click, a new voter)": await measure(app, vote, reps, between=alice.settle),
            "live card re-render (tally + edit)": await measure(
                app, lambda _: app.services.cards.flush_now("poll:1"), reps
            ),
            "/poll export 1": await measure(app, export, reps, memory=True),
        }


async def ideas(path: Path, count: int, reps: int) -> Results:
    """A wall of `count` ideas: top, first and last page, a submission, a like, the export; then closing it."""
    async with running_app(make_settings(path)) as app:
        alice = Session(app)
        wall = await app.services.ideas.wall(SPACE, "general", None)
        best = await app.services.ideas.top(wall, None, 1)
        assert best and best[0].likes == 7, "the most liked idea has 7 likes"
        last_page = -(-count // PAGE_SIZE)
        words = random.Random(3)

        async def submit(rep: int) -> None:
            text = " ".join("".join(words.choices(string.ascii_lowercase, k=7)) for _ in range(4))
            reply = await alice.as_(f"writer{rep}").say(f'/idea submit "{text}"')
            assert reply.public, "a new idea is posted, not held back as a duplicate"

        async def like(rep: int) -> None:
            reply = await alice.as_(f"fan{rep}").click(1)
            assert reply.text, "a like is confirmed"

        async def export(_rep: int) -> None:
            reply = await alice.say("/idea export")
            assert reply.files, reply.text

        results = {
            "/idea top": await measure(app, lambda _: alice.say("/idea top"), reps),
            "/idea list": await measure(app, lambda _: alice.say("/idea list"), reps),
            "/idea list, last page": await measure(app, lambda _: alice.say(f"/idea list --page {last_page}"), reps),
            "/idea submit (a new author)": await measure(app, submit, reps, between=alice.settle),
        }
        await alice.say(f"/idea show {count // 2 + 1}")  # its Like button is what `click` presses
        results["like (click, a new member)"] = await measure(app, like, reps, between=alice.settle)
        results["/idea export"] = await measure(app, export, reps, memory=True)
        await app.services.db.write(lambda conn: conn.execute("UPDATE idea_walls SET is_default = 0, ref = 1"))
        edits = app.services.cards.edits
        results["/idea wall close (and its cards' edits)"] = closing = await measure(
            app, lambda _: close_wall(alice), 1
        )
        closing.counts["card edits"] = [app.services.cards.edits - edits]
        return results


async def close_wall(session: Session) -> None:
    """Close the wall and wait for the edits of its posted idea cards (their buttons go).

    A channel's default wall never closes: it is made an ordinary wall numbered 1 first (untimed).
    """
    reply = await session.say("/idea wall close 1")
    assert reply.public, reply.text
    await session.settle()


async def startup(path: Path, events: int, reps: int) -> Results:
    """Start-up to ready with `events` upcoming events: the first start plans them all, restarts find them planned."""
    settings = make_settings(path)
    first, again = Figures(), Figures()
    for rep in range(reps + 1):
        app = App(settings, ManualClock(START))
        figures = first if rep == 0 else again
        async with Watch() as watch:  # the database opens inside start(): no read to watch
            with Stopwatch(figures):
                await app.start()
        figures.watched(watch)
        try:
            planned = await app.services.db.fetch_one("SELECT COUNT(DISTINCT event_id) FROM scheduled_messages")
            assert planned is not None and planned[0] == events, f"{planned and planned[0]} of {events} events planned"
        finally:
            await app.stop()
    return {"first start (plans every event)": first, "restart (every event planned)": again}


async def fanout(path: Path, recipients: int, reps: int) -> Results:
    """An event's reminders, each to `recipients` members: time, stall, commits (one repetition per reminder);
    then, on a copy taken before, a stop requested a second into a fan-out paced to last STOP_FAN_OUT seconds."""
    untouched = path.with_name("before-fan-out.db")
    shutil.copy(path, untouched)
    results = await fan_outs(path, recipients, reps)
    results["stop a second into a paced fan-out"] = await stop_mid_fan_out(untouched, recipients)
    return results


async def fan_outs(path: Path, recipients: int, reps: int) -> Results:
    """An event's reminders, each to `recipients` members: time, stall, commits (one repetition per reminder)."""
    async with running_app(make_settings(path)) as app:
        alice = Session(app)  # registers the console platform: the sender sends only where one is connected
        clock = app.services.clock
        assert isinstance(clock, ManualClock)
        figures = Figures()
        for offset in REMINDER_OFFSETS[: max(1, min(reps, len(REMINDER_OFFSETS)))]:
            clock.set(before(scale_data.EVENT_STARTS, ZoneInfo(scale_data.TIMEZONE), offset))
            commits, sent = app.services.db.commits, len(alice.sent.private)
            async with Watch(app.services.db) as watch:
                with Stopwatch(figures):
                    await app.services.wakeups.run_due()
            figures.watched(watch)
            figures.counts.setdefault("commits", []).append(app.services.db.commits - commits)
            delivered = len(alice.sent.private) - sent
            assert delivered == recipients, f"{delivered} of {recipients} reminders sent"
            await app.notices.idle()
        return {"reminder fan-out": figures}


async def stop_mid_fan_out(path: Path, recipients: int) -> Figures:
    """How long `App.stop` takes when asked a second into a reminder fan-out paced to last STOP_FAN_OUT seconds.

    A container's stop grace period (Docker: 10 s) is what this must stay well under. Also counted: the
    sends made after the stop was asked, and after a restart, members reached twice and members never reached.
    """
    rate = recipients / STOP_FAN_OUT
    settings = make_settings(path, schedule__send_rate=f"console={rate:g}")
    clock = ManualClock(START)
    figures = Figures()
    app = App(settings, clock)
    await app.start()
    alice = Session(app)
    clock.set(before(scale_data.EVENT_STARTS, ZoneInfo(scale_data.TIMEZONE), REMINDER_OFFSETS[0]))  # one reminder due
    fan_out = asyncio.ensure_future(app.services.wakeups.run_due())
    await asyncio.sleep(1.0)
    sent_before = len(alice.sent.private)
    async with Watch() as watch:
        with Stopwatch(figures):
            await app.stop()
    figures.watched(watch)
    await fan_out
    first = [member for member, _reply, _ok in alice.sent.private]
    async with running_app(make_settings(path), clock) as again:  # unpaced: the rest goes at once
        second = Session(again)
        await again.services.wakeups.run_due()
        rest = [member for member, _reply, _ok in second.sent.private]
    figures.counts["sends after the stop was asked"] = [len(first) - sent_before]
    figures.counts["members reached twice"] = [len(first) + len(rest) - len(set(first) | set(rest))]
    figures.counts["members never reached"] = [recipients - len(set(first) | set(rest))]
    return figures


@dataclass(frozen=True)
class Kind:
    """One kind of data: how to build it at a size, what to measure on it, and its sizes."""

    title: str
    fill: Callable[[int], scale_data.Fill]
    run: Callable[[Path, int, int], Awaitable[Results]]
    sizes: tuple[int, ...]
    quick: tuple[int, ...]


KINDS = {
    "polls": Kind("votes on one poll", scale_data.poll_with_votes, polls, (1_000, 10_000, 100_000), (100, 1_000)),
    "ideas": Kind("ideas on one wall", scale_data.wall_with_ideas, ideas, (1_000, 10_000, 100_000), (100, 1_000)),
    "events": Kind("upcoming events", scale_data.many_events, startup, (1_000, 10_000), (20, 100)),
    "fanout": Kind("recipients of one reminder", scale_data.crowded_event, fanout, (1_000, 10_000), (20, 100)),
}
MILLION = 1_000_000


# ---------------------------------------------------------------- output


def size_label(size: int) -> str:
    """1000 -> "1k", 1000000 -> "1M"."""
    for unit, name in ((1_000_000, "M"), (1_000, "k")):
        if size >= unit and size % unit == 0:
            return f"{size // unit}{name}"
    return str(size)


def ms(seconds: float) -> str:
    """Milliseconds with as many decimals as are meaningful."""
    value = seconds * 1000
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def rows(figures: Figures) -> list[tuple[str, str]]:
    """The table's lines for one request at one size: (row name, cell)."""
    found = [
        ("time ms, median", ms(median(figures.times))),
        ("time ms, range", f"{ms(min(figures.times))}–{ms(max(figures.times))}"),
        ("CPU ms, median", ms(median(figures.cpu))),
        ("longest loop stall ms", ms(max(figures.stalls))),
    ]
    if figures.read_waits:
        found.append(("longest read wait ms", ms(max(figures.read_waits))))
    if figures.peak is not None:
        found.append(("peak Python memory MB", f"{figures.peak / 1e6:.1f}"))
    found += [(f"{name}, median", f"{median(values):,.0f}") for name, values in figures.counts.items()]
    return found


def table(request: str, title: str, by_size: dict[str, Figures]) -> str:
    """One request's table: sizes as columns."""
    sizes = list(by_size)
    lines: dict[str, list[str]] = {}
    for size in sizes:
        for name, cell in rows(by_size[size]):
            lines.setdefault(name, []).append(cell)
    width = max(13, *(len(cell) + 2 for cells in lines.values() for cell in cells))
    runs = len(by_size[sizes[0]].times)
    head = f"{request}  ({title}, {runs} run{'s' if runs > 1 else ''})"
    out = [head, f"  {'':<24}" + "".join(f"{size:>{width}}" for size in sizes)]
    out += [f"  {name:<24}" + "".join(f"{cell:>{width}}" for cell in cells) for name, cells in lines.items()]
    return "\n".join(out)


# ---------------------------------------------------------------- running


def run_kind(name: str, sizes: Sequence[int], reps: int) -> str:
    """Build and measure every size of one kind; its tables."""
    kind = KINDS[name]
    by_request: dict[str, dict[str, Figures]] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="phosphore-scale-") as folder:
            path = Path(folder) / "scale.db"
            built = scale_data.build(path, kind.fill(size))
            print(f"{size_label(size)} built and migrated in {built:.1f} s", flush=True)
            for request, figures in asyncio.run(kind.run(path, size, reps)).items():
                by_request.setdefault(request, {})[size_label(size)] = figures
    return "\n\n".join(table(request, kind.title, by_size) for request, by_size in by_request.items())


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and 2 runs: a smoke test")
    parser.add_argument("--only", default=",".join(KINDS), help=f"comma-separated, among {', '.join(KINDS)}")
    parser.add_argument("--reps", type=int, help="runs per request and size (default 5; 2 with --quick)")
    parser.add_argument("--million", action="store_true", help="add 1M votes to the polls (builds in about a minute)")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in args.only if name not in KINDS]
    if unknown:
        parser.error(f"unknown kind {', '.join(unknown)}; choose among {', '.join(KINDS)}")
    args.reps = args.reps or (2 if args.quick else 5)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Each chosen kind at each size; one table per request."""
    args = parse(argv)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"bench/scale.py: {os.cpu_count()} cores, load average {load} (other work shares the machine)")
    print(f"stall: widest gap between {TICK * 1000:.0f} ms ticks of a task on the loop (so ~1 ms means not blocked)")
    print("read wait: the longest a concurrent `SELECT 1` waited meanwhile (the reader connection is shared)")
    print("CPU: the process's CPU time during the request, every thread; time and stall are elapsed (wall) time")
    for name in args.only:
        kind = KINDS[name]
        sizes = kind.quick if args.quick else kind.sizes + ((MILLION,) if name == "polls" and args.million else ())
        print(f"\n== {name}: {kind.title}", flush=True)
        print(f"\n{run_kind(name, sizes, args.reps)}", flush=True)


if __name__ == "__main__":
    main()

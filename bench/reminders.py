"""1,000 reminders due in the same minute: delivered once, drain time when paced, scheduler overhead.

Beside it, what APScheduler's own SQLAlchemyJobStore on SQLite does with the same load, defaults kept
(misfire_grace_time=1): how long each add_job blocks the loop and how many jobs run or are missed.

With `--commits 10000` it also counts the write transactions (commits) of one reminder to that many
members, paced at `--rate` on virtual time, and with `--before REV` the same count for the code of a
git revision (each in its own process).

Run: .venv/bin/python bench/reminders.py [--recipients 1000] [--events 10] [--rounds 3] [--commits 10000 --before main]
Needs the `bench` extra for the comparison: pip install 'SQLAlchemy>=2,<3'.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)
from _common import median

TREE = "PHOSPHORE_BENCH_TREE"  # set for a child measuring another checkout's code
if os.environ.get(TREE):
    sys.path.insert(0, os.environ[TREE])

from bot.core.clock import ManualClock  # noqa: E402
from bot.core.pacing import Pacer  # noqa: E402
from bot.features.events.domain import EventDraft  # noqa: E402
from bot.store.sqlite.rows import to_iso  # noqa: E402
from bot.ui import Reply  # noqa: E402
from tests.helpers import START, make_settings, running_app  # noqa: E402

SPACE = "console:local"
STARTS = START + timedelta(days=3)


class FakeSender:
    """A platform that accepts every DM at once and counts them per recipient."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()

    async def post(self, space: str, channel: str, reply: Reply) -> None:
        """Not used here."""

    async def edit(self, ref: object, card: object) -> None:
        """Not used here."""

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Count one DM."""
        self.received[member] += 1
        return True


class VirtualTime:
    """A monotonic clock the pacer sleeps on without really sleeping: drain time without the wait."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        """Virtual seconds elapsed."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Advance virtual time; yield so other senders run."""
        self.now += seconds
        await asyncio.sleep(0)


async def seed(app: object, recipients: int, events: int) -> None:
    """`events` events starting within the same minute, `recipients` confirmed sign-ups spread over them."""
    services = app.services  # type: ignore[attr-defined]
    from bot.core.model import Member

    alice = Member("console:alice", "alice", is_staff=True)
    ids = []
    for number in range(events):
        starts = STARTS + timedelta(seconds=number * 60 // events)
        draft = EventDraft(f"Journée {number}", starts, starts + timedelta(hours=6), onsite_capacity=recipients)
        ids.append((await services.events.create(SPACE, "general", alice, draft)).id)

    def op(conn: object) -> None:
        rows = [(ids[i % events], SPACE, f"console:m{i}", "onsite", "confirmed", i, to_iso(START), to_iso(START))
                for i in range(recipients)]  # fmt: skip
        conn.executemany(  # type: ignore[attr-defined]
            "INSERT INTO event_signups (event_id, space, member, mode, status, seq, signed_up_at, status_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)  # fmt: skip

    await services.db.write(op)


async def ours(recipients: int, events: int, platform_rate: float) -> dict[str, float]:
    """Our path: wake-ups rebuilt from the database, one fan-out per reminder, claims committed before each send."""
    with tempfile.TemporaryDirectory() as folder:
        clock = ManualClock(START)
        async with running_app(make_settings(Path(folder) / "bench.db"), clock) as app:
            await seed(app, recipients, events)
            sender = FakeSender()
            app.services.delivery.register("console", sender)  # type: ignore[arg-type]
            started = time.perf_counter()
            times = await app.services.schedule.sender.pending_times()
            for moment in times:
                app.services.wakeups.wake_at(moment)
            wake_cost = time.perf_counter() - started
            clock.set(STARTS - timedelta(days=1) + timedelta(minutes=1))  # all 1-day reminders are due
            started = time.perf_counter()
            await app.services.schedule.sender.run_due()
            unpaced = time.perf_counter() - started
            assert len(sender.received) == recipients and set(sender.received.values()) == {1}, "not all once"

            # The same fan-out again on fresh reminders, through a paced sender on virtual time.
            virtual = VirtualTime()
            app.services.schedule.sender.pacer = Pacer({"console": platform_rate}, virtual.monotonic, virtual.sleep)
            paced_sender = FakeSender()
            app.services.delivery.register("console", paced_sender)  # type: ignore[arg-type]
            clock.set(STARTS - timedelta(hours=1) + timedelta(minutes=1))  # the 1-hour reminders
            started = time.perf_counter()
            await app.services.schedule.sender.run_due()
            paced_cpu = time.perf_counter() - started
            assert len(paced_sender.received) == recipients and set(paced_sender.received.values()) == {1}
            sent = await app.services.db.fetch_one("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'sent'")
            assert sent is not None and sent["n"] == 2 * recipients
    return {"wake_ms": wake_cost * 1000, "jobs": len(times), "unpaced_s": unpaced,
            "per_send_ms": unpaced / recipients * 1000, "drain_virtual_s": virtual.now, "paced_cpu_s": paced_cpu}  # fmt: skip


async def fan_out_commits(recipients: int, rate: float) -> int:
    """Commits of one reminder to `recipients` members, paced at `rate` on virtual time (each reached once)."""
    with tempfile.TemporaryDirectory() as folder:
        clock = ManualClock(START)
        async with running_app(make_settings(Path(folder) / "bench.db"), clock) as app:
            await seed(app, recipients, 1)
            sender = FakeSender()
            app.services.delivery.register("console", sender)  # type: ignore[arg-type]
            virtual = VirtualTime()
            app.services.schedule.sender.pacer = Pacer({"console": rate}, virtual.monotonic, virtual.sleep)
            clock.set(STARTS - timedelta(days=1))  # the 1-day reminder
            before = app.services.db.commits
            await app.services.schedule.sender.run_due()
            commits = app.services.db.commits - before
            assert len(sender.received) == recipients and set(sender.received.values()) == {1}, "not all once"
    return commits


def commits_in_child(recipients: int, rate: float, tree: Path | None) -> int:
    """`fan_out_commits` in a fresh process, on the code of `tree` (this checkout when None)."""
    env = dict(os.environ)
    if tree is not None:
        env[TREE] = str(tree)
    out = subprocess.run([sys.executable, __file__, "--child-commits", str(recipients), "--rate", str(rate)],
                         check=True, capture_output=True, text=True, env=env).stdout  # fmt: skip
    return int(json.loads(out.splitlines()[-1]))


def checkout(revision: str, folder: Path) -> Path:
    """The files of a git revision, unpacked into `folder`."""
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "archive", revision], cwd=root, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def compare_commits(recipients: int, rate: float, before: str | None) -> None:
    """Print the commits of one fan-out, for this checkout and a revision before it."""
    with tempfile.TemporaryDirectory() as folder:
        trees: dict[str, Path | None] = {"this tree": None}
        if before is not None:
            trees = {f"before ({before})": checkout(before, Path(folder) / "before"), **trees}
        counts = {name: commits_in_child(recipients, rate, tree) for name, tree in trees.items()}
    print(f"commits of one reminder to {recipients} members, paced at {rate:.0f}/s on virtual time")
    for name, count in counts.items():
        print(f"  {name:>20}: {count} commits ({count / recipients:.3f} per recipient)")


EXECUTED: list[str] = []


def job(number: int) -> None:
    """One APScheduler job: a reminder to one recipient."""
    EXECUTED.append(str(number))


async def apscheduler_sqlalchemy(path: Path, jobs: int) -> dict[str, float] | None:
    """APScheduler's SQLAlchemyJobStore on SQLite, defaults: add `jobs` due in the same second, count runs and misses."""
    try:
        from apscheduler.events import EVENT_JOB_MISSED
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
    except ImportError:
        return None
    missed: list[str] = []
    EXECUTED.clear()
    scheduler = AsyncIOScheduler(jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{path}")}, timezone="UTC")
    scheduler.add_listener(lambda event: missed.append(event.job_id), EVENT_JOB_MISSED)
    scheduler.start()
    due = datetime.now(UTC) + timedelta(seconds=1)
    costs = []
    for number in range(jobs):
        started = time.perf_counter()
        scheduler.add_job(job, "date", run_date=due, args=(number,), id=f"r{number}")
        costs.append(time.perf_counter() - started)
    deadline = time.monotonic() + 30
    while len(EXECUTED) + len(missed) < jobs and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    scheduler.shutdown(wait=False)
    return {"add_ms": median(costs) * 1000, "add_total_s": sum(costs), "ran": len(EXECUTED), "missed": len(missed)}


def sqlalchemy_missing() -> bool:
    """Whether SQLAlchemy (the `bench` extra) is absent."""
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        return True
    return False


async def main(recipients: int, events: int, rounds: int, rate: float) -> None:
    """Print medians over `rounds`."""
    results = [await ours(recipients, events, rate) for _ in range(rounds)]
    pick = {key: median([r[key] for r in results]) for key in results[0]}
    print(f"Phosphore: {recipients} reminders in {events} fan-outs due within one minute, {rounds} rounds (medians)")
    print(f"  all delivered exactly once: yes ({2 * recipients} 'sent' rows over two reminder waves)")
    print(
        f"  wake-up instants rebuilt from the database: {pick['jobs']:.0f} in {pick['wake_ms']:.1f} ms (one APScheduler job)"
    )
    print(
        f"  unpaced fan-out: {pick['unpaced_s']:.2f} s ({pick['per_send_ms']:.2f} ms per recipient: claim + send + mark,"
        f" {recipients / pick['unpaced_s']:.0f}/s)"
    )
    print(
        f"  paced at {rate:.0f}/s (token bucket, burst {rate:.0f}): drains in {pick['drain_virtual_s']:.1f} s of platform"
        f" time (ideal {(recipients - rate) / rate:.1f} s), {pick['paced_cpu_s']:.2f} s of our CPU"
    )
    if sqlalchemy_missing():
        print(
            "APScheduler SQLAlchemyJobStore: skipped — SQLAlchemy is not installed (pip install 'SQLAlchemy>=2,<3',"
            " the `bench` extra of pyproject.toml)."
        )
        return
    runs = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            found = await apscheduler_sqlalchemy(Path(folder) / "jobs.db", recipients)
            assert found is not None
            runs.append(found)
    other = {key: median([r[key] for r in runs]) for key in runs[0]}
    print(
        f"APScheduler 3.11 SQLAlchemyJobStore on SQLite, defaults (misfire_grace_time=1), {recipients} jobs due in"
        f" the same second, {rounds} rounds (medians)"
    )
    print(f"  add_job blocks the loop {other['add_ms']:.2f} ms each ({other['add_total_s']:.2f} s for all)")
    per_round = ", ".join(f"{r['ran']:.0f}/{r['missed']:.0f}" for r in runs)
    print(
        f"  ran {other['ran']:.0f}, missed {other['missed']:.0f} (ran/missed per round: {per_round}; a miss is a"
        f" reminder silently never sent)"
    )
    print(
        f"  ratio: per-job add cost {other['add_ms'] / max(pick['wake_ms'] / max(pick['jobs'], 1), 1e-6):.0f}x ours per"
        f" wake-up; our whole unpaced fan-out takes {pick['unpaced_s'] / other['add_total_s']:.2f}x its add_job time alone"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=20.0, help="sends per second of the paced run (Discord default)")
    parser.add_argument("--commits", type=int, default=0, help="count the commits of one fan-out to this many")
    parser.add_argument("--before", help="a git revision whose commits to count too, e.g. main")
    parser.add_argument("--child-commits", type=int, default=0, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)  # one "missed" line per job otherwise
    if arguments.child_commits:
        print(json.dumps(asyncio.run(fan_out_commits(arguments.child_commits, arguments.rate))))
    elif arguments.commits:
        compare_commits(arguments.commits, arguments.rate, arguments.before)
    else:
        asyncio.run(main(arguments.recipients, arguments.events, arguments.rounds, arguments.rate))

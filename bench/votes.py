"""Votes per second through the core (action in, committed, confirmed), against raw sqlite3 inserts.

Both sides do the same: `--voters` rows made durable, each acknowledged once its commit is done.
The raw side commits one row per transaction; the core groups concurrent clicks into transactions.
What the harness itself costs (an asyncio task per click, gathered) is measured apart, reported,
and taken off the core's time. Each round runs both sides, in alternating order, after a full
garbage collection, with the collector left on for both, at the pace the bot sets when it runs
(`bot.core.collector`, one setting for the whole process); the ratio is taken within each round.
Wall time is what a member waits; CPU time (every thread of the process) is printed too, as it
hardly moves when other processes load the machine while wall time can triple.

Run: .venv/bin/python bench/votes.py [--voters 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sqlite3
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)
from _common import median

from bot.core.collector import pace_for_bursts
from bot.core.model import Action, Member
from tests.helpers import make_settings, running_app

SPACE = "console:local"


Timing = tuple[float, float]  # wall seconds, CPU seconds


def raw_sqlite(path: Path, rows: int) -> Timing:
    """Wall and CPU seconds for plain sqlite3 inserts, WAL + synchronous=NORMAL, one commit per row."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE votes (poll_id INTEGER, voter TEXT, position INTEGER, voted_at TEXT, PRIMARY KEY (poll_id, voter, position))"
    )
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(rows):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO votes VALUES (1, ?, 0, '2026-01-01')", (f"v{i}",))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return elapsed


async def harness(actions: list[Action]) -> Timing:
    """Wall and CPU seconds the harness alone takes: one task per click, gathered, each doing nothing."""

    async def click(action: Action) -> Action:
        return action

    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(click(action) for action in actions))
    return time.perf_counter() - started, time.process_time() - cpu


async def through_core(path: Path, voters: int) -> tuple[Timing, Timing, int]:
    """Wall and CPU seconds for `voters` members clicking at once through the dispatcher; the harness's; commits."""
    async with running_app(make_settings(path, bot__live_update_interval=2.0)) as app:
        staff = Member("console:alice", "alice", is_staff=True)
        reply = await app.dispatcher.invoke_text(SPACE, "general", staff, 'poll create "Q ?" "A" "B" "C"')
        assert reply.card is not None
        ids = [control.action_id for control in reply.card.controls]
        actions = [Action(SPACE, "general", Member(f"console:v{i}", f"v{i}"), ids[i % 3]) for i in range(voters)]
        runs = [await harness(actions) for _ in range(5)]  # a few milliseconds each: the median of five
        overhead = (median([wall for wall, _ in runs]), median([cpu for _, cpu in runs]))
        commits = app.services.db.commits
        gc.collect()
        started, cpu = time.perf_counter(), time.process_time()
        replies = await asyncio.gather(*(app.dispatcher.act(action) for action in actions))
        elapsed = time.perf_counter() - started, time.process_time() - cpu
        assert all("enregistré" in (r.text or "") for r in replies)
        assert (await app.services.polls.store.tally(1)).voters == voters
        return elapsed, overhead, app.services.db.commits - commits


def spread(values: list[float], unit: str = "", scale: float = 1.0) -> str:
    """Median and range of measurements."""
    low, mid, high = min(values) * scale, median(values) * scale, max(values) * scale
    return f"{mid:>9,.2f}{unit}  [{low:,.2f} – {high:,.2f}]"


def main() -> None:
    """Alternate both measurements, then print medians, ranges and the ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    pace_for_bursts()  # as `phosphore run` does
    n = args.voters
    figures: dict[str, list[float]] = {}
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory() as folder:
            for side in ("core", "raw") if round_ % 2 == 0 else ("raw", "core"):
                if side == "raw":
                    raw = raw_sqlite(Path(folder) / "raw.db", n)
                else:
                    core, overhead, commits = asyncio.run(through_core(Path(folder) / "core.db", n))
        for key, value in {
            "harness": overhead[0] / n * 1e6,
            "core": n / core[0],
            "net": n / (core[0] - overhead[0]),
            "raw": n / raw[0],
            "commits": commits,
            "gross": raw[0] / core[0],
            "ratio": raw[0] / (core[0] - overhead[0]),
            "core_cpu": (core[1] - overhead[1]) / n * 1e6,
            "raw_cpu": raw[1] / n * 1e6,
            "cpu_ratio": raw[1] / (core[1] - overhead[1]),
        }.items():
            figures.setdefault(key, []).append(value)
    print(f"{n} concurrent voters, {args.rounds} rounds in alternating order (median [min – max])")
    print(f"  harness alone (task per click, gathered) : {spread(figures['harness'], ' µs/vote')}")
    print(f"  core, action -> committed confirmation   : {spread(figures['core'], ' votes/s')}")
    print(f"  core without the harness                 : {spread(figures['net'], ' votes/s')}")
    print(f"  raw sqlite3, one commit per row          : {spread(figures['raw'], ' rows/s')}")
    print(f"  commits per burst (core)                 : {spread(figures['commits'])}")
    print(f"  ratio core / raw, harness included       : {spread(figures['gross'])}")
    print(f"  ratio core / raw, harness apart          : {spread(figures['ratio'])}  (target >= 1.0)")
    print(f"  CPU per vote, core without the harness   : {spread(figures['core_cpu'], ' µs')}")
    print(f"  CPU per row, raw                         : {spread(figures['raw_cpu'], ' µs')}")
    print(f"  ratio by CPU, raw / core                 : {spread(figures['cpu_ratio'])}")


if __name__ == "__main__":
    main()

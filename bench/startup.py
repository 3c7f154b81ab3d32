"""Start-up time and peak memory of `phosphore run` in console mode, on a fresh database and with many events.

"Ready" is the moment the console prints its welcome line; memory is the child's peak RSS.
With `--events 1000,10000` it also starts on databases holding that many upcoming events, each
with its reminders and follow-ups planned (about five instants each). `--before REV` measures
the same starts with the code of a git revision beside the working tree's, in alternating order,
each on a database seeded by its own code.

Run: .venv/bin/python bench/startup.py [--runs 7] [--events 1000,10000] [--before main]
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)
from _common import median

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on now: the live pages start as by default, without clashing."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(db: Path, tree: Path = ROOT, commands: str = '/poll create "Q ?" "A" "B"\n/click 1\n') -> tuple[float, float]:
    """Seconds until the welcome line, and peak RSS in MB, of one console start of the code in `tree`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PHOSPHORE_"))}
    env["PHOSPHORE_WEB_PORT"] = str(free_port())
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "--db", str(db), "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tree,  # `-m bot` imports the package of the working directory first
        env=env,
    )
    assert child.stdout is not None and child.stdin is not None
    child.stdout.readline()
    ready = time.perf_counter() - started
    child.stdin.write(f"{commands}/quit\n")
    child.stdin.close()
    child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"the bot exited with {status}"
    return ready, usage.ru_maxrss / 1024


def seed(db: Path, events: int, tree: Path) -> None:
    """A database of `tree`'s schema with `events` upcoming events, planned by one start of `tree`'s code."""
    subprocess.run([sys.executable, "-m", "bot", "--db", str(db), "migrate"], cwd=tree, check=True,
                   capture_output=True)  # fmt: skip
    now = datetime.now(UTC)
    rows = []
    for number in range(1, events + 1):
        starts = now + timedelta(days=8, hours=number, seconds=number)  # every instant its own, all to come
        rows.append(("console:local", number, "general", "console:alice", "Europe/Paris", f"Journée {number}",
                     starts.isoformat(), (starts + timedelta(hours=6)).isoformat(), number % 50 + 1,
                     now.isoformat(), now.isoformat()))  # fmt: skip
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO events (space, ref, channel, author, timezone, title, starts_at, ends_at, onsite_capacity,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("INSERT INTO counters (space, kind, value) VALUES ('console:local', 'event', ?)", (events,))
    conn.close()
    start(db, tree, commands="")  # the first start plans every event's messages


def checkout(revision: str, folder: Path) -> Path:
    """The files of a git revision, unpacked into `folder`."""
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def spread(values: list[float]) -> str:
    """Median and range, in milliseconds."""
    return f"{median(values) * 1000:6.0f} ms [{min(values) * 1000:.0f}-{max(values) * 1000:.0f}]"


def fresh(runs: int) -> None:
    """Several starts on a fresh database each; medians."""
    readies, peaks = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            ready, peak = start(Path(folder) / "s.db")
            readies.append(ready)
            peaks.append(peak)
    print(f"phosphore run (console), fresh database, {runs} starts")
    print(f"  ready (welcome printed), median : {median(readies) * 1000:.0f} ms  (target <= 1000 ms)")
    print(f"  peak RSS, max over runs         : {max(peaks):.1f} MB  (target <= 60 MB)")


def with_events(sizes: list[int], runs: int, before: str | None) -> None:
    """Starts on databases holding many planned events, the trees alternating (the order flips each run)."""
    with tempfile.TemporaryDirectory() as folder:
        trees = {"this tree": ROOT}
        if before is not None:
            trees = {f"before ({before})": checkout(before, Path(folder) / "before"), **trees}
        for size in sizes:
            dbs = {}
            for name, tree in trees.items():
                dbs[name] = Path(folder) / f"{name.split()[0]}-{size}.db"
                started = time.perf_counter()
                seed(dbs[name], size, tree)
                print(
                    f"  seeded {size} events for {name} (first start planned them in {time.perf_counter() - started:.1f} s)"
                )
            readies: dict[str, list[float]] = {name: [] for name in trees}
            for run in range(runs):
                for name in list(trees)[:: 1 if run % 2 == 0 else -1]:
                    readies[name].append(start(dbs[name], trees[name])[0])
            with sqlite3.connect(next(iter(dbs.values()))) as conn:
                (instants,) = conn.execute("SELECT COUNT(DISTINCT due_at) FROM scheduled_messages").fetchone()
            conn.close()
            print(f"phosphore run (console), {size} upcoming events ({instants} planned instants), {runs} starts each")
            for name, values in readies.items():
                print(f"  {name:>20}: ready {spread(values)}")
            if before is not None:
                first, second = readies.values()
                print(f"  {'ratio':>20}: {median(first) / median(second):.1f}x faster to the welcome line")


def main() -> None:
    """Fresh-database starts, then starts with many events."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--events", default="", help="comma-separated event counts, e.g. 1000,10000")
    parser.add_argument("--before", help="a git revision to measure beside this tree, e.g. main")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    fresh(args.runs)
    sizes = [int(size) for size in args.events.split(",") if size.strip()]
    if sizes:
        with_events(sizes, args.runs, args.before)


if __name__ == "__main__":
    main()

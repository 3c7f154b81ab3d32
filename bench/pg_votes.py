"""Votes per second through the core on PostgreSQL, against raw psycopg inserts (one commit per row) and the core on SQLite.

Each measure: `--voters` members click at once (action in, committed, confirmed); the raw one inserts as many
rows from as many coroutines over a pool of connections, each row its own transaction. Each PostgreSQL run works
in a fresh schema, dropped afterwards. Needs the PostgreSQL schema (migrations/postgres/).
Then, with real bot processes (tests/scripts/pg_process.py): the same votes through one process against half
through each of two (from the `go` line to the last confirmation), and the scheduler's fail-over: the time
from SIGKILL of the leading process to another one leading.

Run: PHOSPHORE_TEST_POSTGRES=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/pg_votes.py
     [--voters 500] [--rounds 5] [--pool 10]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)
import psycopg_pool
from _common import median

from bot.core.model import Action, Member
from tests.children import Child
from tests.helpers import make_settings, running_app
from tests.postgres import fresh_schema

SPACE = "console:local"


async def through_core(database: str, voters: int) -> tuple[float, int]:
    """Votes/s for `voters` concurrent members clicking through the dispatcher; and the commits used."""
    with tempfile.TemporaryDirectory() as folder:
        settings = make_settings(Path(folder) / "core.db", bot__database=database, bot__live_update_interval=2.0)
        async with running_app(settings) as app:
            staff = Member("console:alice", "alice", is_staff=True)
            reply = await app.dispatcher.invoke_text(SPACE, "general", staff, 'poll create "Q ?" "A" "B" "C"')
            assert reply.card is not None
            ids = [control.action_id for control in reply.card.controls]
            actions = [Action(SPACE, "general", Member(f"console:v{i}", f"v{i}"), ids[i % 3]) for i in range(voters)]
            commits = app.services.db.commits
            started = time.perf_counter()
            replies = await asyncio.gather(*(app.dispatcher.act(action) for action in actions))
            elapsed = time.perf_counter() - started
            assert all("enregistré" in (r.text or "") for r in replies)
            assert (await app.services.polls.store.tally(1)).voters == voters
            return voters / elapsed, app.services.db.commits - commits


async def core_postgres(voters: int, pool: int) -> tuple[float, int]:
    with fresh_schema() as url:
        return await through_core(url, voters)


async def core_sqlite(voters: int, pool: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        return await through_core(str(Path(folder) / "core.db"), voters)


async def raw_postgres(voters: int, pool: int) -> tuple[float, int]:
    """Rows/s for psycopg inserts from `voters` coroutines over `pool` connections, one commit per row."""
    with fresh_schema() as url:
        connections = psycopg_pool.AsyncConnectionPool(
            url, min_size=pool, max_size=pool, kwargs={"autocommit": True}, open=False
        )
        await connections.open(wait=True)
        try:
            async with connections.connection() as conn:
                await conn.execute(
                    "CREATE TABLE votes (poll_id INTEGER, voter TEXT, position INTEGER, voted_at TEXT,"
                    " PRIMARY KEY (poll_id, voter, position))"
                )

            async def insert(i: int) -> None:
                async with connections.connection() as conn:
                    await conn.execute("INSERT INTO votes VALUES (1, %s, 0, '2026-01-01')", (f"v{i}",))

            started = time.perf_counter()
            await asyncio.gather(*(insert(i) for i in range(voters)))
            return voters / (time.perf_counter() - started), voters
        finally:
            await connections.close()


def through_processes(voters: int, processes: int) -> float:
    """Votes/s for `voters` members clicking at once, split evenly over `processes` bot processes."""
    with fresh_schema() as url, tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "platform.log"
        share = voters // processes
        children = [Child(url, log, "poll", str(share))]
        try:
            action = children[0].expect("poll ").split()[1]
            children += [Child(url, log, "voter", action, str(share)) for _ in range(processes - 1)]
            for child in children:
                child.expect("ready")
            started = time.perf_counter()
            for child in children:
                child.say("go")
            for child in children:
                assert child.expect("confirmed ") == f"confirmed {share}"
            elapsed = time.perf_counter() - started
            for child in children:
                child.finish()
        finally:
            for child in children:
                child.kill()
        return share * processes / elapsed


def fail_over() -> float:
    """Seconds from SIGKILL of the leading process to a follower leading."""
    with fresh_schema() as url, tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "platform.log"
        leader = Child(url, log, "standby")
        follower = None
        try:
            leader.expect("leading ")
            follower = Child(url, log, "standby")
            follower.expect("ready")
            killed = time.time()
            leader.kill()
            took_over = float(follower.expect("leading ", timeout=30).split()[1])
            follower.finish()
        finally:
            for child in (leader, follower):
                if child is not None:
                    child.kill()
        return took_over - killed


def processes_and_fail_over(voters: int, rounds: int) -> None:
    """Print one process against two, and the fail-over time, over `rounds` alternating rounds."""
    rates: dict[int, list[float]] = {1: [], 2: []}
    for round_ in range(rounds):
        for count in (1, 2) if round_ % 2 == 0 else (2, 1):
            rates[count].append(through_processes(voters, count))
    delays = [fail_over() for _ in range(rounds)]
    print(f"{voters} concurrent voters through real bot processes on PostgreSQL (per second, median [min-max])")
    for count, values in rates.items():
        print(f"  {count} process{'es' if count > 1 else '':2}                       "
              f"{median(values):7.0f}  [{min(values):.0f}-{max(values):.0f}]")  # fmt: skip
    print(f"  ratio two processes / one          {median(rates[2]) / median(rates[1]):7.2f}")
    print(f"scheduler fail-over after SIGKILL of the leader (s): median {median(delays):.2f}"
          f"  [{min(delays):.2f}-{max(delays):.2f}]  (followers try every 1 s)")  # fmt: skip


WAYS: dict[str, Callable[[int, int], Awaitable[tuple[float, int]]]] = {
    "core on PostgreSQL": core_postgres,
    "raw psycopg, one commit per row": raw_postgres,
    "core on SQLite": core_sqlite,
}


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pool", type=int, default=10, help="connections for the raw inserts")
    args = parser.parse_args()
    rates: dict[str, list[float]] = {name: [] for name in WAYS}
    commits: dict[str, list[int]] = {name: [] for name in WAYS}
    names = list(WAYS)
    for round_ in range(args.rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:  # alternate: drift on a loaded machine evens out
            rate, used = await WAYS[name](args.voters, args.pool)
            rates[name].append(rate)
            commits[name].append(used)
    print(f"{args.voters} concurrent voters, {args.rounds} rounds (per second, median [min-max])")
    for name, values in rates.items():
        print(
            f"  {name:34} {median(values):7.0f}  [{min(values):.0f}-{max(values):.0f}]  commits {median(commits[name]):.0f}"
        )
    core, raw = median(rates["core on PostgreSQL"]), median(rates["raw psycopg, one commit per row"])
    print(f"  ratio core / raw on PostgreSQL     {core / raw:7.2f}  (target >= 1.0)")
    print(f"  ratio PostgreSQL / SQLite (core)   {core / median(rates['core on SQLite']):7.2f}")
    processes_and_fail_over(args.voters, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())

"""Votes per second through the core (action in, committed, confirmed), against raw sqlite3 inserts.

Run: .venv/bin/python bench/votes.py [--voters 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)
from _common import median

from bot.core.model import Action, Member
from tests.helpers import make_settings, running_app

SPACE = "console:local"


def raw_sqlite(path: Path, rows: int) -> float:
    """Rows/s for plain sqlite3 inserts, WAL + synchronous=NORMAL, one commit per row."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE votes (poll_id INTEGER, voter TEXT, position INTEGER, voted_at TEXT, PRIMARY KEY (poll_id, voter, position))"
    )
    started = time.perf_counter()
    for i in range(rows):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO votes VALUES (1, ?, 0, '2026-01-01')", (f"v{i}",))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return rows / elapsed


async def through_core(path: Path, voters: int) -> tuple[float, int]:
    """Votes/s for `voters` concurrent members clicking through the dispatcher; and commits used."""
    async with running_app(make_settings(path, bot__live_update_interval=2.0)) as app:
        staff = Member("console:alice", "alice", is_staff=True)
        reply = await app.dispatcher.invoke_text(SPACE, "general", staff, 'poll create "Q ?" "A" "B" "C"')
        ids = [control.action_id for control in reply.card.controls]
        actions = [Action(SPACE, "general", Member(f"console:v{i}", f"v{i}"), ids[i % 3]) for i in range(voters)]
        commits = app.services.db.commits
        started = time.perf_counter()
        replies = await asyncio.gather(*(app.dispatcher.act(action) for action in actions))
        elapsed = time.perf_counter() - started
        assert all("enregistré" in (r.text or "") for r in replies)
        assert (await app.services.polls.store.tally(1)).voters == voters
        return voters / elapsed, app.services.db.commits - commits


def main() -> None:
    """Alternate both measurements, then print medians and the ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    core, raw, commits = [], [], []
    for _round in range(args.rounds):
        with tempfile.TemporaryDirectory() as folder:
            rate, used = asyncio.run(through_core(Path(folder) / "core.db", args.voters))
            core.append(rate)
            commits.append(used)
            raw.append(raw_sqlite(Path(folder) / "raw.db", args.voters))
    print(f"{args.voters} concurrent voters, {args.rounds} rounds (medians)")
    print(
        f"  core, action -> committed confirmation : {median(core):>9,.0f} votes/s  ({median(commits):.0f} commits per burst)"
    )
    print(f"  raw sqlite3, one commit per row        : {median(raw):>9,.0f} rows/s")
    print(f"  ratio core / raw                       : {median(core) / median(raw):>9.2f}  (target >= 1.0)")


if __name__ == "__main__":
    main()

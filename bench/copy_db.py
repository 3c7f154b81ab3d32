"""Rows per second through `phosphore copy-db`: SQLite -> SQLite, and SQLite -> PostgreSQL -> SQLite with --postgres.

Run: .venv/bin/python bench/copy_db.py [--votes 50000] [--rounds 3] [--postgres postgresql://postgres@127.0.0.1:5432/test]
The source is filled through the poll service (one vote per voter and poll); each round copies into fresh targets.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)
from _common import median

from bot.feature import migration_folders
from bot.features import FEATURES
from bot.features.polls.domain import PollDraft
from bot.store.copy import copy_database, open_side
from bot.store.sqlite.database import migrations
from tests.helpers import make_settings, member, running_app

SPACE = "console:local"
POLLS = 20


async def fill(path: Path, votes: int) -> None:
    """`votes` votes over POLLS polls, through the service, 500 at a time."""
    async with running_app(make_settings(path)) as app:
        polls = app.services.polls
        alice = member("alice", staff=True)
        ids = [(await polls.create(SPACE, "general", alice, PollDraft(f"Q{i}", ("A", "B")))).id for i in range(POLLS)]
        for start in range(0, votes, 500):
            await asyncio.gather(*(polls.vote(SPACE, member(f"m{n}"), ids[n % POLLS], n % 2)
                                   for n in range(start, min(votes, start + 500))))  # fmt: skip


def timed(source: str, target: str) -> tuple[int, float]:
    """Rows copied and seconds taken."""
    folders = migration_folders(FEATURES)
    latest = migrations(folders)[-1][0]
    started = time.perf_counter()
    reader, writer = open_side(source, write=False), open_side(target, write=True, folders=folders)
    try:
        rows = sum(copy_database(reader, writer, latest).values())
    finally:
        reader.close()
        writer.close()
    return rows, time.perf_counter() - started


def fresh_schema(url: str) -> tuple[str, Callable[[], None]]:
    """A new schema on the server, and how to drop it."""
    import psycopg

    from tests.postgres import in_schema

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    return in_schema(url, schema), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--votes", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL URL: copy there and back too")
    args = parser.parse_args()
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "source.db"
        asyncio.run(fill(source, args.votes))
        for round_number in range(args.rounds):
            target = Path(folder) / f"copy{round_number}.db"
            rows, seconds = timed(str(source), str(target))
            figures.setdefault("sqlite -> sqlite", []).append(rows / seconds)
            if args.postgres:
                url, drop = fresh_schema(args.postgres)
                try:
                    rows, seconds = timed(str(source), url)
                    figures.setdefault("sqlite -> postgresql", []).append(rows / seconds)
                    rows, seconds = timed(url, str(Path(folder) / f"back{round_number}.db"))
                    figures.setdefault("postgresql -> sqlite", []).append(rows / seconds)
                finally:
                    drop()
    print(f"{rows} rows ({args.votes} votes over {POLLS} polls), {args.rounds} rounds")
    for name, values in figures.items():
        print(f"{name:22} median {median(values):>9,.0f} rows/s  (range {min(values):,.0f}–{max(values):,.0f})")


if __name__ == "__main__":
    main()

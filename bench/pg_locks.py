"""What the stores' locks cost on PostgreSQL: 500 concurrent votes and 200 sign-ups, locks on against off.

On PostgreSQL a vote takes an advisory lock per voter and poll, a sign-up locks its event's row
(bot/store/sql.py), so that two processes cannot both decide on the same state. Both stores run here
through the PostgreSQL Database, in a fresh schema per measure, once with the locks and once without
(the locks replaced by nothing, as on SQLite), alternating which goes first; medians and ranges.

Run: .venv/bin/python bench/pg_locks.py [--dsn postgresql://postgres@127.0.0.1:5432/test] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import _common  # noqa: F401  (puts the project on sys.path)
import psycopg
from _common import median

import bot.features.events.sqlite as events_sqlite
import bot.features.polls.sqlite as polls_sqlite
from bot.feature import migration_folders
from bot.features import FEATURES
from bot.features.events.domain import EventDraft, SignupRequest
from bot.features.polls.domain import PollDraft, next_choices
from bot.features.polls.store import VoteRule
from bot.store import sql
from bot.store.postgres.database import Database

NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)
START = datetime(2026, 6, 30, 8, tzinfo=UTC)


def use_locks(on: bool) -> None:
    """Put the stores' locks in place, or nothing instead (what they do on SQLite)."""
    polls_sqlite.lock = sql.lock if on else (lambda conn, key: None)  # type: ignore[assignment]
    events_sqlite.for_update = sql.for_update if on else (lambda conn: "")  # type: ignore[assignment]


@contextmanager
def schema(dsn: str) -> Iterator[str]:
    """A URL on a fresh schema, dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield f"{dsn}{'&' if '?' in dsn else '?'}options={quote(f'-csearch_path={name}')}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


def click(option: int) -> VoteRule:
    """A click on `option`."""
    return lambda poll, current: next_choices(poll, current, option)


async def measure(dsn: str, on: bool) -> tuple[float, float]:
    """(votes/s, sign-ups/s) with or without the locks."""
    use_locks(on)
    with schema(dsn) as url:
        db = Database(url, migration_folders(FEATURES))
        await db.open()
        try:
            polls = polls_sqlite.SqlitePollStore(db)
            poll = await polls.create_poll("s", "c", "a", PollDraft("Q", ("A", "B", "C")), NOW)
            began = time.perf_counter()
            await asyncio.gather(*(polls.apply_vote("s", poll.id, f"v{i}", f"v{i}", NOW, click(i % 3))
                                   for i in range(500)))  # fmt: skip
            votes = 500 / (time.perf_counter() - began)
            events = events_sqlite.SqliteEventStore(db)
            draft = EventDraft("E", START, START + timedelta(hours=2), onsite_capacity=50)
            event = await events.create_event("s", "c", "a", "UTC", draft, NOW)
            began = time.perf_counter()
            await asyncio.gather(*(events.apply_signup("s", event.id, f"m{i}", f"m{i}", SignupRequest("onsite"), NOW)
                                   for i in range(200)))  # fmt: skip
            return votes, 200 / (time.perf_counter() - began)
        finally:
            await db.close()


async def main(dsn: str, rounds: int) -> None:
    """Alternate the order of the two measures each round; print medians and ranges."""
    found: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for round_ in range(rounds):
        for on in (True, False) if round_ % 2 else (False, True):
            found[on].append(await measure(dsn, on))
    for on in (False, True):
        votes, signups = [v for v, _ in found[on]], [s for _, s in found[on]]
        print(f"locks {'on ' if on else 'off'}: votes/s {median(votes):6.0f} ({min(votes):.0f}-{max(votes):.0f})"
              f"   sign-ups/s {median(signups):5.0f} ({min(signups):.0f}-{max(signups):.0f})")  # fmt: skip
    ratio = median([v for v, _ in found[True]]) / median([v for v, _ in found[False]])
    print(f"votes with locks / without: {ratio:.2f}x over {rounds} rounds")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dsn", default=os.environ.get("PHOSPHORE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.dsn, arguments.rounds))

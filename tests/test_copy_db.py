"""`phosphore copy-db FROM TO`: every row, ids and id counters kept; an empty target only."""

from __future__ import annotations

import fcntl
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.cli import main
from bot.config import Settings
from bot.feature import migration_folders
from bot.features import FEATURES
from bot.features.polls.domain import PollDraft
from bot.store.postgres import database as postgres
from tests.helpers import SPACE, Session, make_settings, member, running_app
from tests.postgres import fresh_schema

ALICE, BOB, CAROL = member("alice", staff=True), member("bob"), member("carol")
Dump = dict[str, list[tuple[Any, ...]]]


async def fill(settings: Settings) -> None:
    """A database with a bit of everything: a poll and votes, ideas (one merged into a later one), drafts, an event."""
    async with running_app(settings) as app:
        polls, ideas = app.services.polls, app.services.ideas
        poll = await polls.create(SPACE, "general", ALICE, PollDraft("Quel jour ?", ("Lundi", "Mardi")))
        await polls.vote(SPACE, BOB, poll.id, 0)
        await polls.vote(SPACE, CAROL, poll.id, 1)
        bot = Session(app)
        await bot.say('/idea wall open "Idées"')
        await ideas.submit(SPACE, "general", BOB, "Un atelier sur la billetterie")
        await ideas.submit(SPACE, "general", CAROL, "Une visite des coulisses du théâtre")
        await ideas.like(SPACE, CAROL, 1)
        await ideas.merge(SPACE, "1", "2", ALICE)  # idea 1 now refers to the later idea 2
        first = await ideas.submit(SPACE, "general", BOB, "Une visite des coulisses du théâtre !")
        second = await ideas.submit(SPACE, "general", CAROL, "Une visite des coulisses du théâtre ?")
        assert first.draft_id is not None and second.draft_id is not None
        await ideas.drop_draft(SPACE, CAROL, second.draft_id)  # the highest draft id is gone: never given again
        # An event with one place, taken, and a member waiting.
        await bot.say('/event create "Rencontre" --start "30 juin 9h30" --end "17h" --onsite 1 --remote 0')
        [event] = await app.services.events.upcoming(SPACE)
        await bot.as_("bob").act(f"event:join:{event.id}:onsite")
        await bot.as_("carol").act(f"event:join:{event.id}:onsite")


def dump(path: Path) -> Dump:
    """Every row of every table (sqlite_sequence included), sorted: the same rows whatever the physical order."""
    conn = sqlite3.connect(path)
    try:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"'), key=repr) for name in names}
    finally:
        conn.close()


async def test_a_sqlite_copy_has_the_same_rows_and_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every table copied row for row, ids and the drafts' id counter kept; the copy runs as the bot's database."""
    source, target = tmp_path / "source.db", tmp_path / "copy" / "target.db"
    target.parent.mkdir()
    await fill(make_settings(source))
    assert main(["copy-db", str(source), str(target)]) == 0
    out = capsys.readouterr().out
    copied, expected = dump(target), dump(source)
    assert copied == expected
    assert expected["idea_drafts"] and expected["sqlite_sequence"] and expected["votes"]
    assert sqlite3.connect(target).execute("SELECT merged_into FROM ideas WHERE id = 1").fetchone() == (2,)
    assert f"votes: {len(expected['votes'])}" in out and "copied" in out
    async with running_app(make_settings(target)) as app:  # the copy is a working database
        await app.services.polls.vote(SPACE, member("dave"), 1, 0)
        tally = await app.services.polls.tally(await app.services.polls.by_id(SPACE, 1))
        assert tally.voters == 3
        drafts = await app.services.ideas.submit(
            SPACE, "general", member("erin"), "Une visite des coulisses du théâtre"
        )
        assert drafts.draft_id is not None and drafts.draft_id > max(row[0] for row in expected["idea_drafts"]) + 1


async def test_a_target_with_rows_is_refused_and_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Copying onto a database that has rows: a clear refusal, exit 1, the target unchanged."""
    source, target = tmp_path / "source.db", tmp_path / "target.db"
    await fill(make_settings(source))
    async with running_app(make_settings(target)) as app:
        await Session(app).say('/idea wall open "Déjà là"')
    before = dump(target)
    assert main(["copy-db", str(source), str(target)]) == 1
    err = capsys.readouterr().err
    assert "is not empty" in err and "idea_walls: 1 row" in err and "copy-db only fills an empty database" in err
    assert dump(target) == before


async def test_a_missing_source_and_a_running_bot_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No source file: said so. A bot running on the source (its lock held): refused, nothing written."""
    assert main(["copy-db", str(tmp_path / "nowhere.db"), str(tmp_path / "target.db")]) == 1
    assert "no database at" in capsys.readouterr().err
    source = tmp_path / "source.db"
    await fill(make_settings(source))
    with open(tmp_path / "source.db.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert main(["copy-db", str(source), str(tmp_path / "target.db")]) == 1
    assert "another phosphore process is running" in capsys.readouterr().err


async def test_round_trip_through_postgresql_gives_the_same_rows(tmp_path: Path) -> None:
    """SQLite -> PostgreSQL -> SQLite: the same rows in every table, id counters included; then PostgreSQL is refused."""
    if not postgres.migrations(migration_folders(FEATURES)):
        pytest.skip("no PostgreSQL migrations (migrations/postgres/) to build the schema from")
    source, back = tmp_path / "source.db", tmp_path / "back.db"
    await fill(make_settings(source))
    with fresh_schema() as url:
        assert main(["copy-db", str(source), url]) == 0
        assert main(["copy-db", str(source), url]) == 1  # now it has rows
        assert main(["copy-db", url, str(back)]) == 0
        with psycopg.connect(url) as conn:  # the server's ids go on after the source's, a dropped draft's included
            nextval = "SELECT nextval(pg_get_serial_sequence(%s, 'id'))"
            assert [conn.execute(nextval, (table,)).fetchone() for table in ("idea_drafts", "polls")] == [(3,), (2,)]
    assert dump(back) == dump(source)

"""`phosphore export`: read-only, and clear about a missing database or an unwritable output file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.config import Settings
from tests.helpers import START, ConsoleSession, make_settings, running_app

ROOT = Path(__file__).resolve().parents[1]


def phosphore(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` as a person would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PHOSPHORE_"))}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          stdin=subprocess.DEVNULL, timeout=60)  # fmt: skip


def dump(db: Path) -> list[str]:
    """Every row and schema statement of a database."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


async def database_with_pending_work(settings: Settings) -> None:
    """An offered place whose deadline has passed, and a reminder left 'sending' by a killed process."""
    async with running_app(settings) as app:
        console = ConsoleSession(app)
        await console.say('/event create "Journée" --start "2030-06-30 09:30" --end "17h" --onsite 1 --confirm_hours 1',
                          "/as bob", "/event signup 1 --mode onsite", "/as carol", "/event signup 1 --mode onsite",
                          "/as bob", "/event withdraw 1")  # fmt: skip
        offered = await app.services.db.fetch_one("SELECT status FROM event_signups WHERE member = 'console:carol'")
        assert offered is not None and offered["status"] == "offered"
    conn = sqlite3.connect(settings.database)
    with conn:
        conn.execute("INSERT INTO deliveries (message_id, recipient, space, name, status, claimed_at)"
                     " SELECT MIN(id), 'console:carol', 'console:local', 'carol', 'sending', ? FROM scheduled_messages",
                     (START.isoformat(),))  # fmt: skip
    conn.close()


async def test_export_changes_nothing(tmp_path: Path) -> None:
    """The offer's deadline has passed (by the real clock) and a delivery is 'sending': both stay as they are."""
    db = tmp_path / "p.db"
    await database_with_pending_work(make_settings(db))
    before = dump(db)
    for kind in ("attendees", "ics"):
        result = phosphore("--db", str(db), "export", kind, "1")
        assert result.returncode == 0, result.stderr
    assert "carol" in phosphore("--db", str(db), "export", "attendees", "1").stdout
    assert dump(db) == before


async def test_an_unwritable_output_file_is_a_clear_failure(tmp_path: Path) -> None:
    """`-o` into a folder that does not exist: a one-line message and exit code 1, no traceback."""
    db = tmp_path / "p.db"
    await database_with_pending_work(make_settings(db))
    result = phosphore("--db", str(db), "export", "ics", "1", "-o", str(tmp_path / "nowhere" / "x.ics"))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"cannot write {tmp_path / 'nowhere' / 'x.ics'}: No such file or directory" in result.stderr


def test_a_missing_database_is_refused_not_created(tmp_path: Path) -> None:
    """A mistyped `--db` is named, with exit code 2, and no empty database appears in its place."""
    typo = tmp_path / "typo.db"
    for kind in (["poll", "1"], ["ideas"], ["attendees", "1"], ["ics", "1"]):
        result = phosphore("--db", str(typo), "export", *kind)
        assert result.returncode == 2 and f"no database at {typo}" in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_database_behind_the_code_asks_for_a_migration(tmp_path: Path) -> None:
    """An export never migrates: an empty or older file is named with the command to run."""
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    result = phosphore("--db", str(empty), "export", "poll", "1")
    assert result.returncode == 2 and "run `phosphore migrate` first" in result.stderr, result.stderr
    assert dump(empty) == ["BEGIN TRANSACTION;", "COMMIT;"]

"""The whole bot on PostgreSQL: chosen by the database setting, migrated, and keeping what it confirmed across restarts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.app import open_database
from bot.cli import _sole_process
from bot.config import ConfigError, Settings, load_settings
from bot.feature import migration_folders
from bot.features import FEATURES
from bot.store.postgres import database as postgres
from bot.store.sqlite import database as sqlite
from tests.helpers import Session, make_settings, running_app
from tests.postgres import fresh_schema

ROOT = Path(__file__).resolve().parents[1]
SPACE = "console:local"
BASELINE = 13  # the PostgreSQL schema starts as a copy of the SQLite one at this version


@pytest.fixture
def url() -> Iterator[str]:
    """A fresh schema on the test server."""
    with fresh_schema() as found:
        yield found


@pytest.fixture
def pg_settings(url: str, tmp_path: Path) -> Settings:
    """Default settings on PostgreSQL; skipped while there is no PostgreSQL schema to migrate to."""
    if not postgres.migrations(migration_folders(FEATURES)):
        pytest.skip("no PostgreSQL migrations (migrations/postgres/) to build the schema from")
    return make_settings(tmp_path / "unused.db", bot__database=url)


def test_a_url_selects_postgresql_and_a_path_sqlite(tmp_path: Path) -> None:
    """`bot.database` or PHOSPHORE_DATABASE_URL naming a server gives the PostgreSQL store; a path stays SQLite."""
    url = "postgresql://bot:s3cret@db.example:5432/phosphore"
    on_file = load_settings(environ={"PHOSPHORE_DB": str(tmp_path / "x.db")})
    on_server = load_settings(environ={"PHOSPHORE_DB": str(tmp_path / "x.db"), "PHOSPHORE_DATABASE_URL": url})
    config = tmp_path / "phosphore.toml"
    config.write_text(f'[bot]\ndatabase = "{url}"\n', encoding="utf-8")
    in_file = load_settings(config, environ={})
    assert on_file.database_url is None and isinstance(open_database(on_file), sqlite.Database)
    for settings in (on_server, in_file):
        assert settings.database_url == url
        db = open_database(settings)
        assert isinstance(db, postgres.Database) and db.path == "postgresql://bot:***@db.example:5432/phosphore"
    assert load_settings(environ={"PHOSPHORE_DATABASE_URL": url}, database=str(tmp_path / "y.db")).database_url is None


def test_the_password_never_shows_in_settings_or_errors(tmp_path: Path) -> None:
    """check-config's listing masks it; a mistyped PHOSPHORE_DATABASE_URL is refused without echoing it."""
    settings = load_settings(environ={"PHOSPHORE_DATABASE_URL": "postgresql://bot:s3cret@db/phosphore"})
    listing = "\n".join(settings.describe())
    assert "bot.database = 'postgresql://bot:***@db/phosphore'" in listing and "s3cret" not in listing
    with pytest.raises(ConfigError, match="must start with postgresql://") as caught:
        load_settings(environ={"PHOSPHORE_DATABASE_URL": "mysql://bot:s3cret@db/phosphore"})
    assert "s3cret" not in str(caught.value)


def test_every_sqlite_migration_after_the_baseline_has_a_postgresql_counterpart() -> None:
    """A schema change made for SQLite is made for PostgreSQL too, in the same folder, with the same number."""
    missing = []
    for folder in [sqlite.SHARED_MIGRATIONS, *migration_folders(FEATURES)]:
        sqlite_versions = {
            int(entry.name[:4])
            for entry in folder.iterdir()
            if entry.name.endswith(".sql") and entry.name[:4].isdigit()
        }
        postgres_folder = folder / "postgres"
        postgres_versions = (
            {int(entry.name[:4]) for entry in postgres_folder.iterdir() if entry.name.endswith(".sql")}
            if postgres_folder.is_dir()
            else set()
        )
        missing += [f"{folder}/postgres/{version:04d}_*.sql" for version in sorted(sqlite_versions - postgres_versions)
                    if version > BASELINE]  # fmt: skip
    assert missing == []


def test_phosphore_migrate_on_a_server_masks_the_password(url: str) -> None:
    """`phosphore migrate --db postgresql://…` applies the PostgreSQL migrations and names the server masked."""
    with_password = url.replace("postgresql://postgres@", "postgresql://postgres:s3cret@", 1)  # trust auth ignores it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PHOSPHORE_"))}
    result = subprocess.run([sys.executable, "-m", "bot", "migrate", "--db", with_password], capture_output=True,
                            text=True, cwd=ROOT, env=env, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    latest = max([version for version, _ in postgres.migrations(migration_folders(FEATURES))], default=0)
    assert f"is at schema version {latest}" in result.stdout
    assert "postgres:***@" in result.stdout and "s3cret" not in result.stdout + result.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone() == (True,)


def test_an_unreachable_server_is_a_clear_failure_without_the_password() -> None:
    """`phosphore migrate` on a server that does not answer: exit 1, the server named, its password masked."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PHOSPHORE_"))}
    result = subprocess.run([sys.executable, "-m", "bot", "migrate", "--db", "postgresql://bot:s3cret@127.0.0.1:1/x"],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)  # fmt: skip
    assert result.returncode == 1
    assert "phosphore: database error: cannot connect to postgresql://bot:***@127.0.0.1:1/x" in result.stderr
    assert "s3cret" not in result.stdout + result.stderr


def test_several_runs_share_a_server_schema(url: str, tmp_path: Path) -> None:
    """Processes on one PostgreSQL server share the work (a file still takes one: tests/test_process.py)."""
    settings = make_settings(tmp_path / "unused.db", bot__database=url)
    with _sole_process(settings), _sole_process(settings):
        pass


async def test_a_vote_a_signup_and_an_idea_survive_a_restart(pg_settings: Settings) -> None:
    """Through the whole bot on PostgreSQL: what members saw confirmed is there after a restart."""
    async with running_app(pg_settings) as first:
        assert isinstance(first.services.db, postgres.Database)
        bot = Session(first)
        poll = await bot.say('/poll create "Où déjeuner ?" "Cantine" "Parc"')
        assert poll.card is not None
        vote = await bot.as_("bob").act(poll.card.controls[0].action_id)
        assert "vote est enregistré" in vote.text, vote.text
        created = await bot.say('/event create "Rencontre" --start "30 juin 9h30" --end "17h" --onsite 2')
        assert created.public, created.text
        (event,) = await first.services.events.upcoming(SPACE)
        await bot.as_("carol").act(f"event:join:{event.id}:onsite")
        idea = await bot.as_("dave").say('idea submit "Un mur des apprentissages"')
        assert idea.subject and idea.subject.startswith("idea:"), idea.text
    async with running_app(pg_settings) as second:
        assert (await second.services.polls.store.tally(1)).counts == (1, 0)
        (kept,) = await second.services.events.upcoming(SPACE)
        signups = await second.services.events.store.signups(kept.id)
        assert [(signup.name, signup.status) for signup in signups] == [("carol", "confirmed")]
        stored = await second.services.ideas.store.get_idea(int(idea.subject.split(":")[1]))
        assert stored is not None and stored.text == "Un mur des apprentissages"

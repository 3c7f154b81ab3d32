"""Settings from TOML and the environment, and the `phosphore` command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import SCHEMA, ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    """Write a file and return its path."""
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    """French, Paris, staff create polls, 2 s live interval."""
    settings = load_settings(environ={})
    assert (settings["bot.locale"], settings["bot.timezone"], settings["polls.creators"]) == (
        "fr",
        "Europe/Paris",
        "staff",
    )
    assert settings["bot.live_update_interval"] == 2.0


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    """A TOML value is overridden by its environment variable, and --db beats both."""
    config = write(tmp_path / "p.toml", '[bot]\ndatabase = "file.db"\ntimezone = "Europe/Brussels"\n')
    settings = load_settings(config, environ={"PHOSPHORE_DB": "env.db"})
    assert settings["bot.database"] == "env.db" and settings["bot.timezone"] == "Europe/Brussels"
    assert load_settings(config, environ={"PHOSPHORE_DB": "env.db"}, database="cli.db")["bot.database"] == "cli.db"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[bot]\ntimezone = "Europe/Pariss"\n', "bot.timezone: unknown time zone 'Europe/Pariss'"),
        ('[bot]\nlocale = "de"\n', "bot.locale: 'de' is not one of fr, en"),
        ('[bot]\ntimezon = "Europe/Paris"\n', "bot.timezon: unknown setting (did you mean bot.timezone?)"),
        ('[slack]\nbot_token = "xoxb-1"\n', "slack.bot_token: secrets are read only from the environment"),
        ("[bot\n", "not valid TOML"),
        ('[spaces."slack:T1"]\ncolour = "red"\n', "spaces.slack:T1.colour: unknown setting"),
        ("[bot]\nlive_update_interval = -1\n", "bot.live_update_interval: -1 must be zero or more"),
    ],
)
def test_bad_settings_name_their_key(tmp_path: Path, toml: str, message: str) -> None:
    """Validation at start names the bad key."""
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path / "p.toml", toml), environ={})
    assert message in str(caught.value)


def test_space_overrides(tmp_path: Path) -> None:
    """A space can have its own language and poll creators."""
    config = write(tmp_path / "p.toml", '[spaces."slack:T1"]\nlocale = "en"\npoll_creators = "everyone"\n')
    assert load_settings(config, environ={}).spaces == {"slack:T1": {"locale": "en", "poll_creators": "everyone"}}


def test_check_config_hides_secrets(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """check-config prints every setting but only says whether a secret is set."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "SLACK_BOT_TOKEN = (set)" in out and "very-secret" not in out and "configuration OK" in out


def test_check_config_fails_with_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad file exits 2 with the key named on stderr."""
    config = write(tmp_path / "p.toml", '[polls]\ncreators = "anyone"\n')
    assert main(["--config", str(config), "check-config"]) == 2
    assert "polls.creators: 'anyone' is not one of staff, everyone" in capsys.readouterr().err


def run_cli(*args: str, stdin: str = "", db: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` as a person would, on a given database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PHOSPHORE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


def test_console_persists_and_export_poll_agrees(tmp_path: Path) -> None:
    """Piped console sessions share the database; `phosphore export poll` writes the same counts."""
    db = tmp_path / "p.db"
    first = run_cli("run", stdin='/poll create "Q ?" "A" "B"\n/as bob\n/click 2\n', db=db)
    assert first.returncode == 0 and "#1 · Q ?" in first.stdout, first.stderr
    quick = [run_cli("run", stdin="/poll list\n", db=db) for _ in range(3)]  # ends while a wake-up may run
    assert all(run.returncode == 0 and "Traceback" not in run.stderr for run in quick), [r.stderr for r in quick]
    second = run_cli("run", stdin="/as carol\n/click 2\n/poll results 1\n", db=db)
    assert second.returncode == 0
    assert "Rien à cliquer" in second.stdout  # no card shown yet in this session: nothing to click
    assert "1 votant" in second.stdout
    third = run_cli("run", stdin="/poll list\n", db=db)
    assert "#1 · Q ?" in third.stdout
    export = run_cli("export", "poll", "#1", db=db)
    assert export.returncode == 0
    assert "#1;Q ?;B;1;100,0;1" in export.stdout and "bob;B;" in export.stdout  # a French space: ";"
    assert 'Colonnes séparées par « ; » (fichier UTF-8). Pour « , » : --sep ",".' in export.stderr
    export = run_cli("export", "poll", "#1", "--sep", ",", db=db)
    assert "#1,Q ?,B,1,100.0,1" in export.stdout and "bob,B," in export.stdout
    missing = run_cli("export", "poll", "7", db=db)
    assert missing.returncode == 1 and "Aucun sondage #7" in missing.stderr


def test_migrate_and_help(tmp_path: Path) -> None:
    """`migrate` reports the schema version; --help works everywhere; bad usage exits 2."""
    migrated = run_cli("migrate", db=tmp_path / "m.db")
    assert migrated.returncode == 0 and "schema version" in migrated.stdout
    for args in (["--help"], ["run", "--help"], ["export", "poll", "--help"]):
        assert run_cli(*args, db=tmp_path / "m.db").returncode == 0
    assert run_cli("frobnicate", db=tmp_path / "m.db").returncode == 2
    bad = run_cli("run", "--adapter", "irc", db=tmp_path / "m.db")
    assert bad.returncode == 2 and "unknown adapter 'irc'" in bad.stderr


def test_example_config_is_valid_and_documents_every_setting() -> None:
    """config/phosphore.example.toml loads, and names every key the code knows."""
    example = ROOT / "config" / "phosphore.example.toml"
    load_settings(example, environ={})
    text = example.read_text(encoding="utf-8")
    undocumented = [key for key in SCHEMA if f"{key.split('.', 1)[1]} =" not in text]
    assert undocumented == []


@pytest.mark.parametrize("url", ["http://bot.example", "https://bot example", "https://bot.example/\nx", "bot.example"])
def test_the_public_url_must_be_an_https_address(url: str) -> None:
    """slack.public_url goes into the manifest as is: a bad one stops the bot at start, naming the key."""
    with pytest.raises(ConfigError, match=r"slack\.public_url"):
        load_settings(environ={"PHOSPHORE_PUBLIC_URL": url})

"""The idea wall speaks French and English alike, and its settings are checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.commands.registry import build_registry
from bot.config import ConfigError, load_settings
from bot.core.ideas import STATUSES
from bot.i18n import LOCALES_DIR, catalog


def keys(locale: str) -> set[str]:
    """The message ids of a locale's ideas.po."""
    with (LOCALES_DIR / locale / "ideas.po").open("rb") as handle:
        return {str(message.id) for message in read_po(handle) if message.id and message.string}


def test_french_and_english_have_the_same_keys() -> None:
    """No idea-wall message exists in one language only."""
    assert keys("fr") == keys("en")


def test_every_idea_command_and_option_is_translated() -> None:
    """Names, help and option labels of every /idea command, and every status, in both languages."""
    registry = build_registry()
    wanted = {f"idea.status.{status}" for status in STATUSES} | {"cmd.idea.name", "cmd.idea.help"}
    for command in registry.in_group("idea"):
        wanted |= {f"cmd.{command.key}.name", f"cmd.{command.key}.help"}
        wanted |= {f"cmd.{command.key}.{o.name}.{part}" for o in command.options for part in ("label", "help")}
        if command.form:
            wanted.add(f"cmd.{command.key}.title")
    for locale in ("fr", "en"):
        assert wanted - set(catalog(locale)) == set(), locale


def test_idea_settings_defaults_environment_and_bounds(tmp_path: Path) -> None:
    """ideas.* keys have their defaults, follow the environment, and refuse values out of range."""
    settings = load_settings(environ={})
    assert (settings["ideas.max_length"], settings["ideas.flood_per_minute"], settings["ideas.duplicate_threshold"]) \
        == (1000, 10, 80)
    settings = load_settings(environ={"PHOSPHORE_IDEAS_FLOOD_PER_MINUTE": "3"})
    assert settings["ideas.flood_per_minute"] == 3
    config = tmp_path / "phosphore.toml"
    config.write_text("[ideas]\nduplicate_threshold = 101\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ideas.duplicate_threshold"):
        load_settings(config, environ={})

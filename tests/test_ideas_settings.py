"""The idea wall's settings and status names."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.features.ideas.domain import STATUSES
from bot.i18n import catalog


def test_every_status_is_translated() -> None:
    """Status names are built from a prefix, so the generic i18n test cannot see them: check them here."""
    for locale in ("fr", "en"):
        assert {f"idea.status.{status}" for status in STATUSES} <= set(catalog(locale)), locale


def test_idea_settings_defaults_environment_and_bounds(tmp_path: Path) -> None:
    """ideas.* keys have their defaults, follow the environment, and refuse values out of range."""
    settings = load_settings(environ={})
    assert (
        settings["ideas.max_length"],
        settings["ideas.flood_per_minute"],
        settings["ideas.duplicate_threshold"],
    ) == (1000, 10, 80)
    settings = load_settings(environ={"PHOSPHORE_IDEAS_FLOOD_PER_MINUTE": "3"})
    assert settings["ideas.flood_per_minute"] == 3
    config = tmp_path / "phosphore.toml"
    config.write_text("[ideas]\nduplicate_threshold = 101\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ideas\.duplicate_threshold"):
        load_settings(config, environ={})

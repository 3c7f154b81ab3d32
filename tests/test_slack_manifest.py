"""The Slack app manifest follows the configuration; slash command names are configurable."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from bot.adapters.slack.manifest import manifest, manifest_yaml, slash_commands
from bot.cli import choose_adapters, main
from bot.commands.registry import build_registry
from bot.config import ConfigError, Settings, load_settings
from bot.features import FEATURES
from tests.slack_support import ALICE, slack_bot

ROOT = Path(__file__).resolve().parent.parent


def settings_with(environ: dict[str, str]) -> Settings:
    """Settings from defaults and an environment only."""
    return load_settings(path=Path("/dev/null"), environ=environ)


def test_the_checked_in_manifest_is_the_default_one() -> None:
    """config/slack-manifest.yml is exactly what `phosphore slack-manifest` prints with defaults."""
    expected = manifest_yaml(settings_with({}), build_registry(FEATURES))
    assert (ROOT / "config" / "slack-manifest.yml").read_text(encoding="utf-8") == expected


def test_socket_mode_by_default_and_request_urls_in_http_mode() -> None:
    """Without a public URL: Socket Mode, no URLs; with one (and no app token): HTTP request URLs."""
    registry = build_registry(FEATURES)
    socket = manifest(settings_with({}), registry)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in socket["settings"]["interactivity"]
    http = manifest(settings_with({"PHOSPHORE_PUBLIC_URL": "https://bot.example.org/"}), registry)
    url = "https://bot.example.org/slack/events"
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["settings"]["interactivity"]["request_url"] == url
    assert http["settings"]["event_subscriptions"]["request_url"] == url
    assert {c["url"] for c in http["features"]["slash_commands"]} == {url}


def test_the_bot_hears_channel_messages() -> None:
    """Features listening to a channel need the message events and the history scopes to read it."""
    declared = manifest(settings_with({}), build_registry(FEATURES))
    assert declared["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "message.channels",
        "message.groups",
    ]
    assert {"channels:history", "groups:history"} <= set(declared["oauth_config"]["scopes"]["bot"])


def test_command_names_come_from_settings() -> None:
    """slack.commands renames a group's slash command; bad entries are configuration errors."""
    registry = build_registry(FEATURES)
    renamed = settings_with({"PHOSPHORE_SLACK_COMMANDS": "poll=/sondage"})
    assert slash_commands(renamed, registry) == {
        "/phosphore": "help",
        "/sondage": "poll",
        "/idea": "idea",
        "/event": "event",
        "/schedule": "schedule",
        "/live": "live",
        "/survey": "survey",
        "/report": "report",
    }
    assert "/sondage" in manifest_yaml(renamed, registry)
    for bad in ("nope=/x", "poll=sondage", "poll=/phosphore"):
        with pytest.raises(ConfigError, match=r"slack\.commands"):
            slash_commands(settings_with({"PHOSPHORE_SLACK_COMMANDS": bad}), registry)


def test_the_cli_prints_the_manifest_and_picks_slack_from_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """`phosphore slack-manifest` prints YAML; SLACK_BOT_TOKEN selects the Slack adapter."""
    monkeypatch.delenv("PHOSPHORE_SLACK_COMMANDS", raising=False)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--config", "/dev/null", "slack-manifest"]) == 0
    assert out.getvalue().startswith("# Slack app manifest") and 'command: "/poll"' in out.getvalue()
    assert choose_adapters(None, settings_with({"SLACK_BOT_TOKEN": "xoxb-1"})) == ["slack"]
    assert choose_adapters(None, settings_with({})) == ["console"]


async def test_a_renamed_command_works(tmp_path: Path) -> None:
    """/sondage créer … runs poll create (French subcommand name)."""
    async with slack_bot(tmp_path, slack__commands=("poll=/sondage",)) as bot:
        assert (await bot.command('créer "Q" "A" "B"', user=ALICE, name="/sondage"))[0] == 200
        await bot.fake.wait_for("chat.postMessage")

"""Slash command names and the Slack app manifest for the current settings (no Slack import)."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.commands.registry import Registry
from bot.config import ConfigError, Settings
from bot.i18n import Translator

DEFAULT_NAMES = {"help": "/phosphore"}  # Slack reserves some words; /help is too generic to claim
COMMAND_NAME = re.compile(r"^/[a-z0-9_\-àâçéèêëîïôûùüÿœæ]{1,31}$")
BOT_SCOPES = (
    "commands",  # slash commands
    "chat:write",  # post, update and ephemeral messages
    "chat:write.public",  # post polls in public channels without being invited
    "im:write",  # open a DM for private notices and exports
    "files:write",  # CSV exports
    "users:read",  # names, locales and admin flags
    "usergroups:read",  # the staff user group, and user groups a survey is sent to
    "channels:read",  # the members of a public channel a survey is sent to
    "groups:read",  # the same for a private channel the bot is in
    "channels:history",  # messages of public channels the bot is in, for the features listening there
    "groups:history",  # the same in private channels it was invited to
)
BOT_EVENTS = ("app_home_opened", "message.channels", "message.groups")
USAGE_HINT_MAX = 1000  # Slack's limit for a slash command's usage hint


def slash_commands(settings: Settings, registry: Registry) -> dict[str, str]:
    """Slash command name -> command group, from `slack.commands` ("poll=/sondage") over the defaults."""
    names = {group: DEFAULT_NAMES.get(group, f"/{group}") for group in registry.groups()}
    for entry in settings["slack.commands"]:
        group, _, name = entry.partition("=")
        group, name = group.strip(), name.strip().lower()
        if group not in names:
            raise ConfigError(f"slack.commands: unknown command group {group!r} (one of {', '.join(names)})")
        if not COMMAND_NAME.match(name):
            raise ConfigError(f"slack.commands: {name!r} is not a slash command name such as /sondage")
        names[group] = name
    if len(set(names.values())) != len(names):
        raise ConfigError("slack.commands: two command groups share a slash command name")
    return {name: group for group, name in names.items()}


def usage_hint(names: list[str]) -> str:
    """Subcommand names joined by " | ", as many whole names as fit in Slack's limit."""
    hint = ""
    for name in names:
        longer = f"{hint} | {name}" if hint else name
        if len(longer) > USAGE_HINT_MAX:
            break
        hint = longer
    return hint


def socket_mode(settings: Settings) -> bool:
    """Socket Mode unless a public URL is configured and no app-level token is set."""
    return "SLACK_APP_TOKEN" in settings.secrets or not settings["slack.public_url"]


def manifest(settings: Settings, registry: Registry) -> dict[str, Any]:
    """The app manifest: commands, scopes, Home tab, interactivity, Socket Mode or request URLs."""
    _ = Translator(settings["bot.locale"])
    socket = socket_mode(settings)
    url = settings["slack.public_url"].rstrip("/") + "/slack/events"
    commands = []
    for name, group in slash_commands(settings, registry).items():
        subcommands = registry.in_group(group)
        entry: dict[str, Any] = {"command": name, "description": _(f"cmd.{group}.help")[:100]}
        if len(subcommands) > 1:  # a group of one command (/help) takes no subcommand word
            entry["usage_hint"] = usage_hint([_(f"cmd.{command.key}.name") for command in subcommands])
        # Unescaped text: the adapter neutralises mentions itself before anything is re-posted.
        entry["should_escape"] = False
        if not socket:
            entry["url"] = url
        commands.append(entry)
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if not socket:
        events["request_url"] = url
        interactivity["request_url"] = url
    name = settings["slack.app_name"]
    return {
        "display_information": {"name": name, "description": _("slack.manifest.description")[:140]},
        "features": {
            "app_home": {  # read-only Messages tab: where private notices and CSV exports arrive
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket,
            "token_rotation_enabled": False,
        },
    }


def to_yaml(value: Any, indent: int = 0) -> str:
    """A small YAML writer for the manifest: mappings, lists and JSON-quoted scalars."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(item, indent + 1))
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    else:
        for item in value:
            if isinstance(item, dict):
                first, *rest = to_yaml(item, indent + 1).splitlines()
                lines.append(f"{pad}- {first.lstrip()}")
                lines.extend(rest)
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return "\n".join(lines)


def _scalar(value: Any) -> str:
    """A YAML scalar; JSON strings are valid YAML and quote everything that needs it."""
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value, ensure_ascii=False)


def manifest_yaml(settings: Settings, registry: Registry) -> str:
    """The manifest as the YAML Slack's "Create an app > From a manifest" accepts."""
    header = "# Slack app manifest for Phosphore — generated by `phosphore slack-manifest`.\n"
    return header + to_yaml(manifest(settings, registry)) + "\n"

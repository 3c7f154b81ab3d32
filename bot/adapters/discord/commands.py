"""Registry declarations -> application command groups, localized from our catalogs."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.adapters.discord.render import DESCRIPTION_TEXT_MAX, clip, command_name
from bot.commands.registry import Command, Kind, Option, Registry
from bot.features.ideas.commands import WALL_ACTIONS
from bot.features.ideas.domain import STATUSES
from bot.i18n import catalog

BASE_LOCALE = "en"  # the names Discord shows when no localization matches, and sends back in interactions
LOCALES = {discord.Locale.french: "fr", discord.Locale.american_english: "en", discord.Locale.british_english: "en"}

CommandRunner = Callable[[discord.Interaction[Any], Command, dict[str, Any]], Awaitable[None]]
Autocomplete = Callable[[discord.Interaction[Any], Command, str, str], Awaitable[list[app_commands.Choice[str]]]]
# What a reference option of each group points at; "wall" and "event" options point at walls and events anywhere.


# Text options whose handler accepts only these values (typed in any language elsewhere): choices on Discord,
# named by the catalog keys `<prefix>.<value>`.
FIXED_VALUES = {
    ("idea.status", "status"): (STATUSES, "idea.status"),
    ("idea.wall", "action"): (WALL_ACTIONS, "idea.wall.action"),
}
# Server commands only, installed with the bot (not on user accounts): `contexts` and `integration_types`.
GUILD_ONLY = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)
GUILD_INSTALL = app_commands.AppInstallationType(guild=True, user=False)
STAFF_PERMISSIONS = discord.Permissions(manage_guild=True)


# Discord has no variadic options: a LIST is one text whose items are separated by ; or |, described so.
LIST_HELP = "discord.list_help"


def localized(language: str, key: str, fallback: str, *, name: bool = False) -> str:
    """A catalog text made valid for Discord: a lowercase name of ≤ 32 characters, or a description of ≤ 100."""
    found = catalog(language).get(key) or fallback
    return command_name(found) if name else clip(found, DESCRIPTION_TEXT_MAX)


def text(key: str, fallback: str, *, name: bool = False) -> locale_str:
    """A translatable string: the English text as base, the catalog key in its extras."""
    return locale_str(localized(BASE_LOCALE, key, fallback, name=name), key=key, fallback=fallback, name=name)


class CatalogTranslator(app_commands.Translator):
    """Feeds Discord's name/description localizations from our .po catalogs."""

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        """The catalog text for this Discord locale, made a valid name where it is one; None if unknown."""
        language, extras = LOCALES.get(locale), string.extras
        if language is None or "key" not in extras:
            return None
        return localized(language, extras["key"], extras["fallback"], name=extras["name"])


def annotation(option: Option) -> Any:
    """The Python type discord.py turns into the option's Discord type (LIST is one `;`-separated string)."""
    if option.kind is Kind.INT and (option.min_value, option.max_value) == (None, None):
        return int
    if option.kind is Kind.INT:
        return app_commands.Range[int, option.min_value, option.max_value]
    if option.kind is Kind.FLAG:
        return bool
    if option.kind is Kind.TEXT and option.max_length:
        return app_commands.Range[str, 1, option.max_length]
    return str


class GuildGroup(app_commands.Group):
    """A top-level group whose payload leaves out the deprecated `dm_permission` (its `contexts` say it all)."""

    def to_dict(self, tree: app_commands.CommandTree[Any]) -> dict[str, Any]:
        """discord.py's payload without `dm_permission`."""
        payload = super().to_dict(tree)
        payload.pop("dm_permission", None)
        return payload


class GuildCommand(app_commands.Command[Any, ..., None]):
    """A top-level command (or subcommand) whose payload leaves out the deprecated `dm_permission`."""

    def to_dict(self, tree: app_commands.CommandTree[Any]) -> dict[str, Any]:
        """discord.py's payload without `dm_permission`."""
        payload = super().to_dict(tree)
        payload.pop("dm_permission", None)
        return payload


def choices(command: Command, option: Option) -> list[app_commands.Choice[str]]:
    """The fixed values of an option as localized choices (none for free options)."""
    if option.choices:
        values, prefix = option.choices, f"cmd.{command.key}.{option.name}"
    else:
        values, prefix = FIXED_VALUES.get((command.key, option.name), ((), ""))
    return [app_commands.Choice(name=text(f"{prefix}.{value}", value), value=value) for value in values]


def is_required(command: Command, option: Option) -> bool:
    """Required on Discord only when no modal can ask for it: a form command opens its modal instead."""
    return option.required and not command.form


def reference_kind(command: Command, option: Option) -> str | None:
    """The kind of thing an option names ("poll", "idea", "event", "scheduled", "wall"), as declared."""
    return option.refers


def completer(
    command: Command, kind: str, refs: Autocomplete
) -> Callable[..., Awaitable[list[app_commands.Choice[str]]]]:
    """The autocomplete callback of one option: suggestions of its own kind."""

    async def complete(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        """What matches the text typed so far."""
        return await refs(interaction, command, kind, current)

    return complete


def build_command(
    command: Command, run: CommandRunner, refs: Autocomplete, *, top_level: bool = False
) -> app_commands.Command[Any, ..., None]:
    """One subcommand whose typed parameters mirror the declaration; `top_level`: a command of its own named after its group."""

    async def callback(interaction: discord.Interaction[Any], **values: Any) -> None:
        """Hand the options to the adapter."""
        await run(interaction, command, values)

    empty = inspect.Parameter.empty
    params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)]
    params += [
        inspect.Parameter(
            o.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=annotation(o),
            default=empty if is_required(command, o) else None,
        )
        for o in command.options
    ]
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    prefix = f"cmd.{command.key}"
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        o.name: text(LIST_HELP if o.kind is Kind.LIST else f"{prefix}.{o.name}.help", o.name) for o in command.options
    }
    callback.__discord_app_commands_param_rename__ = {  # type: ignore[attr-defined]
        o.name: text(f"{prefix}.{o.name}.label", o.name, name=True) for o in command.options
    }
    callback.__discord_app_commands_param_choices__ = {  # type: ignore[attr-defined]
        o.name: values for o in command.options if (values := choices(command, o))
    }
    callback.__discord_app_commands_param_autocomplete__ = {  # type: ignore[attr-defined]
        o.name: completer(command, kind, refs) for o in command.options if (kind := reference_kind(command, o))
    }
    if not top_level:
        return GuildCommand(
            name=text(f"{prefix}.name", command.name, name=True),
            description=text(f"{prefix}.help", command.name),
            callback=callback,
        )
    return GuildCommand(
        name=text(f"cmd.{command.group}.name", command.group, name=True),
        description=text(f"cmd.{command.group}.help", command.group),
        callback=callback,
        allowed_contexts=GUILD_ONLY,
        allowed_installs=GUILD_INSTALL,
    )


def build_groups(
    registry: Registry, run: CommandRunner, refs: Autocomplete
) -> list[app_commands.Group | app_commands.Command[Any, ..., None]]:
    """One server-only top-level command per registry group, hidden from non-staff when all it does is staff-only.

    A group of one command (/help) is a plain command, as typed elsewhere.
    """
    tops: list[app_commands.Group | app_commands.Command[Any, ..., None]] = []
    for name in registry.groups():
        commands = registry.in_group(name)
        top: app_commands.Group | app_commands.Command[Any, ..., None]
        if len(commands) == 1:
            top = build_command(commands[0], run, refs, top_level=True)
        else:
            top = GuildGroup(
                name=text(f"cmd.{name}.name", name, name=True),
                description=text(f"cmd.{name}.help", name),
                allowed_contexts=GUILD_ONLY,
                allowed_installs=GUILD_INSTALL,
            )
            for command in commands:
                top.add_command(build_command(command, run, refs))
        # Discord applies default permissions to a whole top-level command, not per subcommand; server admins
        # can allow it to a role (the staff role) in Server Settings → Integrations.
        if all(command.permission == "staff" for command in commands):
            top.default_permissions = STAFF_PERMISSIONS
        tops.append(top)
    return tops

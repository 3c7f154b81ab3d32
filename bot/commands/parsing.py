"""The text form of commands: `/poll create "Question ?" "A" "B" --multi 2`."""

from __future__ import annotations

import shlex
from typing import Any

from bot.commands.registry import Command, Kind, Registry
from bot.core.errors import UserError
from bot.i18n import SUPPORTED, translate

# Phones and Slack's editor turn straight quotes into typographic ones; French uses « ».
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "’": "'", "‘": "'"})


def split_words(text: str) -> list[str]:
    """Shell-like words, accepting typographic quotes."""
    try:
        return shlex.split(text.translate(QUOTES).replace("\u00a0", " "))
    except ValueError:
        raise UserError("args.unbalanced_quotes") from None


def localized_names(key: str, canonical: str) -> set[str]:
    """The English id and its translated names ("create", "créer")."""
    names = {canonical}
    for locale in SUPPORTED:
        translated = translate(locale, f"{key}.name")
        if translated != f"{key}.name":
            names.add(translated.casefold())
    return names


def find_command(registry: Registry, words: list[str]) -> tuple[Command, list[str]]:
    """The command named by the first words, and the words left."""
    if not words:
        raise UserError("args.unknown_command", command="")
    group = words[0].lstrip("/").casefold()
    candidates = [c for c in registry.commands.values() if group in localized_names(f"cmd.{c.group}", c.group)]
    if not candidates:
        raise UserError("args.unknown_command", command=words[0])
    name = words[1].casefold() if len(words) > 1 else ""
    for candidate in candidates:
        if name in localized_names(f"cmd.{candidate.key}", candidate.name):
            return candidate, words[2:]
    if len(candidates) == 1:  # a group of one command (/help) needs no subcommand word
        return candidates[0], words[1:]
    if not name:
        raise UserError("args.missing_subcommand", group=candidates[0].group)
    raise UserError("args.unknown_subcommand", group=candidates[0].group, command=words[1])


def parse_words(command: Command, words: list[str]) -> dict[str, Any]:
    """Raw option values from the words after the command; types are checked later."""
    args: dict[str, Any] = {}
    positional = [option for option in command.options if option.positional]
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("--") and len(word) > 2:
            name, _, inline = word[2:].partition("=")
            option = command.option(name.replace("-", "_"))
            if option is None:
                raise UserError("args.unknown_option", option=word, command=command.path)
            if option.kind is Kind.FLAG and not inline:
                args[option.name] = "true"
            elif inline:
                args[option.name] = inline
            elif index + 1 < len(words):
                index += 1
                args[option.name] = words[index]
            else:
                raise UserError("args.option_needs_value", option=word)
        elif positional:
            option = positional[0]
            if option.kind is Kind.LIST:
                args.setdefault(option.name, []).append(word)
            else:
                args[option.name] = word
                positional.pop(0)
        else:
            raise UserError("args.unexpected", word=word, command=command.path)
        index += 1
    return args

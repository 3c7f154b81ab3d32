"""The text form of commands: `/poll create "Question ?" "A" "B" --multi 2`."""

from __future__ import annotations

import re
from typing import Any

from bot.commands.registry import Command, Kind, Option, Registry
from bot.core.errors import UserError
from bot.core.text import fold
from bot.i18n import SUPPORTED, translate

# Phones and Slack's editor turn straight quotes into typographic ones; French uses « ».
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "’": "'", "‘": "'"})


LINE_MAX = 8000  # far above any real command (25 options of 75 characters), far below a pasted file

# A word is matched whole, its quoted parts in chunks: shlex builds each word a character at
# a time, which is quadratic in its length (a 1 MB line blocked the bot for 30 s).
_WORD = re.compile(r"""(?:"(?:[^"\\]+|\\.)*"|'[^']*'|\\.|[^\s"'\\]+)+""", re.DOTALL)
_PIECE = re.compile(r""""((?:[^"\\]+|\\.)*)"|'([^']*)'|\\(.)|([^"'\\]+)""", re.DOTALL)
_MARKS = re.compile(r"""["'\\]""")
_DOUBLE_ESCAPE = re.compile(r'\\([\\"])')  # inside double quotes only \" and \\ are escapes


def tokenize(text: str) -> list[str]:
    """Words as a POSIX shell splits them (quotes, backslash escapes), in linear time."""
    words: list[str] = []
    end = 0
    for match in _WORD.finditer(text):
        if text[end : match.start()].strip():  # no word starts there: an unclosed quote or a lone backslash
            raise UserError("args.unbalanced_quotes")
        end, word = match.end(), match.group()
        words.append(_unquote(word) if _MARKS.search(word) else word)
    if text[end:].strip():
        raise UserError("args.unbalanced_quotes")
    return words


def _unquote(word: str) -> str:
    """A word with its quotes and escapes resolved."""
    parts = []
    for double, single, escaped, plain in _PIECE.findall(word):
        parts.append(_DOUBLE_ESCAPE.sub(r"\1", double) or single or escaped or plain)
    return "".join(parts)


def split_words(text: str) -> list[str]:
    """Shell-like words, accepting typographic quotes; overlong lines are refused before any work."""
    if len(text) > LINE_MAX:
        raise UserError("args.line_too_long", max=LINE_MAX, length=len(text))
    return tokenize(text.translate(QUOTES).replace("\u00a0", " "))


def localized_names(key: str, canonical: str) -> set[str]:
    """The English id and its translated names, folded ("create", "creer")."""
    names = {fold(canonical)}
    for locale in SUPPORTED:
        translated = translate(locale, f"{key}.name")
        if translated != f"{key}.name":
            names.add(fold(translated))
    return names


def find_command(registry: Registry, words: list[str]) -> tuple[Command, list[str]]:
    """The command named by the first words, and the words left."""
    if not words:
        raise UserError("args.unknown_command", command="")
    group = fold(words[0].lstrip("/"))
    candidates = [c for c in registry.commands.values() if group in localized_names(f"cmd.{c.group}", c.group)]
    if not candidates:
        raise UserError("args.unknown_command", command=words[0])
    name = fold(words[1]) if len(words) > 1 else ""
    for candidate in candidates:
        if name in localized_names(f"cmd.{candidate.key}", candidate.name):
            return candidate, words[2:]
    if len(candidates) == 1:  # a group of one command (/help) needs no subcommand word
        return candidates[0], words[1:]
    helper = next((c for c in registry.commands.values() if c.group == "help"), None)
    if helper is not None and name in localized_names("cmd.help", "help"):  # "/poll help" is "/help poll"
        return helper, [words[0].lstrip("/"), *words[2:]]
    if not name:
        raise UserError("args.missing_subcommand", group=candidates[0].group)
    raise UserError("args.unknown_subcommand", group=candidates[0].group, command=words[1])


def find_option(command: Command, word: str) -> Option | None:
    """The option `--word` names: its English name or its label in any language ("--début", "--anonyme")."""
    wanted = fold(word)
    for option in command.options:
        if wanted == fold(option.name):
            return option
    for option in command.options:
        labels = {fold(translate(locale, f"cmd.{command.key}.{option.name}.label")) for locale in SUPPORTED}
        if wanted in labels:
            return option
    return None


def parse_words(command: Command, words: list[str]) -> dict[str, Any]:
    """Raw option values from the words after the command; types are checked later."""
    args: dict[str, Any] = {}
    positional = [option for option in command.options if option.positional]
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("--") and len(word) > 2:
            name, _, inline = word[2:].partition("=")
            option = find_option(command, name)
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

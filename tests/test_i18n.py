"""Every user-facing string exists in French and in English, with the same placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from bot.commands.registry import build_registry
from bot.config import SCHEMA
from bot.features import FEATURES
from bot.i18n import SUPPORTED, Translator, catalog, catalog_files, normalize_locale

BOT = Path(__file__).resolve().parents[1] / "bot"
KEY = re.compile(r"^[a-z]+(\.[a-z0-9_]+)+$")


def placeholders(text: str) -> set[str]:
    """The named fields of a str.format template."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def keys_in_code() -> set[str]:
    """String constants in bot/ shaped like message keys of a domain the catalogs know.

    Settings keys are left aside, and so are f-string fragments and prefixes that the code
    completes (`"idea.status"` + `".retained"`): those are checked through what they build.
    """
    known = {key for locale in SUPPORTED for key in catalog(locale)}
    domains = {key.split(".", 1)[0] for key in known}
    prefixes = {key.rsplit(".", 1)[0] for key in known}
    found = set()
    for path in BOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        fragments = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY.match(node.value)):
                continue
            if id(node) in fragments or node.value in SCHEMA or node.value in prefixes:
                continue
            if node.value.split(".", 1)[0] in domains:
                found.add(node.value)
    return found


def keys_of_commands() -> set[str]:
    """The keys every declared command needs: names, help, form title, option labels, choices."""
    keys = set()
    for command in build_registry(FEATURES).commands.values():
        keys |= {f"cmd.{command.group}.name", f"cmd.{command.group}.help"}
        keys |= {f"cmd.{command.key}.name", f"cmd.{command.key}.help"}
        if command.form:
            keys.add(f"cmd.{command.key}.title")
        for option in command.options:
            keys |= {f"cmd.{command.key}.{option.name}.label", f"cmd.{command.key}.{option.name}.help"}
            keys |= {f"cmd.{command.key}.{option.name}.{choice}" for choice in option.choices}
    return keys


def test_both_languages_have_the_same_keys() -> None:
    """A message added in one language only fails here."""
    assert set(catalog("fr")) == set(catalog("en")), set(catalog("fr")) ^ set(catalog("en"))


def test_placeholders_match_across_languages() -> None:
    """A translation cannot drop or rename a {placeholder}."""
    mismatched = {key for key, text in catalog("fr").items() if placeholders(text) != placeholders(catalog("en")[key])}
    assert not mismatched


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_key_the_code_uses_is_translated(locale: str) -> None:
    """Keys written in the code and keys derived from command declarations all exist."""
    missing = (keys_in_code() | keys_of_commands()) - set(catalog(locale))
    assert not missing, sorted(missing)


def test_plural_forms_follow_each_language() -> None:
    """French says "0 votant", English "0 voters"."""
    assert Translator("fr")("poll.list.title", count=0) == "0 sondage ouvert"
    assert Translator("en")("poll.list.title", count=0) == "0 open polls"
    assert Translator("en")("poll.list.title", count=1) == "1 open poll"


@pytest.mark.parametrize(
    ("tag", "expected"), [("fr", "fr"), ("fr-FR", "fr"), ("en-US", "en"), ("en_GB", "en"), ("de", None), (None, None)]
)
def test_platform_locales_are_normalised(tag: str | None, expected: str | None) -> None:
    """Discord sends "en-US", Slack "en-GB": both mean English."""
    assert normalize_locale(tag) == expected


@pytest.mark.parametrize("locale", SUPPORTED)
def test_no_key_is_defined_twice(locale: str) -> None:
    """Two catalogs (or two blocks of one) defining the same key would silently hide one of the texts."""
    seen: dict[str, str] = {}
    doubled = []
    for po_file in catalog_files(locale):
        for line in po_file.read_text("utf-8").splitlines():
            if line.startswith('msgid "') and line != 'msgid ""':
                key = line[len('msgid "') : -1]
                if key in seen:
                    doubled.append(f"{key}: {seen[key]} and {po_file.name}")
                seen[key] = str(po_file)
    assert not doubled, doubled

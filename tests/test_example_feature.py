"""The example feature of CONTRIBUTING.md (tests/echo) needs nothing but its folder and the one list it joins."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import Settings
from bot.features import FEATURES
from bot.i18n import translate
from tests import echo
from tests.helpers import SPACE, ConsoleSession, member, running_app
from tests.test_architecture import imports, module_name, within

ECHO = Path(echo.__file__).parent
FRAMEWORK = ("bot.feature", "bot.commands", "bot.core", "bot.ui", "bot.i18n")  # what a feature may build on


def test_the_example_imports_only_the_framework() -> None:
    """Every module of tests/echo imports the standard library, its own folder or bot's framework: no feature, store, adapter or app."""
    found = {
        (module_name(path, ECHO.parent), names[0])
        for path in ECHO.rglob("*.py")
        for names in imports(path, ECHO.parent)
    }
    outside = {
        (module, imported)
        for module, imported in found
        if imported.split(".")[0] not in sys.stdlib_module_names and not within(imported, ("tests.echo", *FRAMEWORK))
    }
    assert outside == set()
    assert {imported for _, imported in found if within(imported, FRAMEWORK)} >= {
        "bot.feature",
        "bot.commands.registry",
    }


async def test_listed_the_example_is_served_in_both_languages_and_unlisted_it_is_unknown(settings: Settings) -> None:
    """Added to the list, its commands are run and explained from its own catalogs; the bot's own list does not know it."""
    async with running_app(settings, features=(*FEATURES, echo.FEATURE)) as app:
        french = await ConsoleSession(app).say("/aide echo")
        english = await app.dispatcher.invoke_text(SPACE, "general", member("bob"), "help echo", "en")
    assert "/echo écouter — Écouter ce salon." in french
    assert english.card is not None and "Listen to this channel." in english.card.text[0]
    async with running_app(settings) as app:
        unknown = await ConsoleSession(app).say("/echo watch")
    assert unknown == f"(privé) {translate('fr', 'args.unknown_command', command='echo')}\n"

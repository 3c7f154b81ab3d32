"""Translations: gettext catalogs (.po) per feature, keyed by message ids, in French and English."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

SUPPORTED: tuple[str, ...] = ("fr", "en")
DEFAULT_LOCALE = "fr"
LOCALES_DIR = Path(__file__).with_name("locales")  # shared catalogs: common words, dates, platforms
FEATURES_DIR = Path(__file__).parent.parent / "features"  # each feature keeps its catalog beside its code

log = logging.getLogger(__name__)
_more_dirs: list[Path] = []  # catalogs of features kept outside bot/features, added by the app listing them


def normalize_locale(tag: str | None) -> str | None:
    """Map a platform locale tag ("fr", "fr-FR", "en_US", "en-GB") to a supported language, or None."""
    if not tag:
        return None
    language = tag.replace("_", "-").split("-", 1)[0].lower()
    return language if language in SUPPORTED else None


def catalog_files(locale: str) -> list[Path]:
    """The .po files of one language: the shared ones, then each feature's `locales/<locale>.po`."""
    more = [path for path in (folder / f"{locale}.po" for folder in _more_dirs) if path.is_file()]
    return sorted((LOCALES_DIR / locale).glob("*.po")) + sorted(FEATURES_DIR.glob(f"*/locales/{locale}.po")) + more


def add_catalogs(folder: Path) -> None:
    """Also read `folder/<locale>.po`: a feature outside bot/features brings its catalog with it."""
    folder = folder.resolve()
    if folder.parent.parent == FEATURES_DIR.resolve() or folder in _more_dirs:
        return
    _more_dirs.append(folder)
    catalog.cache_clear()


@cache
def catalog(locale: str) -> dict[str, str]:
    """All messages of one language, merged from every feature's .po file."""
    messages: dict[str, str] = {}
    for po_file in catalog_files(locale):
        with po_file.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id and message.string:
                    messages[str(message.id)] = str(message.string)
    return messages


def is_singular(locale: str, count: int) -> bool:
    """Whether `count` takes the singular form: French says "0 votant", English "0 voters"."""
    return count in (0, 1) if locale == "fr" else count == 1


def translate(locale: str, key: str, /, **params: Any) -> str:
    """The message `key` in `locale`, placeholders filled; a `count` picks the `.one` form when singular."""
    messages = catalog(locale)
    count = params.get("count")
    if isinstance(count, int) and is_singular(locale, count) and f"{key}.one" in messages:
        key = f"{key}.one"
    template = messages.get(key) or catalog(DEFAULT_LOCALE).get(key)
    if template is None:
        log.warning("missing translation key=%s locale=%s", key, locale)
        return key
    return template.format(**params) if params else template


class Translator:
    """`_()` bound to one locale."""

    __slots__ = ("locale",)

    def __init__(self, locale: str | None) -> None:
        self.locale = normalize_locale(locale) or DEFAULT_LOCALE

    def __call__(self, key: str, /, **params: Any) -> str:
        return translate(self.locale, key, **params)


_translators: dict[str, Translator] = {}


def translator(language: str) -> Translator:
    """The shared `Translator` of a supported language (it holds nothing else: one per language serves all)."""
    found = _translators.get(language)
    if found is None:
        found = _translators[language] = Translator(language)
    return found

"""Text as members type it: one normal form before comparing, checking emptiness or reading a number."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# Invisible characters that make "Oui" and "Oui\u200b" look the same yet differ: zero-width
# spaces, soft hyphen, word joiner, BOM, and the bidi controls that can also reorder what is shown.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Joiners are kept in stored text (emoji sequences and some scripts need them) but not in comparisons.
_JOINERS = re.compile("[\u200c\u200d]")
_ASCII_NUMBER = re.compile(r"[0-9]+")

NUMBER_MAX = 10**9  # the largest reference, count or position anyone types


def visible(text: str) -> str:
    """`text` composed (NFC), without invisible characters, trimmed: what is stored and shown."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text)).strip()


def compare_key(text: str) -> str:
    """What two texts must share to look the same: NFKC, no invisibles, one space, case-folded."""
    folded = _JOINERS.sub("", unicodedata.normalize("NFKC", visible(text))).casefold()
    return " ".join(folded.split())


def is_blank(text: str) -> bool:
    """Whether `text` shows nothing at all (spaces and invisible characters only)."""
    return not compare_key(text)


def fold(word: str) -> str:
    """A word for accent-, case- and spelling-insensitive matching: "Créer" and "creer", "sur place" and "sur-place"."""
    decomposed = unicodedata.normalize("NFKD", compare_key(word))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\s_-]+", "", plain)


def ascii_number(text: str, maximum: int = NUMBER_MAX) -> int | None:
    """The number written with ASCII digits only ("12", never "²" or "١"), if it is at most `maximum`."""
    if not _ASCII_NUMBER.fullmatch(text) or len(text.lstrip("0")) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None


def has_foreign_digits(text: str) -> bool:
    """Whether `text` holds digits other than 0-9 (superscripts, Arabic-Indic…), which dates must not guess at."""
    return any(char.isdigit() and not char.isascii() for char in text)


def web_url(text: str) -> str | None:
    """An http(s) address as typed, trimmed; None when it is not one (spaces, line breaks, other schemes, no host).

    Links are re-posted in messages and calendar files, where a line break would end the field.
    """
    url = text.strip()
    if not url or any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url

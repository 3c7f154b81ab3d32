"""Short references as members type them: `12` or `#12`."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.core.text import ascii_number


def parse_ref(text: str | int, error: str = "poll.bad_ref") -> int:
    """A short reference as typed: `12` or `#12`; `error` names what was expected."""
    number = ascii_number(str(text).strip().removeprefix("#"))
    if number is None:
        raise UserError(error, ref=str(text))
    return number

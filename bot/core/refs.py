"""Short references as members type them: `12` or `#12`."""

from __future__ import annotations

from bot.core.errors import UserError


def parse_ref(text: str | int, error: str = "poll.bad_ref") -> int:
    """A short reference as typed: `12` or `#12`; `error` names what was expected."""
    raw = str(text).strip().removeprefix("#")
    if not raw.isdigit() or len(raw) > 9:
        raise UserError(error, ref=str(text))
    return int(raw)

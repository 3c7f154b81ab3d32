"""The two kinds of error a handler can meet."""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A mistake the user can fix: shown to them, translated, as a private reply."""

    def __init__(self, key: str, /, *, field: str | None = None, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.field = field  # the form input it is about, shown inline where the platform can
        self.params = params

    def __repr__(self) -> str:
        return f"UserError({self.key!r}, **{self.params!r})"

"""Per-space settings: language, time zone and who may do what."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal
from zoneinfo import ZoneInfo

Audience = Literal["staff", "everyone"]


@dataclass(frozen=True)
class SpaceSettings:
    """How one workspace or guild wants the bot to behave."""

    locale: str = "fr"
    timezone: str = "Europe/Paris"
    poll_creators: Audience = "staff"
    reminder_offsets: str = "7d,1d,1h"  # before an event's start; "none" for no reminders

    @property
    def tz(self) -> ZoneInfo:
        """The space's time zone."""
        return ZoneInfo(self.timezone)


class SpaceDirectory:
    """Settings for every space: the configured defaults, overridden per space."""

    def __init__(self, default: SpaceSettings, overrides: Mapping[str, Mapping[str, object]] | None = None) -> None:
        self.default = default
        self._overrides = {space: replace(default, **values) for space, values in (overrides or {}).items()}  # type: ignore[arg-type]

    def __call__(self, space: str) -> SpaceSettings:
        """The settings of `space`."""
        return self._overrides.get(space, self.default)

"""The port an event's follow-up setup is stored through."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.features.schedule.domain import FollowupSetup


class FollowupSetupStore(Protocol):
    """Where each event's follow-up questions and audience live (no row: the defaults)."""

    async def setup(self, event_id: int) -> FollowupSetup:
        """An event's follow-up setup, the defaults when staff never changed it."""
        ...

    async def change(
        self, event_id: int, space: str, edit: Callable[[FollowupSetup], FollowupSetup], by: str, now: datetime
    ) -> FollowupSetup:
        """Apply `edit` to an event's current setup and store the result, in one write; the new setup."""
        ...

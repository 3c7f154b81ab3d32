"""Time as the core sees it: always aware, in UTC, and replaceable in tests and rehearsals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, console rehearsals)."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        """The clock's current instant."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` (never back)."""
        if delta < timedelta(0):
            raise ValueError("a clock never goes back")
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> datetime:
        """Move forward to `moment` (never back)."""
        return self.advance(moment - self._now)


class RehearsalClock:
    """Real time plus an offset that only grows: the console's clock, moved by `/clock` in rehearsals."""

    def __init__(self, real: Clock | None = None) -> None:
        self._real = real or SystemClock()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The real instant, moved forward by every `advance` so far."""
        return self._real.now() + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` (never back)."""
        if delta < timedelta(0):
            raise ValueError("a clock never goes back")
        self._offset += delta
        return self.now()

    def set(self, moment: datetime) -> datetime:
        """Move forward to `moment` (never back)."""
        return self.advance(moment - self.now())

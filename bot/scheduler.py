"""Wake-ups at due instants with APScheduler; the database says what is due."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

log = logging.getLogger(__name__)

DueWork = Callable[[], Awaitable[None]]


class Wakeups:
    """One job per due instant; each run asks every source what is due now and does it.

    The jobs live in memory and are rebuilt from the database at start, so the database
    stays the only truth. `misfire_grace_time=None`: a wake-up late for any reason
    (a busy loop, a suspended laptop) still runs; the sources decide what is still meaningful.
    """

    def __init__(self, sources: Iterable[DueWork] = ()) -> None:
        self.sources: list[DueWork] = list(sources)
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    def add_source(self, source: DueWork) -> None:
        """Run `source` at every wake-up."""
        self.sources.append(source)

    def start(self, times: Iterable[datetime] = ()) -> None:
        """Start the scheduler inside the running loop, with wake-ups at `times`."""
        self._scheduler.start()
        for moment in times:
            self.wake_at(moment)

    def wake_at(self, moment: datetime) -> None:
        """Make sure due work is looked for at `moment` (one job per instant)."""
        if not self._scheduler.running:
            return
        self._scheduler.add_job(
            self.run_due,
            DateTrigger(run_date=moment),
            id=f"wake:{moment.isoformat()}",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def run_due(self) -> None:
        """Do everything that is due now."""
        for source in self.sources:
            try:
                await source()
            except Exception:
                log.exception("scheduled work failed source=%s", getattr(source, "__qualname__", source))

    def shutdown(self) -> None:
        """Stop waking up."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

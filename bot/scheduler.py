"""Wake-ups at due instants with APScheduler; the database says what is due."""

from __future__ import annotations

import asyncio
import heapq
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.core.clock import Clock, SystemClock

log = logging.getLogger(__name__)

JOB = "wake"  # the id of the one APScheduler job

DueWork = Callable[[], Awaitable[object]]  # what it returns (a count, say) is ignored
PendingTimes = Callable[[], Awaitable[Iterable[datetime]]]


@dataclass(frozen=True)
class Source:
    """Work done at every wake-up, and where to find the instants it will next be due."""

    run: DueWork
    pending: PendingTimes | None = None


class Wakeups:
    """One APScheduler job, for the soonest instant due work is expected; each run asks every source what is due.

    The instants wait in a heap: however many there are, APScheduler holds a single job, re-armed
    for the next instant when it fires or when a sooner one appears. They live in memory and are
    rebuilt from the database at start, so the database stays the only truth.
    `misfire_grace_time=None`: a wake-up late for any reason (a busy loop, a suspended laptop)
    still runs; the sources decide what is still meaningful.
    Instants are on the app's clock; APScheduler runs on real time, so the job runs at
    `moment - (clock.now() - real now)`, and `clock_moved()` re-times it after a rehearsal jump.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.sources: list[Source] = []
        self.clock: Clock = clock or SystemClock()
        self._real = SystemClock()
        self._moments: set[datetime] = set()
        self._soonest: list[datetime] = []  # a heap of `_moments`
        self._armed: datetime | None = None  # the instant the job waits for, if any
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        # One run at a time: wake-ups that coincide do not work over each other, and
        # shutdown can wait for the run in progress before the database closes.
        self._running = asyncio.Lock()
        self._stopping = False
        self._standing_down = False  # another process leads: nothing fires here until `start` again
        self._known: set[datetime] = set()  # the sources' instants at the last look (`refresh`)

    def add_source(self, run: DueWork, pending: PendingTimes | None = None) -> None:
        """Run `run` at every wake-up; `pending()` lists its future due instants (read at start)."""
        self.sources.append(Source(run, pending))

    async def start(self) -> None:
        """Start inside the running loop (or again after `stand_down`), wake-ups rebuilt from every source, then catch up.

        Only the leading process runs this (`bot.core.leadership`): a follower's wake-ups stay unset.
        """
        if not self._scheduler.running:
            self._scheduler.start()
        self._standing_down = False
        self._moments = await self._pending()
        self._known = set(self._moments)
        self._soonest = list(self._moments)
        heapq.heapify(self._soonest)
        self._arm()
        await self.run_due()

    async def _pending(self) -> set[datetime]:
        """Every source's due instants still to be handled, as the database has them."""
        found: set[datetime] = set()
        for source in self.sources:
            found.update(await source.pending() if source.pending else ())
        return found

    async def refresh(self) -> None:
        """Look again at what the database says is due when: instants other processes planned are added.

        With several processes on one database only the leader fires, and another process's
        `wake_at` does nothing: the leader runs this every second, so it learns of them within one.
        """
        if not self._scheduler.running or self._standing_down:
            return
        found = await self._pending()
        for moment in found - self._known:
            self.wake_at(moment)
        self._known = found

    def lag(self) -> timedelta:
        """How far the app's clock is ahead of real time (zero unless rehearsing or testing)."""
        return self.clock.now() - self._real.now()

    def wake_at(self, moment: datetime) -> None:
        """Make sure due work is looked for at `moment` on the app's clock (a follower leaves it to the leader)."""
        if not self._scheduler.running or self._standing_down:
            return
        if moment not in self._moments:
            self._moments.add(moment)
            heapq.heappush(self._soonest, moment)
        if self._armed is None or moment <= self._armed:  # the soonest instant: (re-)time the job for it
            self._arm()

    def _arm(self) -> None:
        """Point the one job at the soonest instant, timed with the clock's current lag (none left: no job)."""
        if not self._soonest:
            if self._scheduler.get_job(JOB):
                self._scheduler.remove_job(JOB)
            self._armed = None
            return
        self._armed = self._soonest[0]
        self._scheduler.add_job(
            self._wake,
            DateTrigger(run_date=self._armed - self.lag()),
            args=(self._armed,),
            id=JOB,
            replace_existing=True,
            misfire_grace_time=None,
            # The job is re-armed while its previous run may still be sending: that run's instance
            # must not make APScheduler skip the next one (it queues behind `_running` instead).
            max_instances=sys.maxsize,
        )

    def _forget(self, until: datetime) -> None:
        """Drop the instants up to `until`: the run about to start covers them."""
        while self._soonest and self._soonest[0] <= until:
            self._moments.discard(heapq.heappop(self._soonest))

    async def _wake(self, moment: datetime) -> None:
        """The job fired: forget what is now due, re-arm for the next instant, and do what is due."""
        self._armed = None
        self._forget(max(moment, self.clock.now()))
        self._arm()
        try:
            await self.run_due()
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # APScheduler's shutdown cancelled a queued wake-up: nothing is lost, the database
            # still says what is due and the next start catches up.

    def pending(self) -> list[datetime]:
        """The instants a wake-up is scheduled for, soonest first."""
        return sorted(self._moments)

    @property
    def running(self) -> bool:
        """Whether wake-ups fire: started, not standing down for another leader, not shutting down."""
        return bool(self._scheduler.running) and not self._stopping and not self._standing_down

    async def clock_moved(self) -> None:
        """The app's clock jumped forward: do what became due, then re-time the job."""
        if not self._scheduler.running or self._standing_down:
            return  # the leading process does what became due
        self._forget(self.clock.now())
        await self.run_due()
        self._arm()

    async def run_due(self) -> None:
        """Do everything that is due now (nothing once shutting down)."""
        async with self._running:
            if self._stopping:
                return
            for source in self.sources:
                try:
                    await source.run()
                except Exception:
                    log.exception("scheduled work failed source=%s", getattr(source.run, "__qualname__", source.run))

    async def stand_down(self) -> None:
        """Another process leads now: forget every instant and let a run in progress finish (its claims hold)."""
        self._standing_down = True
        self._moments.clear()
        self._soonest = []
        self._arm()
        async with self._running:
            pass

    async def shutdown(self) -> None:
        """Stop waking up, and let a run in progress finish before the database closes.

        APScheduler's shutdown cancels the job tasks it is running, so the run in progress
        is awaited first; runs queued behind it return at once.
        """
        self._stopping = True
        # A job task APScheduler created but never started (an adapter registered just before
        # the stop) would be cancelled before its first step, outside `_wake`, and logged as an
        # error: one turn of the loop lets it start and return at once.
        await asyncio.sleep(0)
        async with self._running:
            if self._scheduler.running:
                self._scheduler.shutdown(wait=False)

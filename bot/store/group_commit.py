"""Group commit, shared by both databases: waiting writes go to one writer thread as one transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from bot.store.database import Connection, Outcome

T = TypeVar("T")
C = TypeVar("C", contravariant=True)  # the connection a backend's ops receive
WriteOp = Callable[[Connection], T]
Pending = tuple[Callable[[Any], Any], "asyncio.Future[Any]"]
Batch = tuple[list[Outcome], bool]  # the ops' outcomes, and whether the transaction recorded notices

log = logging.getLogger(__name__)

MAX_BATCH = 500  # bounds one transaction; bursts beyond it pipeline into the next


class GroupCommit(Generic[C]):
    """The committer: `write(op)` joins the next transaction, which `_run_batch` runs on the writer thread."""

    def __init__(self, thread_name: str) -> None:
        # One thread owns the writer connection: each batch costs one hop to it, not one per statement.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)
        self._pending: list[Pending] = []
        self._in_flight: asyncio.Future[Batch] | None = None
        self._starting = False  # a batch will start at the end of this turn of the loop
        self._idle = asyncio.Event()
        self._idle.set()
        self.commits = 0
        # Called after each commit that recorded notices (the outbox), so they go out at once.
        self.on_notices: list[Callable[[], None]] = []

    def _run_batch(self, ops: Sequence[Callable[[C], Any]]) -> Batch:
        """Run the ops in one transaction on the writer thread (each backend's own)."""
        raise NotImplementedError

    def _commit_failed(self, error: Exception) -> None:
        """Log a transaction that could not commit."""
        log.exception("group commit failed")

    async def write(self, op: Callable[[C], T]) -> T:
        """Run `op` inside the next group transaction; return once that transaction is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((op, future))
        if self._in_flight is None and not self._starting:
            # An idle writer starts at the end of this turn of the loop: the writes of a burst handled
            # in one turn share one transaction and one hand-off to the writer thread, instead of a
            # lone first write fighting the loop for the GIL (a busy one takes everything waiting next).
            self._starting = True
            self._idle.clear()
            loop.call_soon(self._start_batch)
        return await future

    def _start_batch(self) -> None:
        """Hand the waiting writes to the writer thread as one transaction."""
        self._starting = False
        if not self._pending:
            self._in_flight = None
            self._idle.set()
            return
        batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        self._idle.clear()
        loop = asyncio.get_running_loop()
        self._in_flight = loop.run_in_executor(self._executor, self._run_batch, [op for op, _ in batch])
        self._in_flight.add_done_callback(lambda done: self._batch_done(batch, done))

    def _batch_done(self, batch: list[Pending], done: asyncio.Future[Batch]) -> None:
        """Start the next batch, then answer this one's callers (so the writer never waits for them)."""
        self._start_batch()
        noticed = False
        try:
            outcomes, noticed = done.result()
        except Exception as error:  # the commit itself failed: nobody's write is durable
            self._commit_failed(error)
            outcomes = [(False, error)] * len(batch)
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        if noticed:
            for listener in self.on_notices:
                listener()

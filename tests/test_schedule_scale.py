"""The schedule at scale: start-up reads no more per event, one wake-up job whatever the instants, chunked fan-outs."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.app import App
from bot.config import Settings
from bot.core.clock import ManualClock, RehearsalClock
from bot.core.model import Member
from bot.core.pacing import Pacer
from bot.features.events.domain import Event, EventDraft, Signup
from bot.features.schedule.domain import event_steps
from bot.features.schedule.views import SchedulePresenter
from bot.scheduler import Wakeups
from bot.store.database import Connection
from bot.store.sqlite.database import Database
from bot.store.sqlite.rows import to_iso
from bot.ui import Reply
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import START, running_app

SPACE = "console:local"
STEPS = (("reminder", 7 * 86400), ("reminder", 86400), ("reminder", 3600), ("followup_day", 0), ("followup_month", 0))


async def seed_planned_events(app: App, count: int) -> None:
    """`count` upcoming events, each with its five messages planned, written in one go."""

    def op(conn: Connection) -> None:
        now = to_iso(START)
        for number in range(1, count + 1):
            starts = START + timedelta(days=8, hours=number, seconds=number)
            (event_id,) = conn.execute(
                "INSERT INTO events (space, ref, channel, author, timezone, title, starts_at, ends_at,"
                " onsite_capacity, created_at, updated_at) VALUES (?, ?, 'general', 'console:alice', 'Europe/Paris',"
                " ?, ?, ?, 10, ?, ?) RETURNING id",
                (SPACE, number, f"Journée {number}", to_iso(starts), to_iso(starts + timedelta(hours=6)), now, now),
            ).fetchone()
            conn.executemany(
                "INSERT INTO scheduled_messages (space, ref, kind, event_id, offset_seconds, author, due_at,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'console:alice', ?, ?, ?)",
                [(SPACE, (number - 1) * len(STEPS) + step, kind, event_id, offset,
                  to_iso(starts - timedelta(seconds=offset) + timedelta(days=1 if kind == "followup_day" else
                                                                         30 if kind == "followup_month" else 0)),
                  now, now) for step, (kind, offset) in enumerate(STEPS, 1)],
            )  # fmt: skip

    await app.services.db.write(op)


async def seed_unplanned_events(app: App, count: int) -> None:
    """`count` upcoming events with nothing planned yet (created before the schedule existed), written in one go."""

    def op(conn: Connection) -> None:
        now = to_iso(START)
        conn.executemany(
            "INSERT INTO events (space, ref, channel, author, timezone, title, starts_at, ends_at,"
            " onsite_capacity, created_at, updated_at) VALUES (?, ?, 'general', 'console:alice', 'Europe/Paris',"
            " ?, ?, ?, 10, ?, ?)",
            [(SPACE, number, f"Journée {number}", to_iso(START + timedelta(days=8, hours=number)),
              to_iso(START + timedelta(days=8, hours=number + 6)), now, now) for number in range(1, count + 1)],
        )  # fmt: skip

    await app.services.db.write(op)


def correlated_scans(conn: sqlite3.Connection, statement: str) -> list[str]:
    """The steps of a statement's plan that scan a whole table once per row of an outer query."""
    try:
        plan = conn.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
    except sqlite3.Error:
        return []  # BEGIN, SAVEPOINT, PRAGMA and the like have no plan
    details = {row[0]: (row[1], row[3]) for row in plan}

    def inside_correlated(node: int) -> bool:
        parent = details[node][0]
        while parent in details:
            if details[parent][1].startswith("CORRELATED"):
                return True
            parent = details[parent][0]
        return False

    return [detail for node, (_parent, detail) in details.items()
            if detail.startswith("SCAN") and inside_correlated(node)]  # fmt: skip


async def test_start_up_with_2000_planned_events_runs_no_correlated_scan(settings: Settings) -> None:
    """Every statement start-up runs finds an event's messages through an index, and their number does not grow."""
    async with running_app(settings) as first:
        await seed_planned_events(first, 2000)
    app = App(settings, ManualClock(START))
    statements: list[str] = []
    db = app.services.db
    assert isinstance(db, Database)  # SQLite's own trace hooks
    open_database = db.open

    async def open_traced() -> None:
        await open_database()
        assert db._writer is not None and db._reader is not None
        db._writer.set_trace_callback(statements.append)
        await db._reader.set_trace_callback(statements.append)

    db.open = open_traced  # type: ignore[method-assign]
    await app.start()
    await app.stop()
    with sqlite3.connect(settings.database) as conn:
        scans = {statement: found for statement in statements if (found := correlated_scans(conn, statement))}
    conn.close()
    assert any("NOT EXISTS" in statement for statement in statements)  # the unplanned events were looked for
    assert scans == {}
    assert len(statements) < 200  # not one look per event


async def test_many_instants_hold_one_job_and_each_fires_in_turn() -> None:
    """2,000 instants, half read at start and half added later: one APScheduler job, re-armed after each run."""
    clock = ManualClock(START)
    wakeups = Wakeups(clock)
    runs: list[datetime] = []
    instants = [START + timedelta(minutes=number) for number in range(1, 2001)]

    async def work() -> None:
        runs.append(clock.now())

    async def pending() -> list[datetime]:
        return instants[::2]

    wakeups.add_source(work, pending)
    await wakeups.start()
    try:
        for moment in reversed(instants[1::2]):  # each sooner than the last: the job is re-timed every time
            wakeups.wake_at(moment)
        runs.clear()  # the catch-up at start
        for _ in instants:
            (job,) = wakeups._scheduler.get_jobs()
            (moment,) = job.args
            clock.set(moment)
            await job.func(*job.args)  # what APScheduler does when the job's time comes
        assert wakeups._scheduler.get_jobs() == []
        assert runs == instants and wakeups.pending() == []
    finally:
        await wakeups.shutdown()


async def test_an_instant_falling_due_during_a_long_run_is_looked_at_after_it() -> None:
    """The one job, re-armed while a run is still sending, fires at the next instant and runs once that one ends."""
    clock = RehearsalClock()
    wakeups = Wakeups(clock)
    runs: list[datetime] = []
    release = asyncio.Event()

    async def work() -> None:
        runs.append(clock.now())
        if len(runs) == 2:  # the first wake-up after start's catch-up: a long fan-out
            await release.wait()

    async def until(condition: Callable[[], bool]) -> None:
        while not condition():
            await asyncio.sleep(0.01)

    wakeups.add_source(work)
    await wakeups.start()
    try:
        first, second = clock.now() + timedelta(milliseconds=50), clock.now() + timedelta(milliseconds=100)
        wakeups.wake_at(first)
        wakeups.wake_at(second)
        await asyncio.wait_for(until(lambda: wakeups.pending() == []), 5)  # both fired, the second during the run
        release.set()
        await asyncio.wait_for(until(lambda: len(runs) == 3), 5)
        assert runs[2] >= second
    finally:
        release.set()  # a failed wait must not leave shutdown waiting for the blocked run
        await wakeups.shutdown()


class VirtualTime:
    """A monotonic clock the pacer sleeps on without really sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        """Virtual seconds elapsed."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Advance virtual time; yield so other senders run."""
        self.now += seconds
        await asyncio.sleep(0)


class GatedDelivery(RecordingDelivery):
    """Accepts the first `passing` private messages at once; the others wait for `gate`."""

    def __init__(self, passing: int) -> None:
        super().__init__()
        self.passing = passing
        self.calls = 0
        self.gate = asyncio.Event()

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Record the message once the gate lets it through."""
        self.calls += 1
        if self.calls > self.passing:
            await self.gate.wait()
        return await super().send_private(space, member, reply)


async def reminder_for(app: App, recipients: int) -> datetime:
    """An event with `recipients` confirmed members; the instant its 1-day reminder falls due."""
    alice = Member("console:alice", "alice", is_staff=True)
    starts = START + timedelta(days=3)
    draft = EventDraft("Journée", starts, starts + timedelta(hours=6), onsite_capacity=recipients)
    event = await app.services.events.create(SPACE, "general", alice, draft)
    rows = [(event.id, SPACE, f"console:m{i}", "onsite", "confirmed", i, to_iso(START), to_iso(START))
            for i in range(recipients)]  # fmt: skip
    await app.services.db.write(lambda conn: conn.executemany(
        "INSERT INTO event_signups (event_id, space, member, mode, status, seq, signed_up_at, status_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows))  # fmt: skip
    return starts - timedelta(days=1)


def paced(app: App, rate: float) -> Pacer:
    """Pace the app's console sends at `rate` a second, on virtual time."""
    virtual = VirtualTime()
    pacer = Pacer({"console": rate}, virtual.monotonic, virtual.sleep)
    app.services.schedule.sender.pacer = pacer
    return pacer


async def test_a_1000_recipient_fan_out_claims_and_marks_in_chunks(app: App) -> None:
    """Paced at 20/s, a reminder to 1,000 members costs two commits per chunk of 40, each member reached once."""
    delivery = RecordingDelivery()
    app.services.delivery.register("console", delivery)
    paced(app, 20)
    sender = app.services.schedule.sender
    assert sender.chunk_size(SPACE) == 40
    due = await reminder_for(app, 1000)
    app.services.clock.set(due)  # type: ignore[attr-defined]
    before = app.services.db.commits
    await sender.run_due()
    commits = app.services.db.commits - before
    reached = [who for who, _reply, _ok in delivery.private]
    assert len(reached) == len(set(reached)) == 1000
    assert commits <= 2 * 1000 // 40 + 2  # claims and marks per chunk, 'running' and 'done'
    rows = await app.services.db.fetch_all("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status")
    assert {row["status"]: row["n"] for row in rows} == {"sent": 1000}


async def test_a_stop_mid_chunk_releases_the_claims_never_sent(settings: Settings) -> None:
    """Stopping gracefully mid-chunk: sends under way finish, claims never sent are dropped and go after restart."""
    clock = ManualClock(START)
    async with running_app(settings, clock) as first:
        delivery = GatedDelivery(passing=5)
        first.services.delivery.register("console", delivery)
        paced(first, 20)
        sender = first.services.schedule.sender
        clock.set(await reminder_for(first, 60))
        fan_out = asyncio.ensure_future(sender.run_due())
        while delivery.calls < 5 + 8 - 1:  # five sent, the other workers each waiting on one send
            await asyncio.sleep(0.01)
        stopping = asyncio.ensure_future(sender.stop())
        await asyncio.sleep(0)
        delivery.gate.set()
        await asyncio.wait_for(asyncio.gather(stopping, fan_out), 5)
        first_reached = {who for who, _reply, _ok in delivery.private}
        rows = await first.services.db.fetch_all("SELECT recipient, status FROM deliveries")
        assert {row["recipient"] for row in rows} == first_reached and {row["status"] for row in rows} == {"sent"}
        assert len(first_reached) < 40  # the rest of the first chunk was claimed, then released
    async with running_app(settings, clock) as second:
        again = RecordingDelivery()
        second.services.delivery.register("console", again)
        await second.services.schedule.sender.run_due()
        reached = [who for who, _reply, _ok in again.private]
    assert len(reached) == len(set(reached)) and not set(reached) & first_reached
    assert set(reached) | first_reached == {f"console:m{i}" for i in range(60)}


class StoppingDelivery(RecordingDelivery):
    """Records private messages; at the `stop_after`-th, asks the app to stop, then counts the sends that follow."""

    def __init__(self, app: App, stop_after: int) -> None:
        super().__init__()
        self.app = app
        self.stop_after = stop_after
        self.stopping: asyncio.Future[None] | None = None
        self.after_stop = 0

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Record the message; the stop is requested as a signal handler would, without waiting for it."""
        if self.stopping is not None:
            self.after_stop += 1
        sent = await super().send_private(space, member, reply)
        if len(self.private) == self.stop_after:
            self.stopping = asyncio.ensure_future(self.app.stop())
        return sent


async def test_a_stop_during_a_long_paced_fan_out_ends_it_at_the_next_recipients(settings: Settings) -> None:
    """Stopped 100 sends into a 1,000-member reminder sent by the scheduler: only sends already under way finish.

    The unsent claims are released: after a restart everyone else gets it, nobody twice, nobody missed.
    """
    clock = ManualClock(START)
    first = App(settings, clock)
    await first.start()
    delivery = StoppingDelivery(first, stop_after=100)
    first.services.delivery.register("console", delivery)
    paced(first, 10)  # 1,000 sends take 100 virtual seconds: far past a container's stop grace period
    clock.set(await reminder_for(first, 1000))
    await first.services.wakeups.run_due()  # the scheduler's run; it returns once the stop has cut it short
    assert delivery.stopping is not None
    await asyncio.wait_for(delivery.stopping, 10)
    first_reached = [who for who, _reply, _ok in delivery.private]
    assert delivery.after_stop <= 8  # at most one per send worker, each already past its pacing
    assert len(first_reached) == len(set(first_reached)) < 110
    async with running_app(settings, clock) as second:
        unsure = await second.services.db.fetch_all("SELECT 1 FROM deliveries WHERE status <> 'sent'")
        assert unsure == []  # nothing was left claimed: no member is reported unsure
        again = RecordingDelivery()
        second.services.delivery.register("console", again)
        await second.services.wakeups.run_due()
        reached = [who for who, _reply, _ok in again.private]
    assert len(reached) == len(set(reached)) and not set(reached) & set(first_reached)
    assert set(reached) | set(first_reached) == {f"console:m{i}" for i in range(1000)}


async def test_a_stop_does_not_wait_for_the_pacer_to_give_each_worker_its_turn(app: App) -> None:
    """Workers queued on a pacer that never grants another send: the stop returns, every unsent claim released."""
    delivery = RecordingDelivery()
    app.services.delivery.register("console", delivery)
    stalled = asyncio.Event()  # never set: the pacer's next turn never comes

    async def never(_seconds: float) -> None:
        await stalled.wait()

    sender = app.services.schedule.sender
    sender.pacer = Pacer({"console": 2}, VirtualTime().monotonic, never)  # two sends, then waiting forever
    app.services.clock.set(await reminder_for(app, 50))  # type: ignore[attr-defined]
    fan_out = asyncio.ensure_future(sender.run_due())
    await delivery.wait_until(lambda: len(delivery.private) == 2)
    await asyncio.wait_for(asyncio.gather(sender.stop(), fan_out), 5)
    rows = await app.services.db.fetch_all("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status")
    assert {row["status"]: row["n"] for row in rows} == {"sent": 2}


class CountingPresenter(SchedulePresenter):
    """The schedule's presenter, counting the reminders it renders."""

    rendered = 0

    def reminder(self, event: Event, signup: Signup, locale: str) -> Reply:
        """Render a reminder, counted."""
        self.rendered += 1
        return super().reminder(event, signup, locale)


class RenderWatch(RecordingDelivery):
    """Records, at each private message, how many reminders had been rendered by then."""

    def __init__(self, presenter: CountingPresenter) -> None:
        super().__init__()
        self.presenter = presenter
        self.rendered_at_send: list[int] = []

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Note how far rendering ran ahead of sending, then record the message."""
        self.rendered_at_send.append(self.presenter.rendered)
        return await super().send_private(space, member, reply)


async def test_a_fan_out_renders_each_reminder_as_it_is_sent(app: App) -> None:
    """A 1,000-member reminder is not rendered for everyone up front: rendering keeps pace with sending."""
    presenter = CountingPresenter()
    delivery = RenderWatch(presenter)
    app.services.delivery.register("console", delivery)
    sender = app.services.schedule.sender
    sender.presenter = presenter
    paced(app, 20)
    app.services.clock.set(await reminder_for(app, 1000))  # type: ignore[attr-defined]
    await sender.run_due()
    assert len(delivery.private) == presenter.rendered == 1000
    ahead = [rendered - sent for sent, rendered in enumerate(delivery.rendered_at_send)]
    assert max(ahead) <= 8  # at most one per send worker


async def test_a_first_start_plans_1000_events_in_a_few_writes(settings: Settings) -> None:
    """Events created before the schedule existed are planned at start a chunk per write, each as it is planned alone."""
    async with running_app(settings) as first:
        await seed_unplanned_events(first, 1000)
    app = App(settings, ManualClock(START))
    await app.start()
    try:
        commits = app.services.db.commits
        rows = await app.services.db.fetch_all(
            "SELECT event_id, kind, offset_seconds, due_at FROM scheduled_messages ORDER BY event_id, id"
        )
        planned: dict[int, list[tuple[str, int, datetime]]] = {}
        for row in rows:
            planned.setdefault(row["event_id"], []).append(
                (row["kind"], row["offset_seconds"], datetime.fromisoformat(row["due_at"]))
            )
        events = app.services.events
        plans = app.services.schedule.plans
        for event_id in (1, 500, 1000):
            event = await events.lookup(event_id)
            assert event is not None
            steps = event_steps(event, plans.offsets(SPACE), START)
            assert planned[event_id] == [(step.kind, step.offset_seconds, step.due_at) for step in steps]
        assert len(planned) == 1000 and len(rows) == 5000
        assert app.services.wakeups.pending()[0] == min(
            due for plan in planned.values() for _kind, _offset, due in plan
        )
    finally:
        await app.stop()
    assert commits <= 10  # five chunks of events, and what start writes anyway; one per event before

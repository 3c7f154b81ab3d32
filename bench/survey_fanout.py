"""A survey sent privately to 1,000 attendees: drain time at the platform's pace, and the overhead over the ideal.

Each round starts an app on a fresh SQLite file, seeds one event with N confirmed attendees and a
three-question survey, then times `/survey send` from the command to the last private message
received by a platform that accepts every message at once. Sends are paced in real time at
`--rate` a second (bursts of one second's worth, as the Pacer allows), so the ideal drain is
(N - rate) / rate seconds; the overhead is what the outbox adds to it (claims, rendering, marks).
An unpaced run in the same round, alternating which goes first, gives the bare cost per message.
Then a nudge to the half who did not answer is timed the same way.

Run: .venv/bin/python bench/survey_fanout.py [--recipients 1000] [--rate 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)
from _common import median

from bot.app import App
from bot.core.clock import ManualClock
from bot.core.model import Member
from bot.core.pacing import Pacer
from bot.features.events.domain import EventDraft
from bot.store.database import Connection
from bot.store.sqlite.rows import to_iso
from bot.ui import Reply
from tests.helpers import START, make_settings, running_app

SPACE = "console:local"
ALICE = Member("console:alice", "alice", is_staff=True)


class Platform:
    """Accepts every private message at once; counts them per member and wakes whoever waits for a total."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.target = 0
        self.done = asyncio.Event()

    def expect(self, total: int) -> None:
        """Set `done` once `total` messages have arrived in all."""
        self.target = total
        self.done.clear()

    async def post(self, space: str, channel: str, reply: Reply) -> None:
        """Not used here."""

    async def edit(self, ref: object, card: object) -> None:
        """Not used here."""

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Count one message."""
        self.received[member] += 1
        if sum(self.received.values()) >= self.target:
            self.done.set()
        return True


async def seed(app: App, recipients: int) -> int:
    """One event with `recipients` confirmed attendees and survey #1 of three questions; the event's ref."""
    starts = START + timedelta(days=3)
    event = await app.services.events.create(
        SPACE, "general", ALICE, EventDraft("Journée", starts, starts + timedelta(hours=6), onsite_capacity=recipients)
    )
    rows = [(event.id, SPACE, f"console:m{i}", "onsite", "confirmed", i, to_iso(START), to_iso(START))
            for i in range(recipients)]  # fmt: skip

    def op(conn: Connection) -> None:
        conn.executemany(
            "INSERT INTO event_signups (event_id, space, member, mode, status, seq, signed_up_at, status_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    await app.services.db.write(op)
    for line in ('survey create "Bilan"', 'survey question #1 rating "Note ?"', 'survey question #1 nps "NPS ?"',
                 'survey question #1 text "Une idée ?"'):  # fmt: skip
        await app.dispatcher.invoke_text(SPACE, "staff", ALICE, line)
    return event.ref


async def one_run(recipients: int, rate: float) -> dict[str, float]:
    """Send to `recipients` and nudge the half who did not answer, paced at `rate` (0: unpaced); seconds and commits."""
    with tempfile.TemporaryDirectory() as folder:
        clock = ManualClock(START)
        async with running_app(make_settings(Path(folder) / "bench.db"), clock) as app:
            ref = await seed(app, recipients)
            platform = Platform()
            app.services.delivery.register("console", platform)  # type: ignore[arg-type]
            app.notices.pacer = Pacer({"console": rate})
            platform.expect(recipients)
            commits = app.services.db.commits
            started = time.perf_counter()
            await app.dispatcher.invoke_text(SPACE, "staff", ALICE, f"survey send #1 #{ref}")
            await platform.done.wait()
            send = time.perf_counter() - started
            send_commits = app.services.db.commits - commits
            assert len(platform.received) == recipients and set(platform.received.values()) == {1}
            survey = await app.services.surveys.get(SPACE, 1)
            for i in range(0, recipients, 2):  # half answer
                await app.services.surveys.answer_pick(SPACE, Member(f"console:m{i}", f"m{i}"), survey.id, 1, 4)
            await app.dispatcher.invoke_text(SPACE, "staff", ALICE, 'survey nudge #1 "2026-06-01 12:00"')
            await app.notices.idle()
            app.notices.pacer = Pacer({"console": rate})  # a full bucket again, as after a quiet hour
            clock.set(START + timedelta(hours=3))
            platform.expect(recipients + recipients // 2)
            started = time.perf_counter()
            await app.services.wakeups.run_due()
            await platform.done.wait()
            nudge = time.perf_counter() - started
            assert set(platform.received.values()) == {1, 2} and sum(platform.received.values()) == recipients * 3 // 2
    return {"send_s": send, "nudge_s": nudge, "send_commits": send_commits}


def ideal(count: int, rate: float) -> float:
    """The drain time the pacer alone imposes: the first second's burst at once, then `rate` a second."""
    return max(0.0, (count - rate) / rate) if rate else 0.0


def spread(values: list[float]) -> str:
    """Median and range."""
    return f"{median(values):.3f} [{min(values):.3f}–{max(values):.3f}]"


async def main(recipients: int, rate: float, rounds: int) -> None:
    """Alternate paced and unpaced runs; print medians, ranges and the overhead over the ideal drain."""
    paced: list[dict[str, float]] = []
    bare: list[dict[str, float]] = []
    for number in range(rounds):
        order = [(paced, rate), (bare, 0.0)] if number % 2 == 0 else [(bare, 0.0), (paced, rate)]
        for results, pace in order:
            results.append(await one_run(recipients, pace))
    send_ideal, nudge_ideal = ideal(recipients, rate), ideal(recipients // 2, rate)
    print(f"survey fan-out: {recipients} recipients, paced at {rate:g}/s, {rounds} rounds (median [range])")
    print(f"  send  paced   {spread([r['send_s'] for r in paced])} s   ideal {send_ideal:.3f} s")
    print(f"  send  overhead over ideal {spread([r['send_s'] - send_ideal for r in paced])} s"
          f"  ({median([r['send_s'] / send_ideal for r in paced]):.3f}× the ideal)")  # fmt: skip
    print(f"  send  unpaced {spread([r['send_s'] for r in bare])} s"
          f"  = {median([r['send_s'] for r in bare]) / recipients * 1000:.2f} ms per message")  # fmt: skip
    print(
        f"  nudge paced   {spread([r['nudge_s'] for r in paced])} s   ideal {nudge_ideal:.3f} s (to {recipients // 2})"
    )
    print(f"  nudge unpaced {spread([r['nudge_s'] for r in bare])} s")
    print(f"  commits for the send: {median([r['send_commits'] for r in paced]):.0f} paced,"
          f" {median([r['send_commits'] for r in bare]):.0f} unpaced")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="private messages a second (the platform's pace)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.recipients, args.rate, args.rounds))

"""Concurrency, restarts and crashes: a vote the member saw confirmed is on disk."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bot.app import App
from bot.config import Settings
from bot.core.clock import ManualClock
from bot.core.model import Action, MessageRef
from bot.ui import Card, fallbacks
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import START, VirtualTimer, member, running_app

SPACE = "console:local"
ALICE = member("alice", staff=True)
ROOT = Path(__file__).resolve().parents[1]


async def open_poll(app: App, options: str = '"A" "B" "C"') -> tuple[list[str], RecordingDelivery]:
    """Create a poll shown in one recorded message; its vote action ids and the recorder."""
    delivery = RecordingDelivery()
    app.services.delivery.register("console", delivery)
    reply = await app.dispatcher.invoke_text(SPACE, "general", ALICE, f'poll create "Q ?" {options}')
    await app.dispatcher.posted(reply, MessageRef(SPACE, "general", "m1"))
    return [control.action_id for control in reply.card.controls], delivery


async def test_200_concurrent_voters(app: App) -> None:
    """Exactly 200 votes, no 'database is locked', few commits, and the last render shows 200."""
    ids, delivery = await open_poll(app)
    commits_before = app.services.db.commits
    replies = await asyncio.gather(
        *(app.dispatcher.act(Action(SPACE, "general", member(f"m{i}"), ids[i % 3])) for i in range(200))
    )
    assert all("votre vote est enregistré" in reply.text for reply in replies), {r.text for r in replies}
    tally = await app.services.polls.store.tally(1)
    assert tally.voters == 200 and tally.counts == (67, 67, 66)
    assert app.services.db.commits - commits_before < 50  # group commit: bursts share transactions
    await delivery.wait_until(lambda: bool(delivery.edits) and delivery.edits[-1][1].footer.startswith("200 votants"))


async def test_restart_keeps_polls_votes_and_buttons(settings: Settings) -> None:
    """Stop the app, start another on the same file: everything is there and old buttons work."""
    async with running_app(settings) as first:
        ids, _ = await open_poll(first)
        await first.dispatcher.act(Action(SPACE, "general", member("bob"), ids[0]))
    async with running_app(settings) as second:
        second.services.delivery.register("console", RecordingDelivery())
        assert [poll.question for poll in await second.services.polls.open_polls(SPACE)] == ["Q ?"]
        reply = await second.dispatcher.act(Action(SPACE, "general", member("carol"), ids[1]))
        assert reply.text.endswith("Vos choix : B.")
        assert (await second.services.polls.store.tally(1)).counts == (1, 1, 0)


async def test_live_edits_are_coalesced_and_end_on_the_final_state(app: App) -> None:
    """A stream of votes over several intervals makes few edits; the last one shows every vote.

    Time is virtual, so the rule is checked exactly whatever the machine's load: renders start
    at least one interval apart, and the last one starts within an interval of the last vote.
    """
    timer = VirtualTimer()
    cards = app.services.cards
    cards.timer = timer
    ids, delivery = await open_poll(app)
    interval = cards.interval
    renders: list[float] = []
    render_poll = cards._renderers["poll"]

    async def timed_render(subject: str) -> Card | None:
        renders.append(timer.time())
        return await render_poll(subject)

    cards.register("poll", timed_render)
    for i in range(60):  # votes spread over 6 intervals, as a live room would send them
        await app.dispatcher.act(Action(SPACE, "general", member(f"v{i}"), ids[0]))
        await timer.advance(interval / 10)
    last_vote = timer.time()
    await timer.advance(interval)
    await delivery.wait_until(lambda: bool(delivery.edits) and delivery.edits[-1][1].footer.startswith("60 votants"))
    assert len(renders) <= last_vote / interval + 2, renders
    gaps = [b - a for a, b in itertools.pairwise(renders)]
    assert all(gap >= interval - 1e-9 for gap in gaps), gaps
    assert renders[-1] - last_vote <= interval


def test_sigkill_mid_burst_loses_no_confirmed_vote(tmp_path: Path) -> None:
    """Kill -9 the bot during a 1,000-vote burst; every vote it confirmed is in the database."""
    db = tmp_path / "crash.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "scripts" / "vote_burst.py"), str(db), "1000"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    confirmed: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("confirmed "):
            confirmed.append(line.split()[1])
        if len(confirmed) >= 300:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as conn:
        stored = {voter for (voter,) in conn.execute("SELECT voter FROM votes")}
    assert 300 <= len(confirmed) < 1000, "the kill must land mid-burst"
    assert set(confirmed) <= stored


async def test_a_poll_due_while_down_is_announced_once_an_adapter_is_there(settings: Settings) -> None:
    """Catch-up at start closes the poll when its platform's adapter registers, so the results are not lost."""
    clock = ManualClock(START)
    async with running_app(settings, clock) as first:
        first.services.delivery.register("console", RecordingDelivery())
        reply = await first.dispatcher.invoke_text(
            SPACE, "general", ALICE, 'poll create "Q ?" "A" "B" --closes "dans 2h"'
        )
        assert reply.public
    clock.advance(timedelta(hours=3))  # the bot was down when the poll closed
    async with running_app(settings, clock) as second:
        assert (await second.services.polls.store.get_poll(1)).closed_at is None  # nobody to announce it yet
        delivery = RecordingDelivery()
        second.services.delivery.register("console", delivery)  # wakes the scheduler up (a real APScheduler job)
        await delivery.wait_until(lambda: bool(delivery.posts))
        assert delivery.posts[0][2].card.title.startswith("Résultats finaux · #1")
        assert (await second.services.polls.store.get_poll(1)).closed_at is not None


async def test_catch_up_after_a_restart_records_the_deadline(settings: Settings) -> None:
    """Review 24: a poll closed on catch-up at start records its deadline as its closing time."""
    clock = ManualClock(START)
    async with running_app(settings, clock) as first:
        first.services.delivery.register("console", RecordingDelivery())
        await first.dispatcher.invoke_text(SPACE, "general", ALICE, 'poll create "Q ?" "A" "B" --closes "dans 2h"')
    clock.advance(timedelta(hours=5))
    async with running_app(settings, clock) as second:
        delivery = RecordingDelivery()
        second.services.delivery.register("console", delivery)
        await delivery.wait_until(lambda: bool(delivery.posts))
        poll = await second.services.polls.store.get_poll(1)
        assert poll is not None and poll.closes_at is not None and poll.closed_at == poll.closes_at
        assert "clos le lundi 1 juin 2026 à 12:00" in fallbacks(delivery.posts[0][2].card.text[0])

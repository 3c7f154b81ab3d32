"""The outbox: private notices written with their change, sent after the commit, paced, at most once."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings
from bot.core.errors import UserError
from bot.core.notices import Notice, QueuedNotice
from bot.core.pacing import Pacer
from bot.store.sqlite.outbox import SqliteNoticeStore, enqueue
from bot.ui import Reply
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import START, make_settings, member, running_app

SPACE = "console:local"
ALICE, ZOE, BOB = member("alice", staff=True), member("zoe", staff=True), member("bob")
ROOT = Path(__file__).resolve().parents[1]


async def statuses(app: App) -> list[str]:
    """The outbox rows' statuses, oldest first."""
    return [row["status"] for row in await app.services.db.fetch_all("SELECT status FROM outbox ORDER BY id")]


async def submit(app: App, text: str) -> None:
    """bob submits an idea that is accepted."""
    assert (await app.services.ideas.submit(SPACE, "general", BOB, text)).idea is not None


async def test_a_notice_waits_for_its_platform_even_across_a_restart(settings: Settings) -> None:
    """Decided while no adapter is connected, a notice is sent once one connects, in this run or the next."""
    async with running_app(settings) as first:
        await submit(first, "Un atelier sur la billetterie")
        await submit(first, "Une visite des coulisses")
        await first.services.ideas.hide(SPACE, "1", ALICE, "Hors sujet")
        await first.services.ideas.set_status(SPACE, "2", ALICE, "retained", None)
        await first.notices.idle()
        assert await statuses(first) == ["pending", "pending"]  # no platform yet: kept, not lost
    async with running_app(settings) as second:  # start-up caught up before any adapter: still waiting
        assert await statuses(second) == ["pending", "pending"]
        delivery = RecordingDelivery()
        second.services.delivery.register("console", delivery)
        await delivery.wait_until(lambda: len(delivery.private) == 2)
        await second.notices.idle()
        assert delivery.to("console:bob") == [
            "Votre idée #1 « Un atelier sur la billetterie » a été masquée par l'équipe : elle est conservée mais "
            "n'apparaît plus dans les listes.\nRaison : Hors sujet",
            "Votre idée #2 « Une visite des coulisses » a désormais le statut « retenue ».",
        ]
        assert await statuses(second) == ["sent", "sent"]


async def test_two_staff_hiding_at_once_tell_the_author_once(app: App) -> None:
    """The change that loses the race is refused inside its write, and leaves no notice behind."""
    delivery = RecordingDelivery()
    app.services.delivery.register("console", delivery)
    await submit(app, "Une idée discutée")
    results = await asyncio.gather(app.services.ideas.hide(SPACE, "1", ALICE, "Doublon"),
                                   app.services.ideas.hide(SPACE, "1", ZOE, "Hors sujet"), return_exceptions=True)  # fmt: skip
    refused = [r for r in results if isinstance(r, UserError)]
    assert len(refused) == 1 and refused[0].key == "idea.already_hidden"
    await delivery.wait_until(lambda: len(delivery.private) == 1)
    await app.notices.idle()
    assert await statuses(app) == ["sent"] and len(delivery.private) == 1


async def test_cut_off_sends_become_unsure_at_start_and_are_never_resent(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Rows a dead process left 'sending' are reported (a count, no member text) and not sent again."""
    async with running_app(settings) as first:
        batch = [Notice(SPACE, f"console:m{i}", "idea.hidden", {"ref": i, "text": "Secret", "reason": None})
                 for i in range(3)]  # fmt: skip
        await first.services.db.write(lambda conn: enqueue(conn, batch, START))
        await first.notices.store.claim([SPACE], 2, START)  # claimed, then the process "dies" before sending
    with caplog.at_level(logging.WARNING, logger="bot.core.outbox"):
        async with running_app(settings) as second:
            assert await statuses(second) == ["unsure", "unsure", "pending"]
            delivery = RecordingDelivery()
            second.services.delivery.register("console", delivery)
            await delivery.wait_until(lambda: len(delivery.private) == 1)
            await second.notices.idle()
    assert [who for who, _, _ in delivery.private] == ["console:m2"]
    (report,) = [r.getMessage() for r in caplog.records if r.name == "bot.core.outbox"]
    assert "2 notices" in report and "idea.hidden" in report and "Secret" not in report and "console:m" not in report


def test_sigkill_between_claim_and_send_leaves_unsure_never_a_second_send(tmp_path: Path) -> None:
    """Kill -9 mid-drain: on restart the waiting notices go, the cut-off ones are unsure, none twice."""
    from tests.scripts.notice_drain import RATE

    db, total, limit = tmp_path / "outbox.db", 30, 8
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "scripts" / "notice_drain.py"), str(db),
                                str(total), str(limit)], stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    first: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("sent "):
            first.append(line.split()[1])
        if line.startswith("stuck ") and len(first) >= limit:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL and len(first) == limit
    with sqlite3.connect(db) as conn:
        sending = {who for (who,) in conn.execute("SELECT member FROM outbox WHERE status = 'sending'")}
    assert 1 <= len(sending) <= RATE  # claims are a second's worth of the platform's rate

    async def restart() -> RecordingDelivery:
        async with running_app(make_settings(db)) as app:
            delivery = RecordingDelivery()
            app.services.delivery.register("console", delivery)
            expected = total - len(set(first) | sending)
            await delivery.wait_until(lambda: len(delivery.private) >= expected)
            await app.notices.idle()
        return delivery

    second = [who for who, _, _ in asyncio.run(restart()).private]
    everyone = {f"console:m{i}" for i in range(total)}
    # A send the platform accepted but whose 'sent' mark the kill beat is 'unsure' too: never sent again.
    assert len(second) == len(set(second)) == total - len(set(first) | sending)
    assert not set(first) & set(second) and not sending & set(second)
    assert set(first) | set(second) | sending == everyone
    with sqlite3.connect(db) as conn:
        counts = dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
    assert counts == {"sent": total - len(sending), "unsure": len(sending)}


class CountingStore(SqliteNoticeStore):
    """The SQLite notice store, remembering the size of each claim."""

    claims: list[int]

    async def claim(self, spaces: Collection[str], limit: int, now: datetime) -> list[QueuedNotice]:
        """Claim, and note how many."""
        claimed = await super().claim(spaces, limit, now)
        if claimed:
            self.claims.append(len(claimed))
        return claimed


async def test_300_notices_are_paced_at_the_platform_rate(app: App) -> None:
    """300 Slack notices at 10 a second (bursts of 10) take 29 virtual seconds, claimed 10 per write."""
    now = [0.0]
    times: list[float] = []

    async def virtual_sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    class TimedDelivery(RecordingDelivery):
        async def send_private(self, space: str, member: str, reply: Reply) -> bool:
            times.append(now[0])
            return await super().send_private(space, member, reply)

    app.notices.pacer = Pacer({"slack": 10}, lambda: now[0], virtual_sleep)
    store = CountingStore(app.services.db)
    store.claims = []
    app.notices.store = store
    delivery = TimedDelivery()
    app.services.delivery.register("slack", delivery)
    batch = [Notice("slack:T1", f"slack:U{i}", "idea.hidden", {"ref": i, "text": "Idée", "reason": None})
             for i in range(300)]  # fmt: skip
    await app.services.db.write(lambda conn: enqueue(conn, batch, START))
    await delivery.wait_until(lambda: len(delivery.private) == 300, timeout=30)
    await app.notices.idle()
    assert times[-1] == pytest.approx(29.0, abs=0.01)
    assert all(sum(1 for t in times if t <= moment) <= 10 + 10 * moment + 1e-6 for moment in times)
    assert sum(store.claims) == 300 and max(store.claims) == 10
    assert sorted(who for who, _, _ in delivery.private) == sorted(f"slack:U{i}" for i in range(300))


async def test_one_pacer_for_reminders_and_notices(app: App) -> None:
    """Reminder fan-outs and the outbox spend the same per-platform budget."""
    assert app.notices.pacer is app.services.schedule.sender.pacer is app.services.pacer


@pytest.mark.logs_errors
async def test_a_notice_without_renderer_fails_loudly_once(app: App, caplog: pytest.LogCaptureFixture) -> None:
    """An unknown kind is an ERROR in the log and a 'failed' row, never retried, never sent."""
    delivery = RecordingDelivery()
    app.services.delivery.register("console", delivery)
    await app.services.db.write(lambda conn: enqueue(conn, [Notice(SPACE, "console:bob", "nobody.knows")], START))
    await app.notices.idle()
    await app.services.wakeups.run_due()
    await app.notices.idle()
    assert await statuses(app) == ["failed"] and delivery.private == []
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "outbox: no renderer for notice=1 kind=nobody.knows, marked failed"
    ]

"""/healthz and /metrics over real HTTP: on the page server, on a port of their own and on Slack's HTTP server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.slack.adapter import build_bolt, close_bolt
from bot.adapters.slack.server import http_server
from bot.app import App
from bot.config import Settings
from bot.core.clock import ManualClock
from bot.core.notices import Notice
from bot.features import FEATURES
from bot.ops.health import health
from bot.ops.server import start_ops
from bot.store.sqlite.outbox import enqueue
from bot.web.server import web_app
from tests import echo
from tests.echo.commands import Heard
from tests.helpers import START, ConsoleSession, Session, make_settings, running_app
from tests.postgres import fresh_schema
from tests.slack_support import BOB, SECRET, TEAM, slack_bot

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@asynccontextmanager
async def served(application: web.Application) -> AsyncIterator[str]:
    """`application` on a free loopback port: its base URL."""
    runner = web.AppRunner(application, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def scrape(base: str) -> Samples:
    """GET /metrics, parsed by the Prometheus client's own parser: value by (sample name, labels)."""
    async with aiohttp.ClientSession() as session, session.get(f"{base}/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = await resp.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def probe(base: str) -> tuple[int, dict[str, Any]]:
    """GET /healthz: status and JSON body."""
    async with aiohttp.ClientSession() as session, session.get(f"{base}/healthz") as resp:
        return resp.status, await resp.json()


def votes(samples: Samples, platform: str = "console") -> float:
    return samples.get(("phosphore_votes_total", (("platform", platform),)), 0.0)


async def test_a_vote_moves_the_counters_on_the_page_server(app: App, bot: Session) -> None:
    """After votes through the bot, /metrics on the page server counts them and the card edits they caused."""
    async with served(web_app(app)) as base:
        assert votes(await scrape(base)) == 0
        await bot.say('/poll create "Quel jour ?" "Lundi" "Mardi"')
        await bot.as_("bob").click(1)
        await bot.as_("carol").click(2)
        await bot.settle()
        samples = await scrape(base)
        assert votes(samples) == 2
        assert samples[("phosphore_card_edits_total", (("platform", "console"),))] >= 1
        assert samples[("phosphore_db_commits_total", ())] >= 3
        await bot.as_("bob").click(1)  # un-voting is a vote too
        assert votes(await scrape(base)) == 3
        status, body = await probe(base)
    assert status == 200
    assert body["ok"] and body["database"]["ok"] and body["scheduler"]["running"]


async def test_likes_signups_notices_and_the_outbox_queue_on_the_ops_port(app: App, bot: Session) -> None:
    """The port of its own serves the same app: likes, sign-ups by status, notices sent and waiting."""
    runner = await start_ops(app, "127.0.0.1", 0)
    assert runner is not None
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}"
    try:
        await bot.say('/idea wall open "Idées"')
        submitted = await app.services.ideas.submit("console:local", "general", bot.as_("bob").member, "Un atelier")
        assert submitted.idea is not None
        await bot.as_("carol").act(f"idea:like:{submitted.idea.id}")
        await bot.say('/idea hide 1 --reason "Hors sujet"')  # bob is told privately, through the outbox
        await bot.say('/event create "Rencontre" --start "30 juin 9h30" --end "17h" --onsite 1 --remote 0')
        [event] = await app.services.events.upcoming("console:local")
        await bot.as_("bob").act(f"event:join:{event.id}:onsite")
        await bot.as_("carol").act(f"event:join:{event.id}:onsite")
        # A notice for a platform no adapter serves waits in the outbox: the queue is one deep.
        notice = Notice("discord:1", "discord:42", "idea.hidden", {"ref": 1, "text": "x", "reason": None})
        await app.services.db.write(lambda conn: enqueue(conn, [notice], START))
        await app.notices.idle()
        samples = await scrape(base)
    finally:
        await runner.cleanup()
    assert samples[("phosphore_likes_total", (("platform", "console"),))] == 1
    assert samples[("phosphore_signups_total", (("platform", "console"), ("status", "confirmed")))] == 1
    assert samples[("phosphore_signups_total", (("platform", "console"), ("status", "waitlisted")))] == 1
    assert samples[("phosphore_queue_depth", (("platform", "discord"), ("queue", "outbox")))] == 1
    assert samples[("phosphore_notices_total", (("outcome", "sent"), ("platform", "console")))] == 1
    assert bot.private("bob")
    assert ("phosphore_handler_errors_total", (("platform", "console"),)) not in samples


async def test_health_is_503_while_the_database_is_closed(settings: Settings) -> None:
    """Before start and after stop the database is closed: 503, saying which part failed; /metrics still answers."""
    app = App(settings, ManualClock(START))
    async with served(web_app(app)) as base:
        status, body = await probe(base)
        assert status == 503 and body["database"]["ok"] is False and body["database"]["error"]
        assert body["scheduler"] == {"ok": False, "leader": False, "running": False, "next_wakeup": None}
        await app.start()
        try:
            assert (await probe(base))[0] == 200
        finally:
            await app.stop()
        status, body = await probe(base)
        assert status == 503 and body["ok"] is False and body["database"]["ok"] is False
        assert votes(await scrape(base)) == 0


async def test_health_is_503_when_the_writer_does_not_answer_in_time(app: App) -> None:
    """A wedged group commit (here a write holding the writer thread) fails the probe within its timeout."""
    release = threading.Event()
    stuck = asyncio.ensure_future(app.services.db.write(lambda _conn: release.wait(5)))
    try:
        ok, body = await health(app, timeout=0.2)
        assert not ok and body["database"] == {"ok": False, "error": "no answer within 0.2 s"}
    finally:
        release.set()
        await stuck
    assert (await health(app))[0]


async def test_health_is_503_once_the_scheduler_stopped(settings: Settings) -> None:
    """The process that runs the scheduler is unhealthy when wake-ups no longer fire."""
    async with running_app(settings) as app:
        assert (await health(app))[1]["scheduler"] == {"ok": True, "leader": True, "running": True, "next_wakeup": None}
        await app.services.wakeups.shutdown()
        ok, body = await health(app)
        assert not ok and body["scheduler"]["running"] is False and body["database"]["ok"]


async def test_slack_http_mode_serves_health_and_metrics_on_its_port(tmp_path: Path) -> None:
    """Behind a load balancer the Slack port is probed: full health, and the Slack votes counted per platform."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        assert (await bot.click(f"poll:vote:{poll_id}:0", BOB, ts, team=TEAM))[0] == 200
        await bot.fake.wait_for("chat.postEphemeral")
        bolt = build_bolt(bot.app.services.settings, base_url=bot.fake.base_url)
        try:
            async with http_server(bolt, "127.0.0.1", 0, SECRET, bot.app) as url:
                base = url.removesuffix("/slack/events")
                samples = await scrape(base)
                status, body = await probe(base)
        finally:
            await close_bolt(bolt)
    assert votes(samples, "slack") == 1 and votes(samples) == 0
    assert status == 200 and body["database"]["ok"]


@pytest.mark.logs_errors
async def test_a_failing_handler_counts_as_a_handler_error(settings: Settings) -> None:
    """An incident (a handler raising) moves phosphore_handler_errors_total for its platform."""
    async with running_app(settings, features=(*FEATURES, echo.FEATURE)) as app, served(web_app(app)) as base:
        app.services.get(Heard).fail_on = "boum"
        console = ConsoleSession(app)
        await console.say("/echo watch")
        await console.say("boum")
        await console.say("ensuite")
        samples = await scrape(base)
    assert samples[("phosphore_handler_errors_total", (("platform", "console"),))] == 1


async def test_health_and_metrics_on_postgresql(tmp_path: Path) -> None:
    """On PostgreSQL too: a vote counted, the queues read from the server, 200 while running and 503 once stopped."""
    with fresh_schema() as url:
        app = App(make_settings(tmp_path / "unused.db", bot__database=url), ManualClock(START))
        async with served(web_app(app)) as base:
            await app.start()
            try:
                bot = Session(app)
                await bot.say('/poll create "Quel jour ?" "Lundi" "Mardi"')
                await bot.as_("bob").click(1)
                samples = await scrape(base)
                status, body = await probe(base)
            finally:
                await app.stop()
            assert (await probe(base))[0] == 503
    assert votes(samples) == 1 and samples[("phosphore_db_commits_total", ())] >= 2
    assert status == 200 and body["database"]["ok"] and body["scheduler"]["running"]

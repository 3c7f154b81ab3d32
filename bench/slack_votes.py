"""Signed vote clicks against Phosphore's Slack adapter vs a bare Bolt app that only acks (same run).

Run from the repository root: `python -m bench.slack_votes [--clicks 2000] [--concurrency 50]`.
Prints clicks per second and p50/p99 time to ack for both, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.adapter import SlackAdapter, build_bolt, close_bolt
from bot.adapters.slack.server import http_server
from tests.fakes.slack_api import (
    FakeSlack,
    block_actions_body,
    fake_slack,
    post_signed,
    serve_bolt_app,
    slash_command_body,
)
from tests.helpers import running_app
from tests.slack_support import ALICE, CHANNEL, SECRET, TEAM, slack_settings

Body = Callable[[int], str]


async def hammer(url: str, bodies: list[str], concurrency: int) -> tuple[float, list[float]]:
    """POST every body signed, `concurrency` at a time; (requests per second, latencies in ms)."""
    latencies: list[float] = []
    queue = iter(bodies)

    async def worker(session: aiohttp.ClientSession) -> None:
        for body in queue:
            started = time.perf_counter()
            status, _ = await post_signed(url, body, SECRET, session=session)
            latencies.append((time.perf_counter() - started) * 1000)
            assert status == 200, status

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(bodies) / elapsed, latencies


def clicks(poll_id: int, ts: str, count: int, voters: int, salt: str = "1") -> list[str]:
    """Click bodies on option 0/1 by `voters` distinct members (toggles, as real members do).

    Each carries its own trigger id, as Slack's do: the adapter ignores a request replayed byte for byte.
    """
    return [
        block_actions_body(
            f"poll:vote:{poll_id}:{n % 2}",
            None,
            user_id=f"U{n % voters:05d}",
            team_id=TEAM,
            channel_id=CHANNEL,
            message_ts=ts,
            trigger_id=f"{salt}.{n}.bench",
        )
        for n in range(count)
    ]


async def bare(fake: FakeSlack, bodies: list[str], concurrency: int) -> tuple[float, list[float]]:
    """A Bolt app whose only listener acks."""
    app = AsyncApp(client=AsyncWebClient(token="xoxb-test", base_url=fake.base_url), signing_secret=SECRET)

    @app.action(re.compile("^poll:"))
    async def ack_only(ack: AsyncAck) -> None:
        await ack()

    async with serve_bolt_app(app) as url:
        await hammer(url, bodies[:50], concurrency)  # warm-up (auth.test)
        return await hammer(url, bodies, concurrency)


async def counts(session: aiohttp.ClientSession, base_url: str) -> dict[str, int]:
    """Calls per method recorded by the fake in its own process."""
    async with session.post(base_url + "bench.counts") as resp:
        return dict((await resp.json())["counts"])


async def until_counted(base_url: str, method: str, count: int, timeout: float = 60.0) -> None:
    """Wait until the fake has recorded `count` calls of `method` (it lives in another process)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while (await counts(session, base_url)).get(method, 0) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {count} {method} after {timeout}s")
            await asyncio.sleep(0.01)


async def phosphore(
    base_url: str, db: Path, count: int, voters: int, concurrency: int
) -> tuple[float, list[float], float]:
    """The real adapter: vote committed, ephemeral confirmation, coalesced chat.update."""
    async with running_app(slack_settings(db, bot__live_update_interval=2.0)) as app:
        bolt = build_bolt(app.services.settings, base_url=base_url)
        SlackAdapter(app, bolt)
        try:
            async with http_server(bolt, "127.0.0.1", 0, SECRET) as url:
                create = slash_command_body(
                    "/poll", 'create "Bench?" "A" "B"', user_id=ALICE, team_id=TEAM, channel_id=CHANNEL
                )
                await post_signed(url, create, SECRET)
                await until_counted(base_url, "chat.postMessage", 1)
                await until_counted(base_url, "chat.update", 0)
                bodies = clicks(1, "1700000000.000100", count, voters)
                await hammer(url, clicks(1, "1700000000.000100", 50, voters, salt="warm"), concurrency)  # warm-up
                await until_counted(base_url, "chat.postEphemeral", 50)
                started = time.perf_counter()
                rate, latencies = await hammer(url, bodies, concurrency)
                await until_counted(base_url, "chat.postEphemeral", count + 50)
                done_rate = count / (time.perf_counter() - started)
                await app.services.cards.drain()
        finally:
            await close_bolt(bolt)
    return rate, latencies, done_rate


def summary(name: str, rate: float, latencies: list[float]) -> str:
    """One line of figures."""
    cuts = statistics.quantiles(latencies, n=100)
    return f"{name:<10} {rate:8.0f} clicks/s   p50 {cuts[49]:6.1f} ms   p99 {cuts[98]:6.1f} ms"


async def main(count: int, voters: int, concurrency: int) -> None:
    """Both runs; Phosphore's fake Slack runs in a child process so only the bot's CPU is measured."""
    async with fake_slack() as fake:
        bare_rate, bare_lat = await bare(fake, clicks(1, "1.000001", count, voters), concurrency)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.fake_server", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        base_url = (await child.stdout.readline()).decode().strip()
        with tempfile.TemporaryDirectory() as tmp:
            rate, lat, done_rate = await phosphore(base_url, Path(tmp) / "bench.db", count, voters, concurrency)
        async with aiohttp.ClientSession() as session:
            recorded = await counts(session, base_url)
    finally:
        child.stdin.close()
        await child.wait()
    print(f"{count} signed clicks, {voters} members, {concurrency} concurrent, loopback")
    print(summary("bare Bolt", bare_rate, bare_lat))
    print(summary("Phosphore", rate, lat))
    print(f"ratio {rate / bare_rate:.2f} of the bare app's rate; all {count} votes confirmed at {done_rate:.0f}/s")
    print(f"Web API calls: {dict(sorted(recorded.items()))}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clicks", type=int, default=2000)
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.clicks, args.voters, args.concurrency))

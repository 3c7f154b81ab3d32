"""Signed vote clicks: Phosphore's Slack adapter vs a bare Bolt app doing the same platform work.

Run from the repository root: `python -m bench.slack_votes [--runs 3] [--clicks 2000] [--concurrency 50]`.

Both apps ack each click, then answer the clicker privately with the same call on the same fake Slack
(`--answer`: through the click's response_url, as Phosphore does, or with chat.postEphemeral);
Phosphore also commits the vote before answering and keeps the poll's card live. Three kinds of
process: the fake Slack Web API (one for the whole bench), the app under test (a fresh process per
measurement, bare and Phosphore alternating which goes first, the same GC settings), and this one,
which only signs and sends the clicks and reads the figures. Prints, per run, acks/s, p50/p99 time to
ack and the app process's CPU per click (until every answer has reached the fake); then the median
and range of the Phosphore/bare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.processes import Meter, ask, child, metered, read_line, serve_commands, spread
from tests.fakes.slack_api import block_actions_body, post_signed, slash_command_body
from tests.slack_support import ALICE, CHANNEL, SECRET, TEAM, slack_settings

SIDES = ("bare", "phosphore")
ANSWERS = ("response_url", "ephemeral")
ANSWER_TEXT = "Your vote is recorded: A"  # about the size of Phosphore's confirmation


# ---------------------------------------------------------------- the apps under test (child processes)


@asynccontextmanager
async def serve_bare(api: str, answer: str) -> AsyncIterator[str]:
    """A bare Bolt app, idiomatic: ack, then answer the clicker; its Web API client on one shared session."""
    from slack_bolt.app.async_app import AsyncApp
    from slack_bolt.context.ack.async_ack import AsyncAck
    from slack_sdk.web.async_client import AsyncWebClient

    from tests.fakes.slack_api import serve_bolt_app

    session = aiohttp.ClientSession()
    app = AsyncApp(client=AsyncWebClient(token="xoxb-test", base_url=api, session=session), signing_secret=SECRET)

    @app.action(re.compile("^poll:"))
    async def vote(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if answer == "response_url":
            payload = {"response_type": "ephemeral", "replace_original": False, "text": ANSWER_TEXT}
            async with session.post(body["response_url"], json=payload) as resp:
                await resp.read()
        else:
            await client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"], text=ANSWER_TEXT)

    try:
        async with serve_bolt_app(app) as url:
            yield url
    finally:
        await session.close()


@asynccontextmanager
async def serve_phosphore(api: str, answer: str) -> AsyncIterator[str]:
    """Phosphore's Slack adapter over HTTP on a fresh database holding one open poll (id 1), its card posted."""
    from bot.adapters.slack.adapter import SlackAdapter, build_bolt, close_bolt
    from bot.adapters.slack.server import http_server
    from tests.helpers import running_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = slack_settings(Path(tmp) / "bench.db", bot__live_update_interval=2.0)
        async with running_app(settings) as app:
            bolt = build_bolt(app.services.settings, base_url=api)
            SlackAdapter(app, bolt)
            try:
                async with http_server(bolt, "127.0.0.1", 0, SECRET) as url:
                    create = slash_command_body(
                        "/poll", 'create "Bench?" "A" "B"', user_id=ALICE, team_id=TEAM, channel_id=CHANNEL
                    )
                    assert (await post_signed(url, create, SECRET))[0] == 200
                    deadline = time.monotonic() + 10
                    while not await app.services.cards.messages.refs("poll:1"):
                        assert time.monotonic() < deadline, "the poll's card was never posted"
                        await asyncio.sleep(0.01)
                    yield url
                    await app.services.cards.drain()
            finally:
                await close_bolt(bolt)


async def serve(side: str, api: str, answer: str, freeze: bool, profile: str | None) -> None:
    """Serve one app; print its URL, then obey `start` and `stop` on stdin."""
    app = serve_bare(api, answer) if side == "bare" else serve_phosphore(api, answer)
    async with app as url:
        print(url, flush=True)
        await serve_commands(Meter(freeze, profile and f"{profile}.{side}"))


# ---------------------------------------------------------------- the load generator and the measure


def clicks(count: int, voters: int, response_urls: str, salt: str) -> list[str]:
    """Click bodies on poll 1's options 0/1 by `voters` distinct members (toggles, as real members do).

    Each carries its own trigger id, as Slack's do: the adapter ignores a request replayed byte for byte.
    """
    return [
        block_actions_body(
            f"poll:vote:1:{n % 2}",
            None,
            user_id=f"U{n % voters:05d}",
            team_id=TEAM,
            channel_id=CHANNEL,
            message_ts="1700000000.000100",
            trigger_id=f"{salt}.{n}.bench",
            response_url=f"{response_urls}{salt}{n}",
        )
        for n in range(count)
    ]


async def hammer(url: str, bodies: list[str], concurrency: int) -> tuple[float, list[float]]:
    """POST every body signed, `concurrency` at a time; (acks per second, latencies in ms)."""
    latencies: list[float] = []
    queue = iter(bodies)

    async def worker(session: aiohttp.ClientSession) -> None:
        for body in queue:
            started = time.perf_counter()
            status, _ = await post_signed(url, body, SECRET, session=session)
            latencies.append((time.perf_counter() - started) * 1000)
            assert status == 200, status

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(bodies) / elapsed, latencies


class Fake:
    """The fake Slack in its own process (bench.fake_server)."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self.session = session

    async def call(self, method: str) -> dict[str, Any]:
        """One of the bench's own methods."""
        async with self.session.post(self.base_url + method) as resp:
            return dict(await resp.json())

    async def answers(self) -> int:
        """Private answers recorded since the last reset, whichever way they came."""
        counts = (await self.call("bench.counts"))["counts"]
        return int(counts.get("response_url", 0) + counts.get("chat.postEphemeral", 0))

    async def until_answered(self, count: int, timeout: float = 120.0) -> None:
        """Wait until `count` answers are recorded."""
        deadline = time.monotonic() + timeout
        while await self.answers() < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {count} answers after {timeout}s")
            await asyncio.sleep(0.01)


@dataclass(frozen=True)
class Measure:
    """One side of one run."""

    side: str
    rate: float  # acks per second
    done_rate: float  # clicks per second until the last answer reached the fake
    p50: float
    p99: float
    cpu_ms: float  # the app process's CPU per click, until the last answer
    loop_cpu_ms: float  # the part of it spent on the event loop's thread
    gc2: tuple[int, float]  # full collections during the measure: how many, the longest (ms)


async def measure(side: str, fake: Fake, args: argparse.Namespace, run: int) -> Measure:
    """Start the app in a fresh process, warm it up (every voter once), then time `args.clicks` clicks."""
    options = ["--answer", args.answer, *(["--freeze"] if args.freeze else [])]
    options += ["--profile", args.profile] if args.profile else []
    async with child("bench.slack_votes", "serve", side, "--api", fake.base_url, *options) as app:
        url = await read_line(app)
        assert url.startswith("http"), f"the {side} app did not start"
        response_urls = fake.base_url.replace("/api/", "/response/")
        await fake.call("bench.reset")
        await hammer(url, clicks(args.voters, args.voters, response_urls, f"w{run}"), args.concurrency)
        await fake.until_answered(args.voters)
        await fake.call("bench.reset")
        bodies = clicks(args.clicks, args.voters, response_urls, f"r{run}")
        assert await ask(app, "start") == "started"
        started = time.perf_counter()
        rate, latencies = await hammer(url, bodies, args.concurrency)
        await fake.until_answered(args.clicks)
        done_rate = args.clicks / (time.perf_counter() - started)
        figures = await metered(app)
    cuts = statistics.quantiles(latencies, n=100)
    ms = 1000 / args.clicks
    cpu, loop_cpu, gc2 = figures["cpu"] * ms, figures["loop_cpu"] * ms, (figures["gc2"], figures["gc2_max_ms"])
    return Measure(side, rate, done_rate, cuts[49], cuts[98], cpu, loop_cpu, gc2)


def line(m: Measure) -> str:
    """One side's figures."""
    return (
        f"  {m.side:<10} {m.rate:7.0f} acks/s  p50 {m.p50:6.1f} ms  p99 {m.p99:6.1f} ms"
        f"  CPU/click {m.cpu_ms:4.2f} ms ({m.loop_cpu_ms:4.2f} on the loop)  all answered at {m.done_rate:5.0f}/s"
        f"  full GCs {m.gc2[0]} (longest {m.gc2[1]:.0f} ms)"
    )


async def main(args: argparse.Namespace) -> None:
    """Alternating runs against one fake Slack; per-run figures, then medians and ranges of the ratios."""
    print(
        f"{args.clicks} signed clicks, {args.voters} members, {args.concurrency} concurrent, loopback;"
        f" answers by {args.answer}; GC {'frozen after warm-up' if args.freeze else 'as is'} on both sides"
    )
    runs: list[dict[str, Measure]] = []
    async with child("bench.fake_server") as server, aiohttp.ClientSession() as session:
        fake = Fake(await read_line(server), session)
        for run in range(args.runs):
            order = SIDES if run % 2 == 0 else SIDES[::-1]
            measures = {side: await measure(side, fake, args, run) for side in order}
            runs.append(measures)
            print(f"run {run + 1} ({' then '.join(order)})")
            for side in SIDES:
                print(line(measures[side]))
    rate = [r["phosphore"].rate / r["bare"].rate for r in runs]
    done = [r["phosphore"].done_rate / r["bare"].done_rate for r in runs]
    cpu = [r["phosphore"].cpu_ms / r["bare"].cpu_ms for r in runs]
    print(f"Phosphore / bare, median [range] over {len(runs)} runs:")
    print(f"  acks/s {spread(rate)}   all answered {spread(done)}   CPU per click {spread(cpu)}")
    for side in SIDES:
        p50 = statistics.median(r[side].p50 for r in runs)
        p99 = [r[side].p99 for r in runs]
        print(f"  {side:<10} p50 {p50:.1f} ms, p99 {spread(p99)} ms")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The bench's options; `serve <side>` runs one app (the child processes)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clicks", type=int, default=2000)
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--answer", choices=ANSWERS, default="response_url", help="how both apps answer a click")
    parser.add_argument(
        "--no-freeze", dest="freeze", action="store_false", help="leave the GC as is (both apps freeze it by default)"
    )
    parser.add_argument("--profile", help="cProfile both apps during the measure, to <PROFILE>.<side>")
    sub = parser.add_subparsers(dest="command")
    child_parser = sub.add_parser("serve")
    child_parser.add_argument("side", choices=SIDES)
    child_parser.add_argument("--api", required=True)
    child_parser.add_argument("--answer", choices=ANSWERS, default="response_url")
    child_parser.add_argument("--freeze", action="store_true")
    child_parser.add_argument("--profile")
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse()
    if options.command == "serve":
        asyncio.run(serve(options.side, options.api, options.answer, options.freeze, options.profile))
    else:
        asyncio.run(main(options))

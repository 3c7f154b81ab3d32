"""Component clicks: Phosphore's Discord adapter vs a bare discord.py client doing the same platform work.

Run from the repository root: `python bench/discord_bare.py [--runs 3] [-n 2000] [-c 50]`.

Both clients answer each click with an ephemeral message (the interaction's callback); Phosphore
also commits the vote first and keeps the poll's card live. This process runs the loopback fake
Discord (gateway and REST) and sends the clicks; each client runs in a fresh process per measurement,
bare and Phosphore alternating which goes first, with the same GC settings (frozen after the warm-up,
as `phosphore run` does after start-up, unless --no-freeze). Prints, per run, interactions/s, p50/p99
from dispatch to the callback received, the client process's CPU per interaction; then the median and
range of the Phosphore/bare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import discord
import yarl

# Run as a script, sys.path[0] is bench/: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.processes import Meter, ask, child, metered, read_line, serve_commands, spread
from bot.adapters.discord.client import PhosphoreClient
from bot.app import App
from bot.core.model import Member
from bot.features.polls.domain import PollDraft
from tests.fakes.discord_api import FakeDiscord
from tests.helpers import make_settings

GUILD_ID = 1_200_000_000_000_000_001
CHANNEL_ID = 1_200_000_000_000_000_101
USER_ID = 1_200_000_000_000_000_301
CLIENTS = ("bare", "phosphore")
WARMUP = 100


# ---------------------------------------------------------------- the clients (child processes)


class BareVote(discord.ui.DynamicItem[discord.ui.Button], template=r"bench:(?P<i>\d+)"):
    """A dynamic button that only answers."""

    def __init__(self, i: int) -> None:
        """Wrap a button whose custom_id carries the index."""
        super().__init__(discord.ui.Button(label="ok", custom_id=f"bench:{i}"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[discord.ui.View], match: re.Match[str], /
    ) -> BareVote:
        """Rebuild from the custom_id."""
        return cls(int(match["i"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """The same answer as Phosphore's: an ephemeral message."""
        await interaction.response.send_message("Your vote is recorded: A", ephemeral=True)


def bare_client() -> discord.Client:
    """A plain discord.py client with BareVote registered."""
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    client.add_dynamic_items(BareVote)
    return client


class PhosphoreBenchClient(PhosphoreClient):
    """Phosphore's Discord adapter on a fresh temporary database holding one open poll (id 1)."""

    async def setup_hook(self) -> None:
        """Start the app and open the poll the clicks vote on."""
        await super().setup_hook()
        await self.app.start()
        staff = Member(f"discord:{USER_ID}", "bench", is_staff=True)
        await self.app.services.polls.create(
            f"discord:{GUILD_ID}", str(CHANNEL_ID), staff, PollDraft("Bench ?", ("A", "B"))
        )

    async def close(self) -> None:
        """Close the client, then the app (flushes live cards, closes the database)."""
        closing = not self.is_closed()
        await super().close()
        if closing:
            await self.app.stop()


def phosphore_client() -> discord.Client:
    """The real adapter: member, dispatcher, a durable vote (group commit), an ephemeral confirmation.

    Its own start-up freeze is off: the bench freezes both clients at the same point.
    """
    db = Path(tempfile.mkdtemp(prefix="phosphore-bench-")) / "bench.db"
    settings = make_settings(db, bot__live_update_interval=2.0)
    return PhosphoreBenchClient(App(settings), guild_ready_timeout=0.05, freeze_gc=False)


def custom_id(name: str, i: int) -> str:
    """What click i carries: BareVote's index, or a vote on poll 1 alternating options (every click a write)."""
    return f"bench:{i}" if name == "bare" else f"poll:vote:1:{i % 2}"


async def serve(name: str, api: str, gateway: str, freeze: bool, profile: str | None) -> None:
    """Connect one client to the parent's fake; say `ready`, then obey `start` and `stop` on stdin."""
    discord.http.Route.BASE = api
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    for noisy in ("discord", "bot"):  # start-up notices; errors still show
        logging.getLogger(noisy).setLevel(logging.ERROR)
    client = bare_client() if name == "bare" else phosphore_client()
    async with client:
        running = asyncio.create_task(client.start("fake-token"))
        await asyncio.wait_for(client.wait_until_ready(), 10)
        print("ready", flush=True)
        await serve_commands(Meter(freeze, profile and f"{profile}.{name}"))
        await client.close()
        await running


# ---------------------------------------------------------------- the load and the measure


@dataclass(frozen=True)
class Measure:
    """One client in one run."""

    name: str
    rate: float  # interactions per second
    p50: float
    p99: float
    cpu_ms: float  # the client process's CPU per interaction
    loop_cpu_ms: float  # the part of it on the event loop's thread
    gc2: tuple[int, float]  # full collections during the measure: how many, the longest (ms)


async def clicks(fake: FakeDiscord, name: str, first: int, count: int, concurrency: int) -> list[float]:
    """Send `count` clicks, `concurrency` in flight; the latencies (dispatch -> callback received, ms)."""
    latencies: list[float] = []
    numbers = iter(range(first, first + count))

    async def worker() -> None:
        for i in numbers:
            payload = fake.component_interaction(
                custom_id(name, i), guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=USER_ID,
                message_id=fake.snowflake(),
            )  # fmt: skip
            started = time.perf_counter()
            call = await fake.interact(payload, timeout=30.0)
            assert call.status == 200, call
            latencies.append((call.at - started) * 1000)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


async def measure(name: str, args: argparse.Namespace) -> Measure:
    """A fresh fake and a fresh client process: warm up, then time `args.n` clicks."""
    async with FakeDiscord() as fake:
        fake.add_guild(GUILD_ID, channels=[CHANNEL_ID], members=[USER_ID])
        options = ["--api", fake.api_base, "--gateway", fake.gateway_url, *([] if args.freeze else ["--no-freeze"])]
        options += ["--profile", args.profile] if args.profile else []
        async with child("bench.discord_bare", "serve", name, *options) as client:
            assert await read_line(client) == "ready", f"the {name} client did not connect"
            await clicks(fake, name, 0, WARMUP, args.concurrency)
            assert await ask(client, "start") == "started"
            started = time.perf_counter()
            latencies = await clicks(fake, name, WARMUP, args.n, args.concurrency)
            elapsed = time.perf_counter() - started
            figures = await metered(client)
    cuts = statistics.quantiles(latencies, n=100)
    ms = 1000 / args.n
    gc2 = (int(figures["gc2"]), float(figures["gc2_max_ms"]))
    return Measure(name, args.n / elapsed, cuts[49], cuts[98], figures["cpu"] * ms, figures["loop_cpu"] * ms, gc2)


def line(m: Measure) -> str:
    """One client's figures."""
    return (
        f"  {m.name:<10} {m.rate:7.0f} int/s  p50 {m.p50:6.1f} ms  p99 {m.p99:6.1f} ms"
        f"  CPU/int {m.cpu_ms:4.2f} ms ({m.loop_cpu_ms:4.2f} on the loop)  full GCs {m.gc2[0]} (longest {m.gc2[1]:.0f} ms)"
    )


async def main(args: argparse.Namespace) -> None:
    """Alternating runs; per-run figures, then medians and ranges of the ratios."""
    print(
        f"{args.n} component clicks, {args.concurrency} in flight, loopback fake in this process, each client in its"
        f" own (python {sys.version.split()[0]}, discord.py {discord.__version__});"
        f" GC {'frozen after warm-up' if args.freeze else 'as is'} on both sides"
    )
    runs: list[dict[str, Measure]] = []
    for run in range(args.runs):
        order = CLIENTS if run % 2 == 0 else CLIENTS[::-1]
        measures = {name: await measure(name, args) for name in order}
        runs.append(measures)
        print(f"run {run + 1} ({' then '.join(order)})")
        for name in CLIENTS:
            print(line(measures[name]))
    rate = [r["phosphore"].rate / r["bare"].rate for r in runs]
    cpu = [r["phosphore"].cpu_ms / r["bare"].cpu_ms for r in runs]
    print(f"Phosphore / bare, median [range] over {len(runs)} runs:")
    print(f"  interactions/s {spread(rate)}   CPU per interaction {spread(cpu)}")
    for name in CLIENTS:
        p50 = statistics.median(r[name].p50 for r in runs)
        print(f"  {name:<10} p50 {p50:.1f} ms, p99 {spread([r[name].p99 for r in runs])} ms")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The bench's options; `serve <client>` runs one client (the child processes)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-n", type=int, default=2000, help="interactions per client and run")
    parser.add_argument("-c", "--concurrency", type=int, default=50, help="interactions in flight")
    parser.add_argument("--no-freeze", dest="freeze", action="store_false", help="leave the GC as is on both sides")
    parser.add_argument("--profile", help="cProfile both clients during the measure, to <PROFILE>.<client>")
    sub = parser.add_subparsers(dest="command")
    serving = sub.add_parser("serve")
    serving.add_argument("name", choices=CLIENTS)
    serving.add_argument("--api", required=True)
    serving.add_argument("--gateway", required=True)
    serving.add_argument("--no-freeze", dest="freeze", action="store_false")
    serving.add_argument("--profile")
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse()
    if options.command == "serve":
        asyncio.run(serve(options.name, options.api, options.gateway, options.freeze, options.profile))
    else:
        asyncio.run(main(options))

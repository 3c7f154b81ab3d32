"""Component interactions/s and dispatch-to-callback latency for discord.py clients against the loopback fake."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import discord

# Run as a script, sys.path[0] is bench/: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.adapters.discord.client import PhosphoreClient
from bot.app import App
from bot.core.model import Member
from bot.features.polls.domain import PollDraft
from tests.fakes.discord_api import FakeDiscord, run_client
from tests.helpers import make_settings

GUILD_ID = 1_200_000_000_000_000_001
CHANNEL_ID = 1_200_000_000_000_000_101
USER_ID = 1_200_000_000_000_000_301

ClientFactory = Callable[[FakeDiscord], discord.Client]
CustomIdFactory = Callable[[int], str]


@dataclass(frozen=True)
class Stats:
    """Results of one measure() run."""

    name: str
    n: int
    concurrency: int
    ok: int
    elapsed_s: float
    cpu_s: float
    latencies_ms: tuple[float, ...]
    gc2_pauses_ms: tuple[float, ...] = ()

    @property
    def rate(self) -> float:
        """Interactions per second (wall clock)."""
        return self.n / self.elapsed_s

    def percentile(self, p: float) -> float:
        """Latency percentile in ms (nearest rank)."""
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]

    @property
    def cpu_ms_per_interaction(self) -> float:
        """Process CPU per interaction, fake included."""
        return self.cpu_s * 1000 / self.n


class BareVote(discord.ui.DynamicItem[discord.ui.Button], template=r"bench:(?P<i>\d+)"):
    """A dynamic button that only acknowledges."""

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
        """Respond and nothing else."""
        await interaction.response.send_message("ok", ephemeral=True)


class _GcWatch:
    """Records full (generation 2) garbage collection pauses, the source of the latency tail."""

    def __init__(self) -> None:
        """Start empty."""
        self.pauses_ms: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        """gc.callbacks hook."""
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses_ms.append((time.perf_counter() - self._started) * 1000)


def bare_client(fake: FakeDiscord) -> discord.Client:
    """A plain discord.py client with BareVote registered."""
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    client.add_dynamic_items(BareVote)
    return client


def bare_custom_id(i: int) -> str:
    """custom_id routed to BareVote."""
    return f"bench:{i}"


async def measure(
    client_factory: ClientFactory,
    custom_id_factory: CustomIdFactory,
    n: int = 2000,
    concurrency: int = 50,
    *,
    name: str = "client",
    warmup: int = 100,
) -> Stats:
    """Run n component interactions, `concurrency` in flight, against a fresh fake and client."""
    async with FakeDiscord() as fake:
        fake.add_guild(GUILD_ID, channels=[CHANNEL_ID], members=[USER_ID])
        client = client_factory(fake)
        async with run_client(client):
            next_index = 0
            latencies: list[float] = []
            ok = 0

            async def worker(limit: int, record: bool) -> None:
                """Send interactions one after another until `limit` were started."""
                nonlocal next_index, ok
                while next_index < limit:
                    i = next_index
                    next_index += 1
                    payload = fake.component_interaction(
                        custom_id_factory(i),
                        guild_id=GUILD_ID,
                        channel_id=CHANNEL_ID,
                        user_id=USER_ID,
                        message_id=fake.snowflake(),
                    )
                    start = time.perf_counter()
                    call = await fake.interact(payload, timeout=30.0)
                    if record:
                        latencies.append((call.at - start) * 1000)
                        ok += call.status == 200

            await asyncio.gather(*(worker(warmup, False) for _ in range(concurrency)))
            next_index = 0
            watch = _GcWatch()
            gc.callbacks.append(watch)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            try:
                await asyncio.gather(*(worker(n, True) for _ in range(concurrency)))
            finally:
                wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
                gc.callbacks.remove(watch)
            if fake.logged_errors:
                print(f"[{name}] discord.py errors: {fake.logged_errors[:3]}", file=sys.stderr)
    return Stats(name, n, concurrency, ok, wall, cpu, tuple(latencies), tuple(watch.pauses_ms))


def print_table(results: Sequence[Stats]) -> None:
    """A short fixed-width table."""
    header = (
        f"{'client':<22}{'n':>6}{'conc':>6}{'ok':>6}{'int/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'cpu ms/int':>12}{'gc2 n/max ms':>14}"
    )
    print(header)
    print("-" * len(header))
    for s in results:
        print(
            f"{s.name:<22}{s.n:>6}{s.concurrency:>6}{s.ok:>6}{s.rate:>9.0f}{s.percentile(50):>9.2f}"
            f"{s.percentile(99):>9.2f}{max(s.latencies_ms):>9.2f}{s.cpu_ms_per_interaction:>12.3f}"
            f"{f'{len(s.gc2_pauses_ms)}/{max(s.gc2_pauses_ms, default=0.0):.0f}':>14}"
        )


FREEZE_GC = True  # as `phosphore run` does; --no-freeze measures without it


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


def phosphore_client(fake: FakeDiscord) -> discord.Client:
    """The real adapter: member, dispatcher, a durable vote (group commit), an ephemeral confirmation."""
    settings = make_settings(
        Path(tempfile.mkdtemp(prefix="phosphore-bench-")) / "bench.db", bot__live_update_interval=2.0
    )
    return PhosphoreBenchClient(App(settings), guild_ready_timeout=0.05, freeze_gc=FREEZE_GC)


def phosphore_custom_id(i: int) -> str:
    """A vote click on poll 1, alternating options (every click is a write)."""
    return f"poll:vote:1:{i % 2}"


# (name, client factory, custom_id factory): add Phosphore's Discord adapter here to compare in the same run.
CANDIDATES: list[tuple[str, ClientFactory, CustomIdFactory]] = [
    ("discord.py bare", bare_client, bare_custom_id),
    ("phosphore adapter", phosphore_client, phosphore_custom_id),
]


async def main(argv: Sequence[str] | None = None) -> None:
    """Measure every candidate and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="interactions per candidate")
    parser.add_argument("-c", "--concurrency", type=int, default=50, help="interactions in flight")
    parser.add_argument("--no-freeze", action="store_true", help="run Phosphore without gc.freeze() after start-up")
    args = parser.parse_args(argv)
    global FREEZE_GC
    FREEZE_GC = not args.no_freeze
    logging.getLogger("discord").setLevel(logging.ERROR)
    results = [
        await measure(factory, custom_ids, args.n, args.concurrency, name=name)
        for name, factory, custom_ids in CANDIDATES
    ]
    print(
        f"dispatch -> callback received, loopback fake in the same process (python {sys.version.split()[0]}, "
        f"discord.py {discord.__version__})"
    )
    print_table(results)
    print(f"mean latency: {', '.join(f'{s.name} {statistics.fmean(s.latencies_ms):.2f} ms' for s in results)}")
    print(
        f"rate ratio vs {results[0].name}: "
        + ", ".join(f"{s.name} {s.rate / results[0].rate:.2f}" for s in results[1:])
    )


if __name__ == "__main__":
    asyncio.run(main())

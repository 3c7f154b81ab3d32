"""Component interactions/s and dispatch-to-callback latency for discord.py clients against the loopback fake."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import discord

# Run as a script, sys.path[0] is bench/: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.discord_api import FakeDiscord, run_client  # noqa: E402

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


# (name, client factory, custom_id factory): add Phosphore's Discord adapter here to compare in the same run.
CANDIDATES: list[tuple[str, ClientFactory, CustomIdFactory]] = [
    ("discord.py bare", bare_client, bare_custom_id),
]


async def main(argv: Sequence[str] | None = None) -> None:
    """Measure every candidate and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="interactions per candidate")
    parser.add_argument("-c", "--concurrency", type=int, default=50, help="interactions in flight")
    args = parser.parse_args(argv)
    logging.getLogger("discord").setLevel(logging.ERROR)
    results = [
        await measure(factory, custom_ids, args.n, args.concurrency, name=name)
        for name, factory, custom_ids in CANDIDATES
    ]
    print(f"dispatch -> callback received, loopback fake in the same process (python {sys.version.split()[0]}, "
          f"discord.py {discord.__version__})")
    print_table(results)
    print(f"mean latency: {', '.join(f'{s.name} {statistics.fmean(s.latencies_ms):.2f} ms' for s in results)}")


if __name__ == "__main__":
    asyncio.run(main())

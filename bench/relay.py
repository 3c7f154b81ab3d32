"""Live relay latency Slack->Discord and Discord->Slack through the loopback fakes, at 20 messages/s each way.

One process runs the real Slack (Bolt) and Discord (discord.py) adapters against the fakes, a live
thread started on Slack and joined from Discord; members post 20 messages a second on each side for
`--seconds`. Prints latency p50/p99 (member's post -> the copy reaching the other fake), messages
lost, and the relay's posts per channel against each platform's limit.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_live_relay import DBOB, both, bridged, discord_posts, fakes, said, slack_posts

RATE = 20.0  # messages per second, each way


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def most_in(times: list[float], window: float) -> int:
    """The most posts any `window` seconds saw."""
    return max((sum(1 for t in times if start <= t < start + window) for start in times), default=0)


async def run(seconds: float) -> None:
    """Measure and print."""
    count = int(seconds * RATE)
    with tempfile.TemporaryDirectory() as folder:
        async with fakes() as (slack, discord), both(Path(folder), slack, discord) as bot:
            on_slack, on_discord = await bridged(bot)
            s_thread, d_thread = str(on_slack.thread), str(on_discord.thread)
            sent: dict[str, float] = {}
            start = time.perf_counter()

            async def from_slack() -> None:
                for i in range(count):
                    await asyncio.sleep(max(0.0, start + i / RATE - time.perf_counter()))
                    sent[f"S{i:05d}"] = time.perf_counter()
                    await bot.slack_event(said(f"S{i:05d}", f"1700002000.{i:06d}", s_thread))

            async def from_discord() -> None:
                for i in range(count):
                    await asyncio.sleep(max(0.0, start + i / RATE - time.perf_counter()))
                    sent[f"D{i:05d}"] = time.perf_counter()
                    await discord.member_says(int(d_thread), DBOB, f"D{i:05d}")

            await asyncio.gather(from_slack(), from_discord())
            deadline = time.perf_counter() + 15
            while time.perf_counter() < deadline:
                d_posts, s_posts = discord_posts(bot, d_thread), slack_posts(bot, s_thread)
                if (
                    d_posts
                    and s_posts
                    and f"S{count - 1:05d}" in str(d_posts[-1].json["content"])
                    and (f"D{count - 1:05d}" in str(s_posts[-1].params["text"]))
                ):
                    break
                await asyncio.sleep(0.05)
            d_posts, s_posts = discord_posts(bot, d_thread), slack_posts(bot, s_thread)
    arrived: dict[str, float] = {}
    for at, text in [(c.at, str(c.json["content"])) for c in d_posts] + [
        (c.at, str(c.params["text"])) for c in s_posts
    ]:
        for tag in re.findall(r"[SD]\d{5}", text):
            arrived.setdefault(tag, at)
    for label, prefix in (("Slack->Discord", "S"), ("Discord->Slack", "D")):
        lat = [(arrived[t] - sent[t]) * 1000 for t in sent if t.startswith(prefix) and t in arrived]
        lost = sum(1 for t in sent if t.startswith(prefix) and t not in arrived)
        print(f"{label}: {count} messages, p50 {percentile(lat, 0.5):.0f} ms, p99 {percentile(lat, 0.99):.0f} ms, "
              f"max {max(lat, default=0):.0f} ms, lost {lost}")  # fmt: skip
    d_times, s_times = [c.at for c in d_posts], [c.at for c in s_posts]
    print(f"Discord thread: {len(d_posts)} posts, {len(d_posts) / seconds:.2f}/s, "
          f"at most {most_in(d_times, 5.0)} in any 5 s (limit 5)")  # fmt: skip
    print(f"Slack thread: {len(s_posts)} posts, {len(s_posts) / seconds:.2f}/s, "
          f"at most {most_in(s_times, 1.0)} in any 1 s (limit ~1)")  # fmt: skip
    print(f"messages per post: {2 * count / max(1, len(d_posts) + len(s_posts)):.1f} (median gap "
          f"{statistics.median([b - a for a, b in itertools.pairwise(d_times)] or [0]):.2f} s on Discord)")  # fmt: skip


def main() -> None:
    """Parse --seconds and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long members post (default 60)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(run(args.seconds))


if __name__ == "__main__":
    main()

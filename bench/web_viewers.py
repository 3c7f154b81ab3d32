"""500 viewers on one live page over Server-Sent Events: vote-to-last-viewer latency, memory per viewer, vote rate.

Run: .venv/bin/python bench/web_viewers.py [--viewers 500] [--votes 20]
The viewers are aiohttp clients in this process (one loop for bot, server and clients: the latency includes
their parsing); the vote rate is measured on the same app with and without the viewers connected.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import resource
import statistics
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)
import aiohttp
from aiohttp import web

from bot.core.model import Action, Member
from bot.core.ports import Capabilities
from bot.web.server import web_app
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import make_settings, running_app

SPACE = "console:local"
LINK = re.compile(r"/live/([A-Za-z0-9_-]+)")


def rss_mb() -> float:
    """This process's current resident memory, in MB (from /proc: ru_maxrss is only the peak)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1e6


async def watch(session: aiohttp.ClientSession, url: str, seen: list[int], ready: asyncio.Event, total: int) -> None:
    """One viewer: read `state` events forever, counting them."""
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=None)) as stream:
        index = len(seen)
        seen.append(0)
        async for line in stream.content:
            if line.startswith(b"event: state"):
                seen[index] += 1
                if sum(1 for n in seen if n) == total:
                    ready.set()


async def vote_rate(app: object, action_id: str, voters: int, offset: int) -> float:
    """Votes per second for a burst of `voters` concurrent first votes (each a committed, confirmed vote)."""
    dispatcher = app.dispatcher  # type: ignore[attr-defined]
    started = time.perf_counter()
    await asyncio.gather(
        *(
            dispatcher.act(Action(SPACE, "general", Member(f"console:v{offset + i}", f"v{i}"), action_id))
            for i in range(voters)
        )
    )
    return voters / (time.perf_counter() - started)


async def main(viewers: int, votes: int) -> None:
    """Open the page `viewers` times, then time `votes` chat votes until every viewer got the new state."""
    with tempfile.TemporaryDirectory() as folder:
        settings = make_settings(Path(folder) / "bench.db", bot__live_update_interval=0.05)
        async with running_app(settings) as app:
            sent = RecordingDelivery()
            app.services.delivery.register("console", sent, Capabilities(inbound=True, edits=True))
            alice = Member("console:alice", "alice", is_staff=True)
            say = app.dispatcher.invoke_text
            await say(SPACE, "general", alice, 'event create "R" --start "2030-06-30 9h" --end "17h" --onsite 9')
            await say(SPACE, "general", alice, "live start 1")
            await say(SPACE, "general", alice, 'live poll "Q ?" "A" "B"')
            links = LINK.findall((await say(SPACE, "general", alice, "live web")).text or "")
            await sent.wait_until(lambda: any(r.card and "Q ?" in r.card.title for *_x, r in sent.posts))
            vote = next(r.card for *_x, r in sent.posts if r.card and "Q ?" in r.card.title).controls[0].action_id
            runner = web.AppRunner(web_app(app), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            url = f"http://{host}:{port}/live/{links[1]}/events"

            without = await vote_rate(app, vote, 500, 0)
            before = rss_mb()
            seen: list[int] = []
            ready = asyncio.Event()
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as session:
                tasks = [asyncio.create_task(watch(session, url, seen, ready, viewers)) for _ in range(viewers)]
                await asyncio.wait_for(ready.wait(), 60)
                per_viewer = (rss_mb() - before) * 1000 / viewers
                latencies = []
                for n in range(votes):
                    counts = list(seen)
                    started = time.perf_counter()
                    await app.dispatcher.act(Action(SPACE, "general", Member(f"console:w{n}", "w"), vote))
                    while any(now <= then for now, then in zip(seen, counts, strict=True)):
                        await asyncio.sleep(0.001)
                    latencies.append((time.perf_counter() - started) * 1000)
                with_viewers = await vote_rate(app, vote, 500, 10_000)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            await runner.cleanup()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"{viewers} SSE viewers on one page, {votes} chat votes (live update interval 0.05 s)")
    print(f"  vote -> last viewer has it : p50 {statistics.median(latencies):.0f} ms, p99 {p99:.0f} ms")
    print(f"  memory per viewer          : {per_viewer:.1f} kB (server and client sides in this process)")
    print(f"  votes/s, 500 concurrent    : {without:,.0f} without viewers, {with_viewers:,.0f} with them "
          f"(ratio {with_viewers / without:.2f})")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--votes", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.viewers, arguments.votes))

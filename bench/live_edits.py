"""Message edits for a 1,000-vote burst spread over 10 s, with the default 2 s interval.

Run: .venv/bin/python bench/live_edits.py [--votes 1000] [--seconds 10] [--interval 2]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)

from bot.core.model import Action, Member, MessageRef
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import make_settings, running_app

SPACE = "console:local"


async def burst(votes: int, seconds: float, interval: float) -> None:
    """Spread `votes` evenly over `seconds`, then report edits and the final card."""
    with tempfile.TemporaryDirectory() as folder:
        settings = make_settings(Path(folder) / "live.db", bot__live_update_interval=interval)
        async with running_app(settings) as app:
            delivery = RecordingDelivery()
            app.services.delivery.register("console", delivery)
            staff = Member("console:alice", "alice", is_staff=True)
            reply = await app.dispatcher.invoke_text(SPACE, "general", staff, 'poll create "Q ?" "A" "B"')
            await app.dispatcher.posted(reply, MessageRef(SPACE, "general", "m1"))
            ids = [control.action_id for control in reply.card.controls]
            loop = asyncio.get_running_loop()
            started = loop.time()
            pending = []
            for i in range(votes):
                await asyncio.sleep(max(0.0, started + seconds * i / votes - loop.time()))
                pending.append(
                    asyncio.create_task(
                        app.dispatcher.act(Action(SPACE, "g", Member(f"console:v{i}", f"v{i}"), ids[i % 2]))
                    )
                )
            await asyncio.gather(*pending)
            last_vote = loop.time()
            await delivery.wait_until(
                lambda: bool(delivery.edits) and delivery.edits[-1][1].footer.startswith(f"{votes} votants"),
                timeout=interval * 3,
            )
            final = delivery.edits[-1]
            print(f"{votes} votes over {last_vote - started:.1f} s, interval {interval} s")
            print(f"  message edits          : {len(delivery.edits)}  (target <= {int(seconds / interval) + 1})")
            print(
                f"  final card             : {final[1].footer.split(' · ')[0]}; bars {[bar.count for bar in final[1].bars]}"
            )
            print(
                f"  final edit after last vote: {delivery.edit_times[-1] - last_vote:.2f} s (must be <= {interval} s)"
            )


def main() -> None:
    """Parse arguments and run the burst."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--votes", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args()
    asyncio.run(burst(args.votes, args.seconds, args.interval))


if __name__ == "__main__":
    main()

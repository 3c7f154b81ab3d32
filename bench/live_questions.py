"""300 concurrent upvotes on one live-thread question shown in two attached threads: exact count, card edits.

Run: .venv/bin/python bench/live_questions.py [--votes 300] [--interval 2]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)

from bot.core.model import Action, Member
from bot.core.ports import Capabilities
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import make_settings, running_app

HOME, ANTENNA = "console:local", "console:nantes"


async def upvotes(votes: int, interval: float) -> None:
    """Ask one question, upvote it `votes` times at once from both threads, report the count and the edits."""
    with tempfile.TemporaryDirectory() as folder:
        settings = make_settings(Path(folder) / "live.db", bot__live_update_interval=interval)
        async with running_app(settings) as app:
            delivery = RecordingDelivery()
            app.services.delivery.register("console", delivery, Capabilities(inbound=True, edits=True))
            staff = Member("console:alice", "alice", is_staff=True)
            say = app.dispatcher.invoke_text
            await say(
                HOME, "general", staff, 'event create "Rencontre" --start "2030-06-30 9h30" --end "17h" --onsite 9'
            )
            started = await say(HOME, "general", staff, "live start 1")
            code = re.search(r"LIVE-[A-Z2-9]{4}-[A-Z2-9]{4}", started.text or "")
            assert code is not None
            await say(ANTENNA, "antenne", Member("console:dora", "dora", is_staff=True), f"live join {code.group(0)}")
            await say(HOME, "general", staff, 'live ask "Quelle suite ?"')
            await delivery.wait_until(
                lambda: sum(1 for *_, r in delivery.posts if r.card and "Question" in r.card.title) == 2
            )
            card = next(r.card for _s, _c, r in delivery.posts if r.card and "Question" in r.card.title)
            upvote = card.controls[0].action_id
            await app.services.cards.drain()
            edits_before = len(delivery.edits)
            loop = asyncio.get_running_loop()
            begin = loop.time()
            where = [(HOME, "general"), (ANTENNA, "antenne")]
            replies = await asyncio.gather(*(
                app.dispatcher.act(Action(*where[i % 2], Member(f"console:v{i}", f"v{i}"), upvote)) for i in range(votes)
            ))  # fmt: skip
            done = loop.time()
            target = f"▲ {votes} soutiens"
            await delivery.wait_until(
                lambda: sum(1 for _r, c in delivery.edits[-2:] if (c.footer or "").startswith(target)) == 2,
                timeout=interval * 3 + 5,
            )
            row = await app.services.db.fetch_one("SELECT COUNT(*) AS n FROM live_question_votes")
            question_edits = [c for _r, c in delivery.edits[edits_before:] if "Question" in c.title]
            refused = [r.text for r in replies if r.text and "soutenez la question" not in r.text]
            print(f"{votes} concurrent upvotes from 2 threads, live card interval {interval} s")
            print(f"  all handled in           : {done - begin:.2f} s ({votes / (done - begin):.0f} upvotes/s)")
            print(f"  upvotes stored           : {row['n'] if row else 0} (exact: {votes}); refused: {len(refused)}")
            print(f"  question card edits      : {len(question_edits)} over 2 copies "
                  f"({len(question_edits) // 2} renders instead of {votes})")  # fmt: skip
            print(f"  final card, both copies  : {question_edits[-1].footer}")


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--votes", type=int, default=300)
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args()
    asyncio.run(upvotes(args.votes, args.interval))


if __name__ == "__main__":
    main()

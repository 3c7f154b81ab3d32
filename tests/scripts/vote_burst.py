"""Start the bot on a database, open a poll, fire N concurrent votes, print each confirmation."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.core.model import Action, Member
from tests.helpers import make_settings, running_app

SPACE = "console:local"


async def main(db: Path, count: int) -> None:
    """Print `confirmed <voter>` once each vote's transaction has committed."""
    async with running_app(make_settings(db)) as app:
        alice = Member("console:alice", "alice", is_staff=True)
        reply = await app.dispatcher.invoke_text(SPACE, "general", alice, 'poll create "Q ?" "A" "B"')
        vote = reply.card.controls[0].action_id

        async def one(i: int) -> None:
            voter = Member(f"console:v{i}", f"v{i}")
            answer = await app.dispatcher.act(Action(SPACE, "general", voter, vote))
            if "enregistré" in (answer.text or ""):
                print(f"confirmed {voter.key}", flush=True)

        for start in range(0, count, 50):  # waves, so the kill lands mid-burst
            await asyncio.gather(*(one(i) for i in range(start, min(count, start + 50))))
        print("done", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # wait to be killed


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))

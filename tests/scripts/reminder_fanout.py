"""Start the bot on a database, plan an event with M attendees, and fan out its reminder until killed.

Prints `sent <member>` after each DM the fake platform accepted; after `N` of them every further
send hangs (printing `stuck <member>`), so the parent can SIGKILL the process mid fan-out.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from bot.core.clock import ManualClock
from bot.core.model import Member
from bot.features.events.domain import EventDraft, SignupRequest
from bot.ui import Reply
from tests.helpers import START, make_settings, running_app

SPACE = "console:local"
STARTS = START + timedelta(days=2)
DUE = STARTS - timedelta(days=1)  # the "1d" reminder


class HangingDelivery:
    """Accepts `limit` DMs (printing each), then hangs on every further one."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.sent = 0

    async def post(self, space: str, channel: str, reply: Reply) -> None:
        """Nothing is posted in this scenario."""

    async def edit(self, ref: object, card: object) -> None:
        """Nothing is edited in this scenario."""

    async def edit_text(self, ref: object, reply: object) -> None:
        """Nothing is edited in this scenario."""

    async def delete(self, ref: object) -> None:
        """Nothing is deleted in this scenario."""

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Print and accept, or hang once the limit is reached."""
        if self.sent >= self.limit:
            print(f"stuck {member}", flush=True)
            await asyncio.Event().wait()
        self.sent += 1
        print(f"sent {member}", flush=True)
        return True


async def main(db: Path, total: int, limit: int) -> None:
    """Plan the event, sign everyone up, move to the reminder's time and fan out."""
    clock = ManualClock(START)
    async with running_app(make_settings(db), clock) as app:
        app.services.delivery.register("console", HangingDelivery(limit))
        alice = Member("console:alice", "alice", is_staff=True)
        draft = EventDraft("Journée", STARTS, STARTS + timedelta(hours=8), onsite_capacity=total)
        event = await app.services.events.create(SPACE, "general", alice, draft)
        await asyncio.gather(*(app.services.events.join(SPACE, Member(f"console:m{i}", f"m{i}"), event.id,
                                                        SignupRequest("onsite")) for i in range(total)))  # fmt: skip
        print("ready", flush=True)
        clock.set(DUE)
        await app.services.schedule.sender.run_due()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))

"""Start the bot on a database, record N private notices, and send them until killed.

Prints `sent <member>` after each DM the fake platform accepted; after `limit` of them every
further send hangs (printing `stuck <member>`), so the parent can SIGKILL the process mid-drain.
The console platform is paced at RATE a second, so notices are claimed RATE at a time.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.core.notices import Notice
from bot.store.sqlite.outbox import enqueue
from tests.helpers import START, make_settings, running_app
from tests.scripts.reminder_fanout import HangingDelivery

SPACE = "console:local"
RATE = 5


async def main(db: Path, total: int, limit: int) -> None:
    """Record the notices while no platform is connected, then connect one that hangs after `limit`."""
    async with running_app(make_settings(db, schedule__send_rate=f"console={RATE}")) as app:
        batch = [Notice(SPACE, f"console:m{i}", "idea.hidden", {"ref": i, "text": "Idée", "reason": None})
                 for i in range(total)]  # fmt: skip
        await app.services.db.write(lambda conn: enqueue(conn, batch, START))
        print("ready", flush=True)
        app.services.delivery.register("console", HangingDelivery(limit))
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))

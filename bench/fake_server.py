"""The loopback fake Slack in its own process, so a benchmark measures only the bot's CPU.

Prints its Web API base URL and serves until stdin closes; `POST /api/bench.counts` answers the
number of recorded calls per method.
"""

from __future__ import annotations

import asyncio
import collections
import sys
from typing import Any

from tests.fakes.slack_api import FakeSlack, SlackCall, fake_slack


def counter(fake: FakeSlack) -> Any:
    """The bench.counts answer."""

    def counts(call: SlackCall) -> dict[str, Any]:
        return {"ok": True, "counts": collections.Counter(c.method for c in fake.calls())}

    return counts


async def main() -> None:
    """Serve until the parent closes our stdin."""
    async with fake_slack() as fake:
        fake.on("bench.counts", counter(fake))
        print(fake.base_url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())

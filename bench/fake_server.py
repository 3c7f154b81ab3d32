"""The loopback fake Slack in its own process, so a benchmark measures only the bot's CPU.

Prints its Web API base URL and serves until stdin closes. Two methods of its own:
`POST /api/bench.counts` answers the number of calls per method since the last `POST /api/bench.reset`.
"""

from __future__ import annotations

import asyncio
import collections
import sys

from tests.fakes.slack_api import FakeSlack, SlackCall


class CountingSlack(FakeSlack):
    """Counts calls per method as they come, and forgets them on reset (a long bench records many)."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: collections.Counter[str] = collections.Counter()
        self.on("bench.counts", lambda call: {"ok": True, "counts": self.counts})
        self.on("bench.reset", lambda call: self.reset())

    async def _record(self, call: SlackCall) -> None:
        if not call.method.startswith("bench."):
            self.counts[call.method] += 1
            await super()._record(call)

    def reset(self) -> dict[str, bool]:
        """Forget the calls recorded so far."""
        self.counts.clear()
        self.clear()
        return {"ok": True}


async def main() -> None:
    """Serve until the parent closes our stdin."""
    async with CountingSlack() as fake:
        print(fake.base_url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())

"""What the bot did, counted in memory where it happens; `bot.ops` serves it in Prometheus format.

Plain counters keep the hot paths (a vote, a send) at one dictionary increment and keep the
metrics library out of start-up; each app has its own `Metrics`, so tests run many apps in one process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping

from bot.core.model import platform_of

# name -> (help, label names); the first label is always the platform
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "votes": ("Poll votes committed (a click that adds or removes a choice)", ("platform",)),
    "likes": ("Idea likes committed (added or removed)", ("platform",)),
    "signups": ("Event sign-ups committed, by the member's status after the change", ("platform", "status")),
    "notices": ("Private notices from the outbox, by outcome (sent, failed, unsure)", ("platform", "outcome")),
    "scheduled_sends": (
        "Scheduled messages per recipient (reminders, follow-ups, posts), by outcome (sent, failed, unsure)",
        ("platform", "kind", "outcome"),
    ),
    "card_edits": ("Live card edits sent to a platform", ("platform",)),
    "handler_errors": ("Unexpected errors in command, click and message handlers (logged as incidents)", ("platform",)),
}
QUEUES_HELP = "Items waiting to be sent, per queue and platform, read from the database at each scrape"

QueueProbe = Callable[[], Awaitable[Mapping[str, int]]]  # platform -> items waiting


class Metrics:
    """Counters by name and labels, plus the queues whose depth is read at each scrape."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[tuple[str, ...]]] = {name: Counter() for name in COUNTERS}
        self.queues: dict[str, QueueProbe] = {}

    def count(self, name: str, space: str, *labels: str, amount: int = 1) -> None:
        """Add `amount` to counter `name` for the platform of `space` and the other `labels`, in order."""
        if amount:
            self.counts[name][(platform_of(space), *labels)] += amount

    def value(self, name: str, *labels: str) -> int:
        """A counter's value for these labels, platform first (0 before the first count)."""
        return self.counts[name][labels]

    def add_queue(self, name: str, probe: QueueProbe) -> None:
        """Report the depth of queue `name`, as `probe` reads it per platform, at each scrape."""
        self.queues[name] = probe

    async def queue_depths(self) -> dict[tuple[str, str], int]:
        """Every queue's depth now, by (queue, platform)."""
        return {
            (name, platform): depth
            for name, probe in self.queues.items()
            for platform, depth in (await probe()).items()
        }


def per_platform(counts: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Counts by space summed by platform (a queue's depth)."""
    totals: Counter[str] = Counter()
    for space, count in counts:
        totals[platform_of(space)] += count
    return dict(totals)

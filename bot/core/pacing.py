"""Pacing of private messages per platform: a token bucket per platform, shared by everything that sends."""

from __future__ import annotations

import asyncio
import time as monotonic_time
from collections.abc import Awaitable, Callable, Mapping

from bot.core.model import platform_of

DEFAULT_RATES: Mapping[str, float] = {"slack": 10.0, "discord": 20.0}
EPSILON = 1e-9


def parse_rates(text: str) -> dict[str, float]:
    """Per-platform sends per second: "slack=10,discord=20"; 0 means unpaced."""
    rates = dict(DEFAULT_RATES)
    for part in filter(None, (item.strip() for item in text.split(","))):
        platform, _, value = part.partition("=")
        number = float(value)
        if not platform.strip() or number < 0:
            raise ValueError(f"{part!r} is not platform=sends_per_second")
        rates[platform.strip()] = number
    return rates


class TokenBucket:
    """`rate` sends per second with bursts up to `burst`; time and sleep are injectable for tests."""

    def __init__(
        self,
        rate: float,
        burst: int,
        monotonic: Callable[[], float] = monotonic_time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._last = monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one send is allowed, then take it."""
        async with self._lock:
            while True:
                now = self._monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1 - EPSILON:  # float refills can stop a hair short of a whole token
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                await self._sleep((1 - self._tokens) / self.rate)


class Pacer:
    """One token bucket per platform, so the bot's private messages never outrun the platform's rate limits.

    One Pacer serves every sender of the app (reminder fan-outs and the outbox): they share the limits.
    """

    def __init__(
        self,
        rates: Mapping[str, float],
        monotonic: Callable[[], float] = monotonic_time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.buckets = {
            platform: TokenBucket(rate, int(rate), monotonic, sleep) for platform, rate in rates.items() if rate > 0
        }

    async def acquire(self, space: str) -> None:
        """Wait for the right to send one message in `space` (platforms without a rate are unpaced)."""
        bucket = self.buckets.get(platform_of(space))
        if bucket is not None:
            await bucket.acquire()

    def per_second(self, platform: str) -> float | None:
        """How many sends a second `platform` allows, or None when it is unpaced."""
        bucket = self.buckets.get(platform)
        return None if bucket is None else bucket.rate

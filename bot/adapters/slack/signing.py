"""The HTTP edge of the Slack adapter: signature first, then replays, then well-formed bodies."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest

log = logging.getLogger(__name__)

MAX_AGE = 300  # Slack's window: a request older (or newer) than 5 minutes is refused
SIGNATURE_VERSION = "v0"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature of a raw body (bytes: a body that is not UTF-8 is still checked, then refused)."""
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    return f"{SIGNATURE_VERSION}={hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()}"


class RecentSignatures:
    """Signatures of the requests seen within Slack's window, forgotten once a replay would be stale anyway."""

    def __init__(self, window: float = MAX_AGE) -> None:
        self.window = window
        self._seen: OrderedDict[str, float] = OrderedDict()  # signature -> when it can be forgotten

    def first_time(self, sig: str, timestamp: int, now: float) -> bool:
        """Remember `sig`; False when it was already seen (a replay)."""
        self._expire(now)
        if sig in self._seen:
            return False
        # A copy is refused as stale once its timestamp is `window` old; after that it is safe to forget.
        self._seen[sig] = max(timestamp + self.window, now)
        return True

    def _expire(self, now: float) -> None:
        """Drop the oldest entries whose request can no longer be replayed (arrival order)."""
        while self._seen:
            sig, forget_at = next(iter(self._seen.items()))
            if forget_at >= now:
                break
            del self._seen[sig]

    def __len__(self) -> int:
        """How many signatures are remembered."""
        return len(self._seen)


class RequestGuard:
    """Decides what Bolt may see of a raw POST: unsigned -> 401, replayed -> ignored, malformed -> 400."""

    def __init__(self, signing_secret: str, clock: Callable[[], float] = time.time) -> None:
        self.signing_secret = signing_secret
        self.clock = clock
        self.recent = RecentSignatures()

    def signed_at(self, headers: Mapping[str, str], body: bytes) -> int | None:
        """The request's timestamp when its signature is good and fresh, else None."""
        stamp, sig = headers.get("X-Slack-Request-Timestamp", ""), headers.get("X-Slack-Signature", "")
        if not (stamp.isascii() and stamp.isdigit() and sig and self.signing_secret):
            return None
        if abs(self.clock() - int(stamp)) > MAX_AGE:
            return None
        return int(stamp) if hmac.compare_digest(signature(self.signing_secret, stamp, body), sig) else None

    def is_replay(self, headers: Mapping[str, str], timestamp: int) -> bool:
        """Whether this exact signed request was already received."""
        return not self.recent.first_time(headers["X-Slack-Signature"], timestamp, self.clock())


def bolt_request(body: bytes, query: str, headers: Mapping[str, Any]) -> AsyncBoltRequest | None:
    """The Bolt request, or None when the body is not UTF-8 or not the JSON object Slack sends."""
    try:
        request = AsyncBoltRequest(body=body.decode("utf-8"), query=query, headers=dict(headers))
    except (ValueError, TypeError, AttributeError, KeyError) as error:  # Bolt parses while building
        log.info("malformed Slack request refused: %s", type(error).__name__)
        return None
    if not isinstance(request.body, dict):
        log.info("malformed Slack request refused: body is not an object")
        return None
    return request

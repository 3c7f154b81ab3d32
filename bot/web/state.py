"""PageState: what the live web page shows, built from the live thread (no member ids anywhere in it).

Skeleton of the contract's fields only: the server half builds it from the live thread's services.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class PageState:
    """One snapshot of a live event's page, as rendered and as pushed to the page (`event: state`)."""

    lang: str
    event: dict[str, Any]
    poll: dict[str, Any] | None = None
    questions: list[dict[str, Any]] = field(default_factory=list)
    antennas: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    ideas: list[dict[str, Any]] = field(default_factory=list)
    stopped: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The state as plain JSON values."""
        return asdict(self)

    def to_json(self) -> str:
        """The `data:` of a Server-Sent `state` event."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

"""The page's view of the contract's PageState: plain JSON values, so page tests set any state they need."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class PageState:
    """What `bot.web.state.PageState.to_json()` gives, field for field (the page reads only that JSON)."""

    lang: str
    event: dict[str, Any]
    poll: dict[str, Any] | None
    questions: list[dict[str, Any]]
    antennas: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    ideas: list[dict[str, Any]] = field(default_factory=list)
    stopped: bool = False

    def to_json(self) -> str:
        """The state as the server streams it."""
        return json.dumps(asdict(self), ensure_ascii=False)

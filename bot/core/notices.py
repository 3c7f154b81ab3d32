"""Private notices: what a change tells members, decided with the change, rendered and sent after it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Notice:
    """A private message the core decided to send to one member, rendered later in the reader's language.

    `kind` is "<prefix>.<what>" ("event.promoted", "idea.status"): the prefix picks the
    feature's renderer. `params` holds JSON values only (text, numbers, booleans, None;
    instants as ISO strings), because notices wait in the outbox table until they are sent.
    """

    space: str
    member: str  # platform-qualified key ("slack:U123")
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        """The part of `kind` that names the renderer ("event")."""
        return self.kind.split(".", 1)[0]


@dataclass(frozen=True)
class QueuedNotice:
    """A notice read back from the outbox, with the id its row is marked by."""

    id: int
    notice: Notice

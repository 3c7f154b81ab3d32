"""Who acts, where, and what they asked for: the shapes adapters hand to the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def platform_of(space: str) -> str:
    """The platform part of a space key ("slack:T123" -> "slack")."""
    return space.split(":", 1)[0]


@dataclass(frozen=True)
class Member:
    """A person acting in a space; `key` is platform-qualified ("slack:U123")."""

    key: str
    name: str
    is_staff: bool = False

    @property
    def user_id(self) -> str:
        """The platform's own id for this member."""
        return self.key.split(":", 1)[1]


@dataclass(frozen=True)
class Invocation:
    """A command typed by a member: `/poll create …`."""

    space: str
    channel: str
    member: Member
    command: str  # "poll create"
    args: dict[str, Any] = field(default_factory=dict)
    locale: str | None = None
    can_open_modal: bool = False


@dataclass(frozen=True)
class Action:
    """A click, a select choice or a modal submission, named by its stateless action id."""

    space: str
    channel: str
    member: Member
    action_id: str
    values: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)
    locale: str | None = None


@dataclass(frozen=True)
class MessageRef:
    """Where a card was posted: a platform message in a channel of a space."""

    space: str
    channel: str
    message_id: str

    @property
    def platform(self) -> str:
        """The platform that holds the message."""
        return platform_of(self.space)

"""Who acts, where, and what they asked for: the shapes adapters hand to the core."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal


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
    """Where a message was posted: a platform message in a channel of a space, maybe inside a thread.

    `thread` is the platform's thread id: Slack's `thread_ts` of the parent message, a Discord
    thread channel's id, a console thread's name; None for a message in the channel itself.
    """

    space: str
    channel: str
    message_id: str
    thread: str | None = None

    @property
    def platform(self) -> str:
        """The platform that holds the message."""
        return platform_of(self.space)


InboundKind = Literal["posted", "edited", "deleted"]


@dataclass(frozen=True)
class InboundMessage:
    """A member posted, edited or deleted a message in a channel (or one of its threads).

    Adapters never hand over the bot's own messages. `member` is None when the platform does
    not say who it was (a deletion on Discord names no author); `text` is then empty.
    `attachments` are the URLs of the files the message carries. `mentions` gives the display
    names of the people and roles the text mentions, by member key ("slack:U1", "discord:42")
    or role key ("discord:&7"), so that a copy elsewhere can show names instead of raw ids.
    """

    space: str
    channel: str
    thread: str | None
    member: Member | None
    text: str
    attachments: tuple[str, ...]
    message_id: str
    kind: InboundKind
    at: datetime
    mentions: Mapping[str, str] = field(default_factory=dict)

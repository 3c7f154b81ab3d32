"""What a live thread's web page shows, as one JSON-ready value: rendered into HTML and pushed over SSE.

PageState holds no member id: names only, and no name at all for anonymous questions.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from bot.core.spaces import SpaceDirectory
from bot.core.when import format_when
from bot.features.live.domain import LiveThread
from bot.features.live.engage import Engage
from bot.features.live.questions import TOP_SHOWN, ranked
from bot.store.database import Database, Row
from bot.store.sqlite.rows import from_iso

MESSAGES_SHOWN = 20


@dataclass(frozen=True)
class EventInfo:
    """The event and the workshop now on."""

    ref: int
    title: str
    starts: str  # in the space's zone and language
    session: str | None


@dataclass(frozen=True)
class OptionInfo:
    """One option of the poll with its count."""

    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class PollInfo:
    """The thread's latest poll."""

    id: int
    question: str
    options: tuple[OptionInfo, ...]
    voters: int
    closed: bool


@dataclass(frozen=True)
class QuestionInfo:
    """A question as the page shows it; `author` is empty when anonymous."""

    id: int
    n: int
    text: str
    author: str
    votes: int
    answered: bool


@dataclass(frozen=True)
class AntennaInfo:
    """An antenna checked in."""

    name: str
    count: int


@dataclass(frozen=True)
class MessageInfo:
    """A member's relayed message."""

    name: str
    platform: str
    text: str
    at: str  # HH:MM in the space's zone


@dataclass(frozen=True)
class IdeaInfo:
    """An idea of the event's wall."""

    text: str
    likes: int


@dataclass(frozen=True)
class PageState:
    """Everything a live page shows; `to_json()` is what the SSE stream sends."""

    lang: str
    event: EventInfo
    poll: PollInfo | None
    questions: tuple[QuestionInfo, ...]
    antennas: tuple[AntennaInfo, ...]
    messages: tuple[MessageInfo, ...]
    ideas: tuple[IdeaInfo, ...]
    stopped: bool

    def to_dict(self) -> dict[str, Any]:
        """As plain JSON values (tuples become lists)."""
        return asdict(self)

    def to_json(self) -> str:
        """Compact JSON, one line (an SSE `data:` line)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


class PageReads:
    """The few reads the page needs that no live service offers: the latest relayed messages."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def messages(self, thread_id: int, limit: int = MESSAGES_SHOWN) -> list[Row]:
        """The thread's latest members' messages, oldest first, deleted ones left out."""
        rows = await self.db.fetch_all(
            "SELECT name, platform, text, posted_at FROM live_messages"
            " WHERE thread_id = ? AND kind = 'message' AND deleted_at IS NULL ORDER BY id DESC LIMIT ?",
            (thread_id, limit),
        )
        return list(reversed(rows))


class StateBuilder:
    """Builds a thread's PageState from the live services, at the moment it is asked."""

    def __init__(self, engage: Engage, spaces: SpaceDirectory, reads: PageReads) -> None:
        self.engage = engage
        self.spaces = spaces
        self.reads = reads

    def lang(self, live: LiveThread) -> str:
        """The page's language: the space that started the thread."""
        return self.spaces(live.space).locale

    async def build(self, live: LiveThread) -> PageState:
        """The thread's state now."""
        engage = self.engage
        now = engage.clock.now()
        space = self.spaces(live.space)
        event, sessions = await engage.sessions(live)
        on = [s for s in sessions if s.starts_at <= now < s.ends_at]
        info = EventInfo(event.ref, event.title, format_when(event.starts_at, tz=event.tz, locale=space.locale),
                         on[-1].title if on else None)  # fmt: skip
        poll = None
        poll_ids = await engage.store.polls(live.id)
        found = None if not poll_ids else await engage.polls.store.get_poll(poll_ids[-1])
        if found is not None:
            tally = await engage.polls.tally(found)
            visible = found.results_visible(now)
            options = tuple(
                OptionInfo(label, tally.counts[i] if visible else 0, round(100 * tally.share(i)) if visible else 0)
                for i, label in enumerate(found.options)
            )
            poll = PollInfo(found.id, found.question, options, tally.voters, not found.is_open(now))
        questions = tuple(
            QuestionInfo(q.id, q.number, q.text, "" if q.anonymous else (q.name or ""), q.votes, q.answered)
            for q in ranked(await engage.store.questions(live.id))[:TOP_SHOWN]
        )
        antennas = tuple(AntennaInfo(c.antenna, c.count) for c in await engage.store.checkins(live.id))
        messages = []
        for row in await self.reads.messages(live.id):
            at = from_iso(row["posted_at"])
            stamp = "" if at is None else at.astimezone(space.tz).strftime("%H:%M")
            messages.append(MessageInfo(row["name"] or "", row["platform"], row["text"], stamp))
        # Idea walls are not tied to events yet: no wall to show.
        return PageState(space.locale, info, poll, questions, antennas, tuple(messages), (), not live.running)

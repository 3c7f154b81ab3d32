"""Taking part in a live thread: questions, the thread's polls, antenna check-ins, announcements, workshop starts.

The service decides and stores; `engage_hosting` posts what it decided in every attached thread.
Everything that happens is written to the transcript (`live_messages`) in the same write as the change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.exports import to_csv
from bot.core.livecards import LiveCards
from bot.core.model import Member, platform_of
from bot.core.text import is_blank, visible
from bot.features.events.domain import Event, EventService, Presence, Session
from bot.features.live.domain import LiveChannel, LiveService, LiveThread
from bot.features.live.questions import TOP_SHOWN, Question, check_question, ranked
from bot.features.polls.domain import Poll, PollDraft, PollService, Tally

ANNOUNCEMENT_MAX = 1000
CHECKIN_MAX = 10_000  # people behind one antenna's screen
SUMMARY_QUESTIONS = 5


@dataclass(frozen=True)
class Checkin:
    """The latest head count of an antenna following the thread."""

    antenna: str
    count: int


@dataclass(frozen=True)
class Figures:
    """Who follows from where: sign-ups of the event, antennas checked in, people active per platform."""

    onsite: int
    remote: int
    antennas: tuple[Checkin, ...]
    people: tuple[tuple[str, int], ...]  # (platform, members who posted, asked or voted), by platform name


@dataclass(frozen=True)
class PollResult:
    """A poll of the thread and its counts."""

    poll: Poll
    tally: Tally


@dataclass(frozen=True)
class Summary:
    """What the thread was, for the summary posted when it stops."""

    figures: Figures
    messages: int
    questions: tuple[Question, ...]
    asked: int
    polls: tuple[PollResult, ...]


@dataclass(frozen=True)
class TranscriptRow:
    """One line of the transcript export; `author` is empty for anonymous items and the bot's own."""

    at: datetime
    platform: str
    author: str
    kind: str
    text: str


class EngageStore(Protocol):
    """Where questions, votes, check-ins, the thread's polls and announced workshops live."""

    async def add_question(
        self, thread_id: int, channel_id: int | None, platform: str, author: str | None, name: str | None, text: str,
        now: datetime,
    ) -> Question:  # fmt: skip
        """Store a question with the next number of its thread, and its transcript row, in one write."""
        ...

    async def question(self, question_id: int) -> Question | None:
        """A question by id, with its upvotes."""
        ...

    async def toggle_vote(self, thread_id: int, question_id: int, voter: str, now: datetime) -> tuple[Question, bool]:
        """Add or take back a member's upvote (the question must be of `thread_id`, not hidden); whether it is on."""
        ...

    async def set_state(self, thread_id: int, number: int, state: str, now: datetime) -> Question:
        """Mark question n° `number` of a thread "answered" or "hidden"."""
        ...

    async def questions(self, thread_id: int) -> list[Question]:
        """Every question of a thread, hidden ones included."""
        ...

    async def link_poll(
        self, poll_id: int, thread_id: int, channel_id: int, member: Member, text: str, now: datetime
    ) -> None:
        """Make a poll the thread's, with its transcript row."""
        ...

    async def poll_thread(self, poll_id: int) -> int | None:
        """The live thread a poll belongs to, if any."""
        ...

    async def polls(self, thread_id: int) -> list[int]:
        """The ids of a thread's polls, oldest first."""
        ...

    async def checkin(
        self, thread_id: int, channel_id: int, antenna: str, count: int, member: Member, now: datetime
    ) -> None:
        """Record an antenna's head count (the latest replaces the previous), with its transcript row."""
        ...

    async def checkins(self, thread_id: int) -> list[Checkin]:
        """The antennas checked in, in the order they first came."""
        ...

    async def record(
        self, thread_id: int, channel_id: int | None, kind: str, member: Member | None, platform: str, text: str,
        now: datetime,
    ) -> None:  # fmt: skip
        """Add a transcript row the bot made (an announcement)."""
        ...

    async def claim_session(self, thread_id: int, session: Session, now: datetime) -> bool:
        """Claim a workshop start's announcement in a thread, with its transcript row and posts; False if already."""
        ...

    async def announced(self, thread_id: int) -> set[int]:
        """The workshops whose start was announced in a thread."""
        ...

    async def people(self, thread_id: int) -> list[str]:
        """Every member who posted, asked with their name, upvoted or voted in a thread's polls."""
        ...

    async def presence(self, event_id: int) -> list[Presence]:
        """Each way each member took part in the event's live threads, with its first instant (remote presence)."""
        ...

    async def message_count(self, thread_id: int) -> int:
        """Members' messages relayed in a thread, deleted ones left out."""
        ...

    async def transcript(self, thread_id: int) -> list[TranscriptRow]:
        """The thread's transcript in order, deleted messages left out."""
        ...

    async def running(self) -> list[int]:
        """The ids of the running live threads."""
        ...

    async def latest_for_event(self, event_id: int) -> int | None:
        """The newest live thread of an event."""
        ...


def platform_counts(keys: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """Distinct members per platform, by platform name."""
    counts = Counter(platform_of(key) for key in set(keys))
    return tuple(sorted(counts.items()))


class Engage:
    """Everything members and staff do in a live thread besides talking: ask, upvote, vote, check in, announce."""

    def __init__(
        self, store: EngageStore, live: LiveService, events: EventService, polls: PollService, cards: LiveCards,
        clock: Clock,
    ) -> None:  # fmt: skip
        self.store = store
        self.live = live
        self.events = events
        self.polls = polls
        self.cards = cards
        self.clock = clock

    async def here(self, space: str, channel: str) -> tuple[LiveThread, LiveChannel]:
        """The running thread attached where the member acts (its channel or its thread), or a clear error."""
        return await self.live.here(space, channel)

    def changed(self, live: LiveThread, *subjects: str) -> None:
        """Refresh these live cards and the header (its figures count who takes part), coalesced; tell listeners."""
        for subject in (*subjects, live.subject):
            self.cards.touch(subject)
        self.live.notify(live.id)

    # Questions

    async def ask(
        self, space: str, channel: str, member: Member, text: str, anonymous: bool
    ) -> tuple[LiveThread, Question]:
        """Ask a question in the thread; anonymous keeps no author at all."""
        live, attached = await self.here(space, channel)
        return live, await self.ask_in(live, attached, member, text, anonymous)

    async def ask_in(
        self, live: LiveThread, attached: LiveChannel | None, member: Member, text: str, anonymous: bool
    ) -> Question:
        """Ask in a running thread, from an attached channel or (None) from its web page."""
        if not live.running:
            raise UserError("live.not_here")
        cleaned = check_question(text)
        author, name = (None, None) if anonymous else (member.key, member.name)
        platform = platform_of(member.key) if attached is None else attached.platform
        question = await self.store.add_question(live.id, None if attached is None else attached.id, platform,
                                                 author, name, cleaned, self.clock.now())  # fmt: skip
        self.changed(live)
        return question

    async def upvote(self, space: str, channel: str, member: Member, question_id: int) -> tuple[Question, bool]:
        """Upvote a question from any attached channel, or take the upvote back."""
        live, _ = await self.here(space, channel)
        return await self.upvote_in(live, member, question_id)

    async def upvote_in(self, live: LiveThread, member: Member, question_id: int) -> tuple[Question, bool]:
        """Upvote a question of a running thread (from a channel or its web page), or take the upvote back."""
        if not live.running:
            raise UserError("live.not_here")
        question, on = await self.store.toggle_vote(live.id, question_id, member.key, self.clock.now())
        self.changed(live, question.subject)
        return question, on

    async def mark(self, space: str, channel: str, by: Member, number: int, state: str) -> Question:
        """Staff of any attached channel mark question n° `number` answered or hide it."""
        self.live.require_staff(by)
        live, _ = await self.here(space, channel)
        question = await self.store.set_state(live.id, number, state, self.clock.now())
        self.changed(live, question.subject)
        return question

    async def mark_by_id(self, space: str, channel: str, by: Member, question_id: int, state: str) -> Question:
        """A staff click on a question card: only for a question of the thread attached where they click."""
        self.live.require_staff(by)
        live, _ = await self.here(space, channel)
        question = await self.store.question(question_id)
        if question is None or question.thread_id != live.id:
            raise UserError("live.question_not_found", number=question_id)
        return await self.mark(space, channel, by, question.number, state)

    async def top(self, space: str, channel: str, limit: int = TOP_SHOWN) -> tuple[LiveThread, list[Question]]:
        """The most upvoted questions of the thread attached here."""
        live, _ = await self.here(space, channel)
        return live, ranked(await self.store.questions(live.id))[:limit]

    # Polls

    async def open_poll(self, space: str, channel: str, member: Member, draft: PollDraft) -> tuple[LiveThread, Poll]:
        """Open a poll of the thread: it belongs to the space it was typed in, and every attached channel votes."""
        live, attached = await self.here(space, channel)
        poll = await self.polls.create(space, channel, member, draft)
        await self.store.link_poll(poll.id, live.id, attached.id, member, poll.question, self.clock.now())
        self.changed(live)
        return live, poll

    async def vote(
        self, space: str, channel: str, member: Member, poll_id: int, option: int
    ) -> tuple[Poll, tuple[int, ...]]:
        """A click on a live poll's copy: counted in the one poll, only from a channel attached to its thread."""
        live, _ = await self.here(space, channel)
        return await self.vote_in(live, member, poll_id, option)

    async def vote_in(
        self, live: LiveThread, member: Member, poll_id: int, option: int
    ) -> tuple[Poll, tuple[int, ...]]:
        """A vote on a poll of a running thread, from a channel or its web page: once per member in the one poll."""
        if not live.running:
            raise UserError("live.not_here")
        if await self.store.poll_thread(poll_id) != live.id:
            raise UserError("poll.not_found", ref=poll_id)  # as if it did not exist, like another space's poll
        poll = await self.polls.store.get_poll(poll_id)
        if poll is None:
            raise UserError("poll.not_found", ref=poll_id)
        # On behalf of the poll's space: the attachment, checked above, is what lets another space vote.
        poll, choices = await self.polls.vote(poll.space, member, poll_id, option)
        self.changed(live, live_poll_subject(poll.id))
        return poll, choices

    # Antennas, announcements, workshops

    async def check_in(
        self, space: str, channel: str, member: Member, name: str, count: int
    ) -> tuple[LiveThread, Checkin]:
        """An antenna says how many follow from there: an antenna of this space, else of the event's space."""
        live, attached = await self.here(space, channel)
        if not 1 <= count <= CHECKIN_MAX:
            raise UserError("live.checkin_count", field="count", max=CHECKIN_MAX)
        try:
            antenna = await self.events.find_antenna(space, name)
        except UserError:
            antenna = await self.events.find_antenna(live.space, name)
        await self.store.checkin(live.id, attached.id, antenna.name, count, member, self.clock.now())
        self.changed(live)
        return live, Checkin(antenna.name, count)

    async def announce(self, space: str, channel: str, by: Member, text: str) -> tuple[LiveThread, str]:
        """A staff announcement, for every attached thread."""
        self.live.require_staff(by)
        live, attached = await self.here(space, channel)
        cleaned = visible(text)
        if is_blank(cleaned):
            raise UserError("live.announcement_empty", field="text")
        if len(cleaned) > ANNOUNCEMENT_MAX:
            raise UserError("live.announcement_too_long", field="text", max=ANNOUNCEMENT_MAX)
        await self.store.record(live.id, attached.id, "announcement", by, attached.platform, cleaned, self.clock.now())
        return live, cleaned

    async def sessions(self, live: LiveThread) -> tuple[Event, list[Session]]:
        """The event's workshops, in order."""
        event = await self.live.event_of(live)
        counts = await self.events.counts(event)
        return event, [session for session, _ in counts.sessions]

    async def due_sessions(self) -> list[tuple[LiveThread, Event, Session]]:
        """Workshop starts to announce now, each claimed once per thread (never twice, restarts included).

        Claiming queues its posts in every attached thread (a platform not connected yet gets it once
        it is); a start that began before the thread started is not announced.
        """
        now = self.clock.now()
        due = []
        for live_id in await self.store.running():
            live = await self.live.store.get(live_id)
            if live is None or not live.running:
                continue
            event, sessions = await self.sessions(live)
            announced = await self.store.announced(live.id)
            for session in sessions:
                if session.id in announced or not live.started_at <= session.starts_at <= now:
                    continue
                if await self.store.claim_session(live.id, session, now):
                    due.append((live, event, session))
                    self.live.notify(live.id)  # the page shows the workshop now on
        return due

    async def pending_sessions(self) -> list[datetime]:
        """The starts still to announce in running threads (wake-ups, rebuilt at start)."""
        now = self.clock.now()
        moments = []
        for live_id in await self.store.running():
            live = await self.live.store.get(live_id)
            if live is not None:
                moments += [s.starts_at for s in (await self.sessions(live))[1] if s.starts_at > now]
        return moments

    # Figures, summary, transcript

    async def remote_presence(self, event: Event) -> list[Presence]:
        """Who voted, asked by name, upvoted or posted in the event's live threads: present remotely."""
        return await self.store.presence(event.id)

    async def figures(self, live: LiveThread) -> Figures:
        """The header's figures: sign-ups by mode, antennas checked in, people taking part per platform."""
        event = await self.live.event_of(live)
        counts = await self.events.counts(event)
        modes = counts.modes
        return Figures(
            onsite=modes["onsite"].held if "onsite" in modes else 0,
            remote=modes["remote"].held if "remote" in modes else 0,
            antennas=tuple(await self.store.checkins(live.id)),
            people=platform_counts(await self.store.people(live.id)),
        )

    async def summary(self, live: LiveThread) -> Summary:
        """Who followed from where, how much was said, the top questions and the polls' results."""
        questions = await self.store.questions(live.id)
        results = []
        for poll_id in await self.store.polls(live.id):
            poll = await self.polls.store.get_poll(poll_id)
            if poll is not None:
                results.append(PollResult(poll, await self.polls.tally(poll)))
        return Summary(
            figures=await self.figures(live),
            messages=await self.store.message_count(live.id),
            questions=tuple(ranked(questions)[:SUMMARY_QUESTIONS]),
            asked=len([q for q in questions if not q.hidden]),
            polls=tuple(results),
        )

    async def export_here(self, space: str, channel: str, by: Member, sep: str) -> tuple[LiveThread, Event, str]:
        """The transcript of the thread attached here, as CSV (staff)."""
        self.live.require_staff(by)
        live, _ = await self.here(space, channel)
        event = await self.live.event_of(live)
        return live, event, transcript_csv(event, await self.store.transcript(live.id), sep)

    async def export_event(self, space: str, event_ref: str, sep: str) -> str:
        """The transcript of an event's newest live thread, as CSV (the trusted command line)."""
        event = await self.events.get(space, event_ref)
        live_id = await self.store.latest_for_event(event.id)
        if live_id is None:
            raise UserError("live.no_thread_for_event", ref=event.ref)
        return transcript_csv(event, await self.store.transcript(live_id), sep)


def live_poll_subject(poll_id: int) -> str:
    """The live subject of a thread poll's copies (rendered with the live vote route)."""
    return f"livepoll:{poll_id}"


def session_text(session: Session) -> str:
    """A workshop start as the transcript keeps it."""
    return f"{session.number}. {session.title}" + (f" ({session.room})" if session.room else "")


def transcript_csv(event: Event, rows: Sequence[TranscriptRow], sep: str) -> str:
    """time, platform, author (empty when anonymous), kind, text: one row per item, in order."""
    header = ("time", "platform", "author", "kind", "text")
    lines = [(row.at.astimezone(event.tz).isoformat(timespec="seconds"), row.platform, row.author, row.kind, row.text)
             for row in rows]  # fmt: skip
    return to_csv([[header, *lines]], sep)

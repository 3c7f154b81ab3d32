"""Indicators of an event, and across events: presence, no-shows, waitlists, polls, surveys, ideas; numbers only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.errors import UserError
from bot.core.model import Member
from bot.features.events.domain import MODES, Event, EventService, Signup
from bot.features.ideas.domain import IdeaService
from bot.features.live.domain import LiveService
from bot.features.polls.domain import PollService
from bot.features.surveys.domain import SMALL_GROUP, QuestionResult, SurveyService

# Surveys sent and ideas posted from an event's start until this long after its end count as the event's.
FOLLOW_UP_PERIOD = timedelta(days=30)
NO_ANTENNA = ""  # the label of sign-ups without an antenna (views translate it)
Number = int | float | None  # None: not measured, or a group too small to show


@dataclass(frozen=True)
class Table:
    """One figure's numbers: labelled rows, one value per series (keys that views translate)."""

    name: str  # the file stem and the catalog key: "presence_mode", "rating_2_1"
    labels: tuple[str, ...]
    series: tuple[str, ...]
    values: tuple[tuple[Number, ...], ...]  # one tuple per label, one value per series
    chart: bool = True  # False: too few answers to break down, so no picture
    params: tuple[tuple[str, str], ...] = ()  # what the title names: the survey, the question


@dataclass(frozen=True)
class SurveyFigures:
    """One survey's response rate and the aggregates of its rating and NPS questions."""

    ref: int
    title: str
    anonymous: bool
    recipients: int
    answered: int
    results: tuple[QuestionResult, ...]


@dataclass(frozen=True)
class EventReport:
    """Everything measured about one event; `tables` are the figures, in the order they are shown."""

    event: Event
    confirmed: int
    present: int
    checkin_used: bool
    no_shows: int | None  # None: not measured (no check-in, or the event has not ended)
    no_show_rate: float | None  # no-shows over confirmed on-site sign-ups, in %
    waitlisted: int
    surveys: tuple[SurveyFigures, ...]
    ideas_submitted: int
    ideas_retained: int
    tables: tuple[Table, ...]
    since: datetime
    until: datetime


@dataclass(frozen=True)
class CommunityReport:
    """Everything measured across a space's events that took place, oldest first."""

    events: int
    members: int  # distinct members confirmed at least once
    came_back: int  # confirmed at two events or more
    surveys: int
    answered: int
    recipients: int
    ideas_submitted: int
    ideas_retained: int
    tables: tuple[Table, ...]

    @property
    def response_rate(self) -> float | None:
        """Answers over recipients across every survey, in %."""
        return rate(self.answered, self.recipients)


def rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal, None over nothing."""
    return round(100 * part / whole, 1) if whole else None


def presence_by_mode(signups: Sequence[Signup], present: Mapping[str, str]) -> Table:
    """Confirmed sign-ups and those present, per attendance mode (present counted in the mode they came)."""
    rows = []
    for mode in MODES:
        confirmed = sum(1 for s in signups if s.mode == mode and s.status == "confirmed")
        rows.append((confirmed, sum(1 for how in present.values() if how == mode)))
    return Table("presence_mode", MODES, ("confirmed", "present"), tuple(rows))


def presence_by_antenna(signups: Sequence[Signup], present: Mapping[str, str]) -> Table:
    """Confirmed sign-ups and those present, per antenna (sign-ups without one grouped together)."""
    confirmed = [s for s in signups if s.status == "confirmed"]
    names = sorted({s.antenna or NO_ANTENNA for s in confirmed}, key=lambda name: (name == NO_ANTENNA, name))
    rows = []
    for name in names:
        group = [s for s in confirmed if (s.antenna or NO_ANTENNA) == name]
        rows.append((len(group), sum(1 for s in group if s.member in present)))
    return Table("presence_antenna", tuple(names), ("confirmed", "present"), tuple(rows))


def waitlist(signups: Sequence[Signup]) -> Table:
    """Members waiting and places offered but not yet confirmed, per mode, as they stand now."""
    rows = tuple(
        (
            sum(1 for s in signups if s.mode == mode and s.status == "waitlisted"),
            sum(1 for s in signups if s.mode == mode and s.status == "offered"),
        )
        for mode in MODES
    )
    return Table("waitlist", MODES, ("waitlisted", "offered"), rows)


MOVES = ("put_on", "moved_up", "confirmed_offer", "offer_expired", "left")  # the waitlist's movements, in order


def move_of(before: str | None, after: str) -> str | None:
    """Which waitlist movement a change of status is, if any (a place taken at once is none)."""
    if after == "waitlisted":
        return "put_on" if before != "waitlisted" else None
    if before == "waitlisted":
        return "moved_up" if after in ("confirmed", "offered") else "left"
    if before == "offered":
        return {"confirmed": "confirmed_offer", "expired": "offer_expired"}.get(after)
    return None


def waitlist_moves(moves: Mapping[tuple[str | None, str], int]) -> Table:
    """How often members were put on the waitlist, moved up from it, confirmed or lost an offer, or left it."""
    counts = dict.fromkeys(MOVES, 0)
    for (before, after), count in moves.items():
        kind = move_of(before, after)
        if kind is not None:
            counts[kind] += count
    return Table("waitlist_moves", MOVES, ("moves",), tuple((counts[kind],) for kind in MOVES))


def survey_rates(surveys: Sequence[SurveyFigures]) -> Table:
    """Recipients, answers and the response rate of each survey."""
    rows = tuple((s.recipients, s.answered, rate(s.answered, s.recipients)) for s in surveys)
    labels = tuple(f"#{s.ref} {s.title}" for s in surveys)
    return Table("survey_rates", labels, ("recipients", "answered", "rate"), rows)


def rating_tables(survey: SurveyFigures) -> list[Table]:
    """The distribution of each rating or NPS question; fewer than SMALL_GROUP answers are never broken down."""
    tables = []
    for found in survey.results:
        question = found.question
        if question.kind not in ("rating", "nps"):
            continue
        small = found.hidden or found.answers < SMALL_GROUP
        labels = tuple(str(n) for n in question.values)
        values = tuple((None if small else dict(found.counts).get(label, 0),) for label in labels)
        params = (("survey", f"#{survey.ref} {survey.title}"), ("question", question.text))
        tables.append(Table(f"{question.kind}_{survey.ref}_{question.number}", labels, ("answers",), values,
                            chart=not small, params=params))  # fmt: skip
    return tables


def event_label(event: Event) -> str:
    """An event named on an axis: its reference and day."""
    return f"#{event.ref} {event.starts_at.astimezone(event.tz):%Y-%m-%d}"  # the same in every language


def nps_trend(surveys: Sequence[SurveyFigures]) -> Table:
    """The NPS of each survey asking for one (the first such question), None under SMALL_GROUP answers."""
    rows = []
    for survey in surveys:
        found = next((r for r in survey.results if r.question.kind == "nps"), None)
        if found is not None:
            rows.append((f"#{survey.ref} {survey.title}", score_of(found)))
    return Table("scores", tuple(label for label, _ in rows), ("nps",), tuple((score,) for _, score in rows))


def score_of(found: QuestionResult) -> float | None:
    """A rating's mean or an NPS, unless the group is too small to show."""
    return None if found.hidden or found.answers < SMALL_GROUP else found.score


class ReportService:
    """Builds reports from the other features' services; reads only, never changes a row."""

    def __init__(
        self,
        events: EventService,
        surveys: SurveyService | None = None,
        ideas: IdeaService | None = None,
        live: LiveService | None = None,
        polls: PollService | None = None,
    ) -> None:
        self.events = events
        self.surveys = surveys
        self.ideas = ideas
        self.live = live
        self.polls = polls

    @staticmethod
    def require_staff(by: Member | None) -> None:
        """Refuse members who are not staff (None is the trusted command line)."""
        if by is not None and not by.is_staff:
            raise UserError("report.staff_only")

    async def event(self, space: str, ref: str | int, by: Member | None) -> EventReport:
        """The indicators of one event (staff)."""
        self.require_staff(by)
        event = await self.events.get(space, ref)
        signups = await self.events.signups(event)
        attendance = await self.events.attendance(event)
        present = {p.member: p.how for p in attendance.present}
        since, until = event.starts_at, event.ends_at + FOLLOW_UP_PERIOD
        surveys = await self._surveys(space, since, until)
        submitted, retained = (0, 0) if self.ideas is None else await self.ideas.count_between(space, since, until)
        ended = self.events.clock.now() >= event.ends_at and event.cancelled_at is None
        onsite = sum(1 for s in signups if s.mode == "onsite" and s.status == "confirmed")
        no_shows = len(attendance.no_shows) if attendance.checkin_used and ended else None
        tables = [presence_by_mode(signups, present), presence_by_antenna(signups, present), waitlist(signups)]
        moves = waitlist_moves(await self.events.signup_moves(event))
        if any(count for (count,) in moves.values):  # none recorded: events from before the record, or no queue
            tables.append(moves)
        polls = await self._polls(event, sum(1 for s in signups if s.status == "confirmed"))
        if polls.labels:
            tables.append(polls)
        if surveys:
            tables.append(survey_rates(surveys))
        for survey in surveys:
            tables.extend(rating_tables(survey))
        tables.append(Table("ideas", ("ideas",), ("submitted", "retained"), ((submitted, retained),)))
        return EventReport(
            event=event,
            confirmed=sum(1 for s in signups if s.status == "confirmed"),
            present=len(present),
            checkin_used=attendance.checkin_used,
            no_shows=no_shows,
            no_show_rate=None if no_shows is None else rate(no_shows, onsite),
            waitlisted=sum(1 for s in signups if s.status == "waitlisted"),
            surveys=tuple(surveys),
            ideas_submitted=submitted,
            ideas_retained=retained,
            tables=tuple(tables),
            since=since,
            until=until,
        )

    async def community(self, space: str, by: Member | None) -> CommunityReport:
        """The same indicators across every event that took place, over time (staff)."""
        self.require_staff(by)
        events = await self.events.ended(space)
        seen: dict[str, int] = {}  # member -> events confirmed so far
        trend, members = [], []
        for event in events:
            confirmed = {s.member for s in await self.events.signups(event) if s.status == "confirmed"}
            present = (await self.events.attendance(event)).members
            returning = sum(1 for member in confirmed if member in seen)
            trend.append((len(confirmed), len(present)))
            members.append((len(confirmed) - returning, returning))
            for member in confirmed:
                seen[member] = seen.get(member, 0) + 1
        labels = tuple(event_label(event) for event in events)
        now = self.events.clock.now()
        since = events[0].starts_at if events else now
        surveys = await self._surveys(space, since, now)
        submitted, retained = (0, 0) if self.ideas is None else await self.ideas.count_between(space, since, now)
        tables = [
            Table("trend", labels, ("confirmed", "present"), tuple(trend)),
            Table("members", labels, ("newcomers", "returning"), tuple(members)),
            survey_rates(surveys),
            nps_trend(surveys),
            Table("ideas", ("ideas",), ("submitted", "retained"), ((submitted, retained),)),
        ]
        return CommunityReport(
            events=len(events),
            members=len(seen),
            came_back=sum(1 for count in seen.values() if count >= 2),
            surveys=len(surveys),
            answered=sum(s.answered for s in surveys),
            recipients=sum(s.recipients for s in surveys),
            ideas_submitted=submitted,
            ideas_retained=retained,
            tables=tuple(tables),
        )

    async def _polls(self, event: Event, confirmed: int) -> Table:
        """Voters of each poll of the event's live threads, and their share of confirmed sign-ups (counts only)."""
        if self.live is None or self.polls is None:
            return Table("polls", (), ("voters", "share"), ())
        labels, rows = [], []
        for poll_id in await self.live.event_polls(event):
            poll = await self.polls.lookup(poll_id)
            if poll is not None:
                voters = (await self.polls.tally(poll)).voters
                labels.append(f"#{poll.ref} {poll.question}")
                rows.append((voters, rate(voters, confirmed)))
        return Table("polls", tuple(labels), ("voters", "share"), tuple(rows))

    async def _surveys(self, space: str, since: datetime, until: datetime) -> list[SurveyFigures]:
        """The surveys sent in the event's period, with their response rates and aggregates."""
        if self.surveys is None:
            return []
        found = []
        for survey in await self.surveys.sent_between(space, since, until):
            progress, results = await self.surveys.summary(survey)
            found.append(SurveyFigures(survey.ref, survey.title, survey.anonymous, progress.recipients,
                                       progress.answered, tuple(results)))  # fmt: skip
        return found

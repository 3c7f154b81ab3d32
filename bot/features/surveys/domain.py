"""Surveys sent privately: questions, who receives them, answers, nudges to those who have not answered."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.exports import COMMA, to_csv
from bot.core.livecards import LiveCards
from bot.core.model import Member
from bot.core.notices import Notice
from bot.core.refs import parse_ref
from bot.core.text import ascii_number, is_blank, visible
from bot.features.surveys.store import SurveyStore

QuestionKind = Literal["choice", "multi", "rating", "nps", "text", "dates"]
KINDS: tuple[QuestionKind, ...] = get_args(QuestionKind)
WITH_OPTIONS: tuple[QuestionKind, ...] = ("choice", "multi", "dates")
TITLE_MAX = 150
QUESTION_MAX = 300
OPTION_MAX = 80
OPTIONS_MAX = 25
QUESTIONS_MAX = 5  # one row of controls each in a private message (Discord allows five rows)
ANSWER_MAX = 500  # open text answers
NUDGES_MAX = 3
SMALL_GROUP = 3  # an anonymous survey never breaks down fewer answers than this
RATING = range(1, 6)
NPS = range(0, 11)


@dataclass(frozen=True)
class Question:
    """One question of a survey, numbered from 1."""

    number: int
    kind: QuestionKind
    text: str
    options: tuple[str, ...] = ()

    @property
    def values(self) -> range:
        """The numbers a pick may carry: option positions, or the rating's scale."""
        if self.kind == "rating":
            return RATING
        if self.kind == "nps":
            return NPS
        return range(len(self.options))

    @property
    def toggles(self) -> bool:
        """Whether a pick adds or removes a choice instead of replacing the answer."""
        return self.kind in ("multi", "dates")


@dataclass(frozen=True)
class Survey:
    """A stored survey and its questions."""

    id: int
    space: str
    ref: int
    channel: str
    author: str
    title: str
    anonymous: bool
    questions: tuple[Question, ...]
    created_at: datetime
    sent_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def subject(self) -> str:
        """The live card's subject: the staff card showing the response rate."""
        return f"survey:{self.id}"

    def question(self, number: int) -> Question:
        """A question by its number; a clear refusal otherwise."""
        if not 1 <= number <= len(self.questions):
            raise UserError("survey.no_such_question", field="question", number=number, count=len(self.questions))
        return self.questions[number - 1]


@dataclass(frozen=True)
class Progress:
    """How many received the survey, how many answered, and the nudges planned and sent."""

    recipients: int
    answered: int
    nudges_planned: tuple[datetime, ...] = ()
    nudges_sent: int = 0

    @property
    def rate(self) -> float:
        """The response rate, 0..1."""
        return self.answered / self.recipients if self.recipients else 0.0


@dataclass(frozen=True)
class AnswerRow:
    """One stored answer; `member` and `name` are empty for an anonymous survey's readers."""

    number: int
    value: str
    member: str = ""
    name: str = ""


@dataclass(frozen=True)
class QuestionResult:
    """The aggregates of one question: answers, counts per value, and the NPS or the ranked days where they apply."""

    question: Question
    answers: int
    counts: tuple[tuple[str, int], ...] = ()  # (label, count) in the question's order, or ranked for days
    texts: tuple[str, ...] = ()
    score: float | None = None  # mean rating, or the NPS
    hidden: bool = False  # too few answers to show on an anonymous survey


@dataclass(frozen=True)
class Audience:
    """Which confirmed attendees of an event receive a survey: all, or one mode, antenna or workshop, present or not."""

    event: str
    mode: str | None = None
    antenna: str | None = None
    workshop: int | None = None
    present: bool | None = None  # None: whether they came or not


def clean_title(title: str) -> str:
    """A survey's title, checked."""
    title = visible(title).strip()
    if is_blank(title):
        raise UserError("survey.title_empty", field="title")
    if len(title) > TITLE_MAX:
        raise UserError("survey.title_too_long", field="title", max=TITLE_MAX)
    return title


def check_question(number: int, kind: str, text: str, options: Sequence[str]) -> Question:
    """A new question, checked: its kind, its text and, for choices and days, its options."""
    if kind not in KINDS:
        raise UserError("survey.bad_kind", field="kind", kind=kind, kinds=", ".join(KINDS))
    text = visible(text).strip()
    if is_blank(text):
        raise UserError("survey.question_empty", field="text")
    if len(text) > QUESTION_MAX:
        raise UserError("survey.question_too_long", field="text", max=QUESTION_MAX)
    labels = tuple(visible(option).strip() for option in options if not is_blank(option))
    if kind not in WITH_OPTIONS:
        if labels:
            raise UserError("survey.no_options_for_kind", field="options", kind=kind)
        return Question(number, kind, text)
    if not 2 <= len(labels) <= OPTIONS_MAX:
        raise UserError("survey.option_count", field="options", min=2, max=OPTIONS_MAX)
    for label in labels:
        if len(label) > OPTION_MAX:
            raise UserError("survey.option_too_long", field="options", option=label[:20], max=OPTION_MAX)
        if kind == "dates":
            parse_day(label)
    if len({label.casefold() for label in labels}) != len(labels):
        raise UserError("survey.duplicate_option", field="options")
    return Question(number, kind, text, labels)


def parse_day(text: str) -> date:
    """A proposed day written YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError("survey.bad_day", field="options", day=text[:20]) from None


def positions(value: str) -> tuple[int, ...]:
    """The positions a stored choice answer holds ("0,2")."""
    return tuple(int(part) for part in value.split(",") if part)


def joined(chosen: Iterable[int]) -> str:
    """The stored form of chosen positions, sorted."""
    return ",".join(str(position) for position in sorted(set(chosen)))


def pick(question: Question, current: str | None, value: int) -> str:
    """The answer after a click on `value`: multi-choice and days toggle it, the others replace the answer."""
    if question.kind == "text":
        raise UserError("survey.text_needs_words")
    if value not in question.values:
        raise refusal(question)
    if not question.toggles:
        return str(value)
    chosen = set(positions(current or ""))
    chosen.symmetric_difference_update({value})
    return joined(chosen)


def out_of_range(question: Question) -> str:
    """The message key refusing a value the question does not offer."""
    return {"rating": "survey.rating_range", "nps": "survey.rating_range", "dates": "survey.day_not_proposed"}.get(
        question.kind, "survey.no_such_option"
    )


def refusal(question: Question, field: str | None = None) -> UserError:
    """The error refusing a value out of the question's range, with its bounds."""
    values = question.values
    return UserError(
        out_of_range(question), field=field, low=values.start, high=values.stop - 1, count=len(question.options)
    )


def parse_answer(question: Question, raw: str) -> str:
    """An answer typed as text: words, a rating, option numbers or labels, or days; refused clearly when wrong."""
    raw = visible(raw).strip()
    if question.kind == "text":
        if is_blank(raw):
            raise UserError("survey.answer_empty", field="text")
        if len(raw) > ANSWER_MAX:
            raise UserError("survey.answer_too_long", field="text", length=len(raw), max=ANSWER_MAX)
        return raw
    if is_blank(raw):
        raise UserError("survey.answer_empty", field="text")
    if question.kind in ("rating", "nps"):
        number = ascii_number(raw)
        if number is None or number not in question.values:
            raise refusal(question, "text")
        return str(number)
    parts = [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]
    chosen = [_position(question, part) for part in parts]
    if question.kind == "choice" and len(chosen) != 1:
        raise UserError("survey.one_choice", field="text")
    return joined(chosen)


def _position(question: Question, part: str) -> int:
    """The position named by an option's number (from 1), its label, or, for days, the day."""
    number = ascii_number(part)
    if number is not None and 1 <= number <= len(question.options):
        return number - 1
    folded = [option.casefold() for option in question.options]
    if part.casefold() in folded:
        return folded.index(part.casefold())
    if question.kind == "dates":
        day = parse_day(part).isoformat()
        days = [parse_day(option).isoformat() for option in question.options]
        if day in days:
            return days.index(day)
        raise UserError("survey.day_not_proposed", field="text", day=day)
    raise UserError("survey.no_such_option", field="text", count=len(question.options))


def shown(question: Question, value: str) -> str:
    """An answer as a reader sees it: labels, a number or the text."""
    if question.kind in WITH_OPTIONS:
        return ", ".join(question.options[position] for position in positions(value)) or "—"
    return value


def nps(scores: Sequence[int]) -> float | None:
    """The net promoter score in %: promoters (9–10) minus detractors (0–6), over everyone who rated."""
    if not scores:
        return None
    promoters = sum(1 for score in scores if score >= 9)
    detractors = sum(1 for score in scores if score <= 6)
    return round(100 * (promoters - detractors) / len(scores), 1)


def result(survey: Survey, question: Question, values: Sequence[str]) -> QuestionResult:
    """Aggregate one question's answers; an anonymous survey hides groups smaller than SMALL_GROUP."""
    if survey.anonymous and 0 < len(values) < SMALL_GROUP:
        return QuestionResult(question, len(values), hidden=True)
    if question.kind == "text":
        texts = tuple(sorted(values)) if survey.anonymous else tuple(values)  # sorted: no answering order
        return QuestionResult(question, len(values), texts=texts)
    if question.kind in ("rating", "nps"):
        scores = [int(value) for value in values]
        counts = tuple((str(n), scores.count(n)) for n in question.values)
        mean = round(sum(scores) / len(scores), 2) if scores else None
        return QuestionResult(question, len(values), counts, score=nps(scores) if question.kind == "nps" else mean)
    tally = [0] * len(question.options)
    for value in values:
        for position in positions(value):
            tally[position] += 1
    counts = tuple(zip(question.options, tally, strict=True))
    if question.kind == "dates":  # the best days first; ties in the order staff proposed them
        counts = tuple(sorted(counts, key=lambda item: -item[1]))
    return QuestionResult(question, len(values), counts)


def survey_params(survey: Survey) -> dict[str, object]:
    """What a private notice needs to show the survey (JSON values only: it waits in the outbox)."""
    return {
        "survey_id": survey.id,
        "ref": survey.ref,
        "title": survey.title,
        "anonymous": survey.anonymous,
        "questions": [[q.kind, q.text, list(q.options)] for q in survey.questions],
    }


def questions_of(params: dict[str, object]) -> tuple[Question, ...]:
    """The questions a notice carries."""
    raw = params["questions"]
    assert isinstance(raw, list)
    return tuple(Question(n, kind, text, tuple(options)) for n, (kind, text, options) in enumerate(raw, 1))


def export_rows(survey: Survey, rows: Iterable[AnswerRow], header: Sequence[str], sep: str = COMMA) -> str:
    """The answers as CSV: one line per answer, the member only when the survey is not anonymous."""
    lines: list[list[object]] = []
    for row in rows:
        question = survey.questions[row.number - 1]
        line: list[object] = [row.number, question.text, question.kind, shown(question, row.value)]
        lines.append(line if survey.anonymous else [row.name, *line])
    head = list(header[1:]) if survey.anonymous else list(header)
    return to_csv([[head], lines], sep)


class SurveyService:
    """Everything staff and members do with surveys, whatever the platform."""

    def __init__(self, store: SurveyStore, cards: LiveCards, clock: Clock, wake_at: Callable[[datetime], None]) -> None:
        self.store = store
        self.cards = cards
        self.clock = clock
        self.wake_at = wake_at  # nudges fall due: the sender must run then

    @staticmethod
    def require_staff(by: Member) -> None:
        """Surveys are staff's: members only answer."""
        if not by.is_staff:
            raise UserError("survey.staff_only")

    async def create(self, space: str, channel: str, by: Member, title: str, anonymous: bool) -> Survey:
        """A new survey, without questions yet (staff)."""
        self.require_staff(by)
        return await self.store.create_survey(space, channel, by.key, clean_title(title), anonymous, self.clock.now())

    async def get(self, space: str, ref: str | int) -> Survey:
        """A survey of this space by its short reference."""
        number = parse_ref(ref, "survey.bad_ref")
        survey = await self.store.find_survey(space, number)
        if survey is None:
            raise UserError("survey.not_found", ref=number)
        return survey

    async def by_id(self, space: str, survey_id: int) -> Survey:
        """A survey named by a button; another space's is refused as if it did not exist."""
        survey = await self.store.get_survey(survey_id)
        if survey is None or survey.space != space:
            raise UserError("survey.not_found", ref=survey_id)
        return survey

    async def add_question(
        self, space: str, ref: str, by: Member, kind: str, text: str, options: Sequence[str]
    ) -> Question:
        """Add a question to a survey not yet sent (staff)."""
        self.require_staff(by)
        survey = await self.get(space, ref)
        if survey.sent_at is not None:
            raise UserError("survey.already_sent", ref=survey.ref)
        if len(survey.questions) >= QUESTIONS_MAX:
            raise UserError("survey.too_many_questions", max=QUESTIONS_MAX)
        question = check_question(len(survey.questions) + 1, kind, text, options)
        return await self.store.add_question(survey.id, question)

    async def send(self, space: str, ref: str, by: Member, recipients: Sequence[Member]) -> tuple[Survey, int]:
        """Send the survey privately to `recipients` who do not have it yet, in one write with the notices."""
        self.require_staff(by)
        survey = await self.get(space, ref)
        if not survey.questions:
            raise UserError("survey.no_questions", ref=survey.ref)
        if survey.closed_at is not None:
            raise UserError("survey.closed", ref=survey.ref)
        if not recipients:
            raise UserError("survey.nobody", ref=survey.ref)
        reached = await self.store.send(survey, recipients, self.clock.now())
        self.cards.touch(survey.subject)
        return survey, reached

    async def plan_nudge(self, space: str, ref: str, by: Member, at: datetime) -> Survey:
        """Remind, at `at`, the recipients who have not answered by then (staff; NUDGES_MAX at most)."""
        self.require_staff(by)
        survey = await self.get(space, ref)
        if at <= self.clock.now():
            raise UserError("survey.nudge_in_past", field="at")
        if survey.closed_at is not None:
            raise UserError("survey.closed", ref=survey.ref)
        await self.store.add_nudge(survey.id, at, NUDGES_MAX)
        self.wake_at(at)
        self.cards.touch(survey.subject)
        return survey

    async def answer_pick(
        self, space: str, member: Member, survey_id: int, number: int, value: int
    ) -> tuple[Survey, Question, str]:
        """A click on a choice, a rating or a day."""
        survey = await self.by_id(space, survey_id)
        question = survey.question(number)
        stored = await self.store.answer(
            survey, member, number, lambda current: pick(question, current, value), self.clock.now()
        )
        self.cards.touch(survey.subject)
        return survey, question, stored

    async def answer_text(
        self, space: str, member: Member, ref: str, number: int, raw: str
    ) -> tuple[Survey, Question, str]:
        """An answer typed in words (open text, or any question answered by text)."""
        survey = await self.get(space, ref)
        question = survey.question(number)
        value = parse_answer(question, raw)
        stored = await self.store.answer(survey, member, number, lambda _current: value, self.clock.now())
        self.cards.touch(survey.subject)
        return survey, question, stored

    async def close(self, space: str, ref: str, by: Member) -> Survey:
        """Close a survey: answers are refused from now on (staff)."""
        self.require_staff(by)
        survey = await self.get(space, ref)
        closed = await self.store.close_survey(survey.id, self.clock.now())
        if closed is None:
            raise UserError("survey.closed", ref=survey.ref)
        await self.cards.flush_now(survey.subject)
        return closed

    async def progress(self, survey: Survey) -> Progress:
        """Recipients, answers and nudges."""
        return await self.store.progress(survey.id)

    async def results(self, space: str, ref: str, by: Member) -> tuple[Survey, Progress, list[QuestionResult]]:
        """Each question's aggregates (staff)."""
        self.require_staff(by)
        survey = await self.get(space, ref)
        values = await self.store.values(survey.id)
        found = [result(survey, q, values.get(q.number, [])) for q in survey.questions]
        return survey, await self.store.progress(survey.id), found

    async def sent_between(self, space: str, since: datetime, until: datetime) -> list[Survey]:
        """A space's surveys sent in [since, until), for reports (callers check staff)."""
        found = [await self.store.get_survey(i) for i in await self.store.sent_between(space, since, until)]
        return [survey for survey in found if survey is not None]

    async def summary(self, survey: Survey) -> tuple[Progress, list[QuestionResult]]:
        """A survey's response rate and each question's aggregates (small anonymous groups hidden)."""
        values = await self.store.values(survey.id)
        return await self.store.progress(survey.id), [
            result(survey, q, values.get(q.number, [])) for q in survey.questions
        ]

    async def export(self, space: str, ref: str, by: Member, header: Sequence[str], sep: str) -> tuple[Survey, str]:
        """The answers as CSV (staff); anonymous surveys carry no names and hide the answering order."""
        self.require_staff(by)
        survey = await self.get(space, ref)
        rows = await self.store.answers(survey.id, with_members=not survey.anonymous)
        return survey, export_rows(survey, rows, header, sep)

    async def texts(self, space: str, ref: str, by: Member, number: int) -> tuple[Survey, list[str]]:
        """The open text answers of a question (staff), to send them to an idea wall."""
        self.require_staff(by)
        survey = await self.get(space, ref)
        question = survey.question(number)
        if question.kind != "text":
            raise UserError("survey.not_text", number=number)
        values = (await self.store.values(survey.id)).get(number, [])
        if survey.anonymous and 0 < len(values) < SMALL_GROUP:
            raise UserError("survey.too_few_answers", min=SMALL_GROUP)
        return survey, sorted(values)

    async def nudge_due(self) -> None:
        """Send the nudges whose time has come, each once, to recipients who have not answered (one write each)."""
        for survey_id in await self.store.nudge_due(self.clock.now()):
            survey = await self.store.get_survey(survey_id)
            if survey is not None:
                self.cards.touch(survey.subject)

    async def pending(self) -> list[datetime]:
        """The instants of nudges still to send."""
        return await self.store.nudge_times()


def ask_notice(survey: Survey, member: str, kind: str = "survey.ask") -> Notice:
    """The private message carrying the survey to one recipient."""
    return Notice(survey.space, member, kind, survey_params(survey))

"""SurveyStore contract: what every survey store must do, whatever its database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.errors import UserError
from bot.core.model import Member
from bot.features.surveys.domain import Question, Survey, pick
from bot.features.surveys.store import AnswerRule, SurveyStore

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
SPACE = "console:local"
RATING = Question(1, "rating", "Note ?")
DAYS = Question(2, "dates", "Quand ?", ("2026-07-01", "2026-07-08"))


@pytest.fixture
def surveys(store: Callable[[str], Any]) -> SurveyStore:
    """The survey store under test."""
    return store("surveys")


def members(count: int) -> list[Member]:
    """Members m0…."""
    return [Member(f"console:m{i}", f"m{i}") for i in range(count)]


async def sent_survey(surveys: SurveyStore, count: int, anonymous: bool = False) -> Survey:
    """A survey with a rating and a days question, sent to `count` members."""
    survey = await surveys.create_survey(SPACE, "staff", "console:alice", "Bilan", anonymous, NOW)
    await surveys.add_question(survey.id, RATING)
    await surveys.add_question(survey.id, DAYS)
    found = await surveys.get_survey(survey.id)
    assert found is not None
    assert await surveys.send(found, members(count), NOW) == count
    return found


def replace_by(value: str) -> AnswerRule:
    """The rule of an answer that replaces whatever was there."""
    return lambda _current: value


async def outbox(surveys: SurveyStore) -> list[tuple[str, str]]:
    """(member, kind) of every queued notice."""
    rows = await surveys.db.fetch_all("SELECT member, kind FROM outbox ORDER BY id")  # type: ignore[attr-defined]
    return [(row["member"], row["kind"]) for row in rows]


async def test_refs_per_space_and_questions_frozen_once_sent(surveys: SurveyStore) -> None:
    """Each space numbers its surveys; questions come back in order and cannot be added after sending."""
    other = await surveys.create_survey("slack:T1", "c", "slack:U1", "Autre", False, NOW)
    survey = await sent_survey(surveys, 2)
    assert (other.ref, survey.ref) == (1, 1)
    assert survey.questions == (RATING, DAYS)
    assert await surveys.find_survey(SPACE, 1) == await surveys.get_survey(survey.id)
    with pytest.raises(UserError, match="already_sent"):
        await surveys.add_question(survey.id, Question(3, "text", "Encore ?"))
    assert await surveys.open_surveys(SPACE) == [(1, "Bilan")]


async def test_sending_records_recipients_and_notices_once(surveys: SurveyStore) -> None:
    """A second sending to an overlapping audience reaches only the new members, each with one notice."""
    survey = await sent_survey(surveys, 3)
    assert await surveys.send(survey, members(5), NOW) == 2
    queued = await outbox(surveys)
    assert sorted(member for member, _kind in queued) == [f"console:m{i}" for i in range(5)]
    assert {kind for _member, kind in queued} == {"survey.ask"}
    assert (await surveys.progress(survey.id)).recipients == 5


async def test_concurrent_answers_are_counted_exactly(surveys: SurveyStore) -> None:
    """100 recipients answering at once, one of them twice: 100 answered, the last click kept."""
    survey = await sent_survey(surveys, 100)
    await asyncio.gather(
        *(surveys.answer(survey, m, 1, replace_by(str(1 + i % 5)), NOW) for i, m in enumerate(members(100)))
    )
    await surveys.answer(survey, members(1)[0], 1, lambda _c: "5", NOW)
    progress = await surveys.progress(survey.id)
    assert (progress.recipients, progress.answered) == (100, 100)
    values = (await surveys.values(survey.id))[1]
    assert len(values) == 100 and values.count("5") == 21


async def test_toggles_decide_on_the_current_answer(surveys: SurveyStore) -> None:
    """Two clicks on days by one member at once: both land, each deciding on the other's result."""
    survey = await sent_survey(surveys, 1)
    m0 = members(1)[0]
    await asyncio.gather(
        surveys.answer(survey, m0, 2, lambda c: pick(DAYS, c, 0), NOW),
        surveys.answer(survey, m0, 2, lambda c: pick(DAYS, c, 1), NOW),
    )
    assert (await surveys.values(survey.id))[2] == ["0,1"]
    assert await surveys.answer(survey, m0, 2, lambda c: pick(DAYS, c, 1), NOW) == "0"


async def test_closed_surveys_and_strangers_are_refused(surveys: SurveyStore) -> None:
    """No answer from someone who did not receive the survey, none once it is closed."""
    survey = await sent_survey(surveys, 1)
    with pytest.raises(UserError, match="not_recipient"):
        await surveys.answer(survey, Member("console:zoe", "zoe"), 1, lambda _c: "3", NOW)
    assert await surveys.close_survey(survey.id, NOW) is not None
    assert await surveys.close_survey(survey.id, NOW) is None
    with pytest.raises(UserError, match="closed"):
        await surveys.answer(survey, members(1)[0], 1, lambda _c: "3", NOW)
    assert await surveys.open_surveys(SPACE) == []


async def test_a_nudge_reaches_non_answerers_once(surveys: SurveyStore) -> None:
    """A due nudge queues one notice per member without an answer; run again, it queues nothing."""
    survey = await sent_survey(surveys, 4)
    await surveys.answer(survey, members(1)[0], 1, lambda _c: "4", NOW)
    at = NOW + timedelta(hours=1)
    await surveys.add_nudge(survey.id, at, 2)
    with pytest.raises(UserError, match="nudge_twice"):
        await surveys.add_nudge(survey.id, at, 2)
    await surveys.add_nudge(survey.id, at + timedelta(days=1), 2)
    with pytest.raises(UserError, match="too_many_nudges"):
        await surveys.add_nudge(survey.id, at + timedelta(days=2), 2)
    assert await surveys.nudge_times() == [at, at + timedelta(days=1)]
    assert await surveys.nudge_due(NOW) == []
    results = await asyncio.gather(surveys.nudge_due(at), surveys.nudge_due(at))
    assert sorted(results) == [[], [survey.id]]
    nudges = [member for member, kind in await outbox(surveys) if kind == "survey.ask.nudge"]
    assert nudges == ["console:m1", "console:m2", "console:m3"]
    progress = await surveys.progress(survey.id)
    assert (progress.nudges_sent, progress.nudges_planned) == (1, (at + timedelta(days=1),))


async def test_anonymous_answers_carry_no_members(surveys: SurveyStore) -> None:
    """Rows read for an anonymous export hold no member and are ordered by value, not by time."""
    survey = await sent_survey(surveys, 3, anonymous=True)
    for member, value in zip(members(3), ("5", "2", "4"), strict=True):
        await surveys.answer(survey, member, 1, replace_by(value), NOW)
    rows = await surveys.answers(survey.id, with_members=False)
    assert [(row.value, row.member, row.name) for row in rows] == [("2", "", ""), ("4", "", ""), ("5", "", "")]
    named = await surveys.answers(survey.id, with_members=True)
    assert {row.name for row in named} == {"m0", "m1", "m2"}


async def test_surveys_sent_between_two_instants_of_one_space(surveys: SurveyStore) -> None:
    """Reports find the surveys sent in a period: [since, until), this space only, unsent ones left out."""
    first = await sent_survey(surveys, 1)
    await surveys.create_survey(SPACE, "staff", "console:alice", "Pas envoyée", False, NOW)
    other = await surveys.create_survey("slack:T1", "c", "slack:U1", "Autre", False, NOW)
    await surveys.add_question(other.id, RATING)
    found = await surveys.get_survey(other.id)
    assert found is not None
    await surveys.send(found, members(1), NOW)
    assert await surveys.sent_between(SPACE, NOW, NOW + timedelta(seconds=1)) == [first.id]
    assert await surveys.sent_between(SPACE, NOW - timedelta(days=1), NOW) == []

"""The port surveys are stored through."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.core.model import Member

if TYPE_CHECKING:
    from bot.features.surveys.domain import AnswerRow, Progress, Question, Survey

AnswerRule = Callable[[str | None], str]  # the current answer (None: none yet) -> the new one ("": withdrawn)


class SurveyStore(Protocol):
    """Where surveys, their recipients, answers and nudges live."""

    async def create_survey(
        self, space: str, channel: str, author: str, title: str, anonymous: bool, now: datetime
    ) -> Survey:
        """Store a new survey with the next short reference of its space."""
        ...

    async def get_survey(self, survey_id: int) -> Survey | None:
        """A survey by its global id (callers check its space)."""
        ...

    async def find_survey(self, space: str, ref: int) -> Survey | None:
        """A survey by its short reference in a space."""
        ...

    async def open_surveys(self, space: str) -> list[tuple[int, str]]:
        """(reference, title) of a space's surveys still open, newest first."""
        ...

    async def add_question(self, survey_id: int, question: Question) -> Question:
        """Append a question, in one write refused once the survey was sent."""
        ...

    async def send(self, survey: Survey, recipients: Sequence[Member], now: datetime) -> int:
        """In one write: the recipients who did not have the survey yet, and a private notice to each; how many."""
        ...

    async def answer(self, survey: Survey, member: Member, number: int, rule: AnswerRule, now: datetime) -> str:
        """In one write, refused when closed or not a recipient: replace a recipient's answer by `rule(current)`."""
        ...

    async def close_survey(self, survey_id: int, now: datetime) -> Survey | None:
        """Close an open survey; None when it was already closed."""
        ...

    async def add_nudge(self, survey_id: int, at: datetime, most: int) -> None:
        """Plan a nudge at `at`, refused beyond `most` per survey."""
        ...

    async def nudge_due(self, now: datetime) -> list[int]:
        """Each nudge due and not yet done, in its own write: marked done with a notice to every non-answerer.

        The surveys nudged (a closed or unsent survey's nudge is marked done and sends nothing).
        """
        ...

    async def nudge_times(self) -> list[datetime]:
        """The instants of nudges not yet done."""
        ...

    async def progress(self, survey_id: int) -> Progress:
        """Recipients, those who answered, nudges planned and done."""
        ...

    async def values(self, survey_id: int) -> dict[int, list[str]]:
        """Every answer value per question number (no member)."""
        ...

    async def sent_between(self, space: str, since: datetime, until: datetime) -> list[int]:
        """Ids of a space's surveys sent in [since, until), oldest first."""
        ...

    async def answers(self, survey_id: int, with_members: bool) -> list[AnswerRow]:
        """Answer rows for an export, ordered by question then value; members only when `with_members`."""
        ...

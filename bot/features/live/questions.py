"""Questions asked in a live thread, Slido-style: one card per question in every attached thread, upvoted there.

An anonymous question keeps no author at all (not even in the database): nothing can leak it,
on a card, in an export or in a log line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.errors import UserError
from bot.core.text import is_blank, visible

QUESTION_MAX = 300  # a question read aloud in the room, not an essay
TOP_SHOWN = 10


@dataclass(frozen=True)
class Question:
    """A question of a live thread, with its current upvotes."""

    id: int
    thread_id: int
    number: int
    platform: str
    author: str | None  # None: anonymous
    name: str | None
    text: str
    asked_at: datetime
    answered_at: datetime | None = None
    hidden_at: datetime | None = None
    votes: int = 0

    @property
    def anonymous(self) -> bool:
        """Whether nobody may know who asked it."""
        return self.author is None

    @property
    def answered(self) -> bool:
        """Whether staff marked it answered."""
        return self.answered_at is not None

    @property
    def hidden(self) -> bool:
        """Whether staff hid it (off the cards' buttons, the lists and the summary)."""
        return self.hidden_at is not None

    @property
    def subject(self) -> str:
        """The live subject its cards are tracked under, in every attached thread."""
        return f"livequestion:{self.id}"


def check_question(text: str) -> str:
    """The question as it will be shown, or a UserError naming the problem."""
    cleaned = visible(text)
    if is_blank(cleaned):
        raise UserError("live.question_empty", field="question")
    if len(cleaned) > QUESTION_MAX:
        raise UserError("live.question_too_long", field="question", max=QUESTION_MAX, length=len(cleaned))
    return cleaned


def ranked(questions: list[Question]) -> list[Question]:
    """Most upvoted first; on a tie the older question first; hidden ones left out."""
    return sorted((q for q in questions if not q.hidden), key=lambda q: (-q.votes, q.number))

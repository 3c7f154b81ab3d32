"""The port idea walls are stored through."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.core.notices import Notice
    from bot.features.ideas.domain import Idea, IdeaDraft, StatusChange, Wall

LikeRule = Callable[["Idea", "Wall"], None]


class IdeaStore(Protocol):
    """Where idea walls, ideas, likes, status history and held-back drafts live."""

    async def create_wall(
        self,
        space: str,
        channel: str,
        by: str,
        prompt: str,
        categories: tuple[str, ...],
        closes_at: datetime | None,
        now: datetime,
    ) -> Wall:
        """Store a new wall with the next short reference of its space."""
        ...

    async def default_wall(self, space: str, channel: str, now: datetime) -> Wall:
        """The space's default wall (ref 0), created on first use."""
        ...

    async def find_wall(self, space: str, ref: int) -> Wall | None:
        """A wall by its short reference in a space."""
        ...

    async def get_wall(self, wall_id: int) -> Wall | None:
        """A wall by its global id (callers check its space)."""
        ...

    async def walls(self, space: str) -> list[Wall]:
        """Every wall of a space, newest first (the default wall last)."""
        ...

    async def close_wall(self, wall_id: int, now: datetime) -> Wall | None:
        """Close an open wall; None when it was already closed."""
        ...

    async def due_walls(self, now: datetime) -> list[Wall]:
        """Open walls whose closing time has come."""
        ...

    async def next_closing_times(self) -> list[datetime]:
        """The closing times of open walls (to schedule wake-ups)."""
        ...

    async def posted_ideas(self, wall_id: int) -> list[int]:
        """Ids of a wall's ideas shown in at least one posted message, in order (read from those messages)."""
        ...

    async def wall_ideas(self, wall_id: int, after: Idea | None = None, limit: int | None = None) -> list[Idea]:
        """Ideas of a wall, whatever their state, oldest first, with like counts: every one, or the `limit`
        that come after `after` (to walk a wall a chunk at a time)."""
        ...

    async def top_ideas(self, wall_id: int, category: str | None, limit: int) -> list[Idea]:
        """The `limit` most liked listed ideas of a wall (of one category, if given); ties: older first."""
        ...

    async def newest_ideas(self, wall_id: int, offset: int, limit: int) -> list[Idea]:
        """Listed ideas of a wall, newest first: `limit` of them after skipping `offset`."""
        ...

    async def listed_count(self, wall_id: int) -> int:
        """How many ideas a wall lists (not hidden, withdrawn or merged)."""
        ...

    async def similar_candidates(self, wall_id: int, words: Sequence[str], per_word: int) -> list[Idea]:
        """Listed ideas of a wall having one of `words` (see `idea_words`), the `per_word` newest for each word;
        oldest first."""
        ...

    async def index_backlog(self, limit: int) -> int:
        """Index the words of up to `limit` ideas listed before words were indexed; how many were taken."""
        ...

    async def author_ideas(self, space: str, author: str) -> list[Idea]:
        """A member's ideas in a space, newest first."""
        ...

    async def count_between(self, space: str, since: datetime, until: datetime) -> tuple[int, int]:
        """Ideas of a space posted in [since, until) and not withdrawn: how many, and how many retained or done."""
        ...

    async def find_idea(self, space: str, ref: int) -> Idea | None:
        """An idea by its short reference in a space."""
        ...

    async def get_idea(self, idea_id: int) -> Idea | None:
        """An idea by its global id (callers check its space)."""
        ...

    async def add_idea(self, draft: IdeaDraft, now: datetime, flood_since: datetime, flood_limit: int) -> Idea:
        """Store an idea unless its author already submitted `flood_limit` since `flood_since` (atomic)."""
        ...

    async def save_draft(self, draft: IdeaDraft, purge_before: datetime, now: datetime) -> int:
        """Hold a submission back; drafts older than `purge_before` are dropped. Returns its id."""
        ...

    async def add_draft(
        self, space: str, author: str, draft_id: int, now: datetime, flood_since: datetime, flood_limit: int
    ) -> Idea:
        """Turn a held-back draft of this author and space into an idea, once."""
        ...

    async def drop_draft(self, space: str, author: str, draft_id: int) -> None:
        """Forget a held-back draft of this author and space."""
        ...

    async def toggle_like(
        self, idea_id: int, member: str, now: datetime, rule: LikeRule, only_add: bool = False
    ) -> tuple[Idea, bool]:
        """Atomically check `rule(idea, wall)` and toggle (or add) a like; the idea and whether it is liked now.

        A like on an idea merged into another goes to that other idea. The idea's like count changes in the
        same write, without counting its likes.
        """
        ...

    async def edit_text(self, idea_id: int, text: str, now: datetime) -> Idea:
        """Replace an idea's text; the idea after."""
        ...

    async def withdraw(self, idea_id: int, now: datetime) -> Idea:
        """Its author takes an idea back; the idea after."""
        ...

    async def set_status(self, idea_id: int, change: StatusChange, notices: Sequence[Notice], now: datetime) -> Idea:
        """Move an idea to `change.status`, record the step and the notices, in one write; the idea after.

        Refused (nothing written) when the idea already has that status.
        """
        ...

    async def hide(self, idea_id: int, reason: str | None, notices: Sequence[Notice], now: datetime) -> Idea:
        """Hide an idea from listings and record the notices, in one write; refused when already hidden."""
        ...

    async def merge(self, source_id: int, target_id: int, notices: Sequence[Notice], now: datetime) -> Idea:
        """Move the source's likes to the target (a member who liked both counts once) and record the notices,
        in one write; the target after."""
        ...
